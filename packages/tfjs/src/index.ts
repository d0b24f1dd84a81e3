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
