/**
 * Picks the fastest tfjs backend available on this machine.
 *
 * `@tensorflow/tfjs-node(-gpu)` cannot be installed on machines without access to the
 * libtensorflow download, so they are optional: imported dynamically when present. The wasm
 * backend is always there (it is a dependency) and is what these 2-core boxes use.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { registerGradientOverrides } from './gradients.ts';
import { patchWasmKernels } from './wasm-kernels.ts';

/** The supported tfjs backends, fastest first: the order initBackend tries them in. */
export const BACKENDS = ['tfjs-node-gpu', 'tfjs-node', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

let chosen: Promise<BackendName> | null = null;

/**
 * Initialises tfjs once per process and returns the backend actually used.
 * `prefer` forces one (tests use 'wasm' to be reproducible on every machine).
 */
export function initBackend(prefer?: BackendName): Promise<BackendName> {
  if (!chosen) chosen = pickBackend(prefer);
  return chosen;
}

async function pickBackend(prefer?: BackendName): Promise<BackendName> {
  registerGradientOverrides();
  const order: readonly BackendName[] = prefer ? [prefer] : BACKENDS;
  for (const name of order) {
    if (name === 'wasm') {
      await useWasm();
      return 'wasm';
    }
    // Importing the package registers its backend ('tensorflow') with the tfjs engine.
    // The specifier is built at run time so that bundlers and tsc do not try to resolve it.
    const specifier = `@tensorflow/${name}`;
    try {
      await import(/* @vite-ignore */ specifier);
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return name;
      }
    } catch {
      // Not installed (the usual case here): try the next one.
    }
  }
  await useWasm();
  return 'wasm';
}

async function useWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the wasm binaries are read from disk: point tfjs at the package's dist folder.
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dir + path.sep);
  patchWasmKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
  await tf.ready();
}

export { tf };
