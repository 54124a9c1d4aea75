// Copies onnxruntime-web's WebAssembly runtime into public/ort/ so that the try-it page loads it
// from this server (nothing is fetched from a CDN). Run on install and before every build.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'node_modules/onnxruntime-web/dist');
const to = join(root, 'public/ort');
if (!existsSync(from)) {
  console.warn('copy-ort-wasm: onnxruntime-web is not installed; the try-it page will not run');
  process.exit(0);
}
mkdirSync(to, { recursive: true });
for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) copyFileSync(join(from, f), join(to, f));
