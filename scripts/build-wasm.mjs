// Compiles the fused BiLSTM kernels (lib/ml/wasm/lstm.ts, AssemblyScript) to lib/ml/wasm/lstm.wasm
// with npm's `assemblyscript`: nothing is downloaded. Run on install; lib/ml/lstm-fused.ts also runs
// it when the .wasm is missing or older than its source.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'lib/ml/wasm/lstm.ts');
const out = join(root, 'lib/ml/wasm/lstm.wasm');
let asc;
try {
  asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin/asc.js');
} catch {
  console.warn('build-wasm: assemblyscript is not installed; the BiLSTM trains on tfjs ops');
  process.exit(0);
}
if (!existsSync(asc)) throw new Error(`build-wasm: ${asc} not found`);
// Written beside and renamed into place: processes that start together (test workers) never read half a file.
const tmp = `${out}.${process.pid}.tmp`;
execFileSync(process.execPath, [asc, src, '--outFile', tmp, '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--initialMemory', '16'], { stdio: 'inherit' });
renameSync(tmp, out);
