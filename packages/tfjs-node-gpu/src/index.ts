/**
 * @scm/tfjs on CUDA: the 'tensorflow' backend that @tensorflow/tfjs-node-gpu registers. That package
 * downloads libtensorflow with CUDA support at install time, so it is an optional peer dependency
 * loaded on demand; without it, creating the ops fails with a message that says what to install.
 *
 * @module @scm/tfjs-node-gpu
 */
import { eagerEngine, type Engine } from '@scm/core';
import { createTfjsOps, type TfjsOps } from '@scm/tfjs';

/** The tfjs backend name @tensorflow/tfjs-node-gpu registers. */
export const BACKEND = 'tensorflow';

/**
 * What to install to get the CUDA backend, and on which platforms it exists: the message a missing
 * or broken @tensorflow/tfjs-node-gpu is reported with (it ends every such error).
 */
export const INSTALL_HINT =
  '@scm/tfjs-node-gpu needs the optional peer dependency @tensorflow/tfjs-node-gpu: `npm install @tensorflow/tfjs-node-gpu` ' +
  '(Linux x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1; its install downloads libtensorflow).';

/** Options of {@link createNodeGpuOps} and {@link createNodeGpuEngine}. */
export interface NodeGpuOptions {
  /** Loads the module that registers the 'tensorflow' backend. Default: import('@tensorflow/tfjs-node-gpu'). */
  readonly load?: () => Promise<unknown>;
}

const MODULE = '@tensorflow/tfjs-node-gpu';

let loading: Promise<void> | undefined;

/** Loaded once per process; a failure is kept and reported the same way to every caller. */
function loadBackend(load: () => Promise<unknown>): Promise<void> {
  loading ??= load().then(
    () => undefined,
    (cause: unknown) => {
      const missing = cause instanceof Error && /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Could not resolve/.test(cause.message);
      throw new Error(missing ? INSTALL_HINT : `${MODULE} failed to load (${(cause as Error).message ?? cause}). ${INSTALL_HINT}`);
    },
  );
  return loading;
}

/**
 * TensorOps on CUDA: loads @tensorflow/tfjs-node-gpu (once per process) and returns @scm/tfjs's ops
 * on its 'tensorflow' backend. Float32 throughout, like every tfjs backend.
 *
 * @param options - `load` replaces the dynamic import of @tensorflow/tfjs-node-gpu (tests use it).
 * @returns The ops; every call after the first reuses the loaded backend.
 * @throws Error naming {@link INSTALL_HINT} when the optional peer dependency is missing or fails to
 *   load (no CUDA, wrong cuDNN); the first failure is kept and every later call rejects the same way.
 */
export async function createNodeGpuOps(options: NodeGpuOptions = {}): Promise<TfjsOps> {
  // A variable specifier keeps bundlers from trying to resolve the optional module at build time.
  const specifier = MODULE;
  await loadBackend(options.load ?? (() => import(specifier)));
  return createTfjsOps({ backend: BACKEND });
}

/** The driver's engine (train, sample from @scm/core) on CUDA: core's eager step on createNodeGpuOps(options). */
export async function createNodeGpuEngine(options: NodeGpuOptions = {}): Promise<Engine<unknown>> {
  return eagerEngine(await createNodeGpuOps(options));
}

export type { TfjsOps };
