/**
 * Builds the console for production unless .next already holds a build of exactly these
 * sources (the fingerprint the demo checks too). The test script runs it before the
 * integration tests, whose fault test drives the production server.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent, markBuilt } from '../lib/demo/build.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts/copy-ort-wasm.mjs')], { cwd: root, stdio: 'inherit' });
if (buildIsCurrent(root)) console.log('[build] the production build is current');
else {
  console.log('[build] next build…');
  execFileSync(process.execPath, [join(root, 'node_modules/next/dist/bin/next'), 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  markBuilt(root);
}
