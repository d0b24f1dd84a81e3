/**
 * TensorOps on TensorFlow.js: the wasm backend (XNNPACK, default), plain-JavaScript cpu, or any
 * registered tfjs backend. Differentiation stays in `@scm/core`; tfjs only evaluates primitives.
 *
 * @module @scm/tfjs
 */
import { eagerEngine, type Engine } from '@scm/core';
import { initBackend, type TfjsOptions } from './backend.js';
import { TfjsOps } from './ops.js';

export type { TfjsOptions } from './backend.js';
export type { TfjsOps } from './ops.js';

/**
 * TensorOps on TensorFlow.js, on the backend named by `options.backend` (default 'wasm'). The
 * backend is initialised on the first call for its name; later calls reuse it, or get the same error.
 */
export async function createTfjsOps(options: TfjsOptions = {}): Promise<TfjsOps> {
  const backend = options.backend ?? 'wasm';
  await initBackend(backend, options);
  return new TfjsOps(backend);
}

/** The driver's engine (train, sample from @scm/core) on TensorFlow.js: core's eager step on createTfjsOps(options). */
export async function createTfjsEngine(options: TfjsOptions = {}): Promise<Engine<unknown>> {
  return eagerEngine(await createTfjsOps(options));
}
