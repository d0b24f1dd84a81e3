/**
 * Choosing and initialising a tfjs backend: lazily, once per backend name, with failures cached and
 * reported in one message that says what to do.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Which tfjs backend {@link createTfjsOps} runs on, and the wasm backend's settings. */
export interface TfjsOptions {
  /**
   * A registered tfjs backend. Default 'wasm' (XNNPACK with SIMD): much faster than the pure-JS
   * 'cpu'. Other backends (e.g. 'webgl') work once their package has been imported.
   */
  readonly backend?: 'wasm' | 'cpu' | (string & {});
  /**
   * Threads of the wasm backend where it can run them (cross-origin-isolated browsers); Node has
   * no threaded wasm and runs one. Taken at the wasm backend's first initialisation.
   */
  readonly wasmThreads?: number;
  /**
   * Directory (a path in Node; a URL ending in '/' elsewhere) holding the tfjs-backend-wasm*.wasm binaries. Default:
   * in Node, the installed @tensorflow/tfjs-backend-wasm package; elsewhere tfjs's own default.
   * Taken at the wasm backend's first initialisation.
   */
  readonly wasmPaths?: string;
}

const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

const initialised = new Map<string, Promise<void>>();
let lastInit: Promise<unknown> = Promise.resolve();
let wasmSettings: Pick<TfjsOptions, 'wasmThreads' | 'wasmPaths'> | undefined;

/** Resolves once `name` is ready; a failure is remembered and every later call gets the same error. */
export function initBackend(name: string, options: TfjsOptions): Promise<void> {
  const known = initialised.get(name);
  if (known) {
    if (name === 'wasm') checkWasmSettings(options);
    return known;
  }
  if (name === 'wasm') wasmSettings = { wasmThreads: options.wasmThreads, wasmPaths: options.wasmPaths };
  // One at a time: a tf.setBackend that overlaps another's pending (asynchronous) initialisation
  // leaves the engine naming one backend while running the other.
  const ready = lastInit.then(() => initialise(name, options));
  lastInit = ready.catch(() => undefined);
  initialised.set(name, ready);
  return ready;
}

/**
 * tfjs runs every op on one process-wide backend; ops of an instance switch it back to theirs, so
 * instances on different backends (and user code calling tf.setBackend) can be mixed safely.
 */
export function activate(name: string): void {
  // For an initialised backend tf.setBackend switches before it returns (it awaits nothing).
  if (tf.getBackend() !== name) void tf.setBackend(name);
}

async function initialise(name: string, options: TfjsOptions): Promise<void> {
  const engine = tf.engine();
  if (!(name in engine.registryFactory)) {
    throw new Error(
      `@scm/tfjs: no tfjs backend named '${name}' is registered (registered: ${Object.keys(engine.registryFactory).join(', ')}). ` +
        `Import the package that registers it (e.g. '@tensorflow/tfjs-backend-${name}') before calling createTfjsOps.`,
    );
  }
  const wasmDir = name === 'wasm' ? await configureWasm(options) : undefined;
  const previous = tf.getBackend();
  if (await tf.setBackend(name)) return;
  // A failed tf.setBackend leaves the engine on a backend without an instance; put the old one back.
  if (previous && previous in engine.registry) void tf.setBackend(previous);
  throw new Error(
    `@scm/tfjs: tfjs could not initialise its '${name}' backend; tfjs printed the cause as a warning above.` +
      (wasmDir ? ` The .wasm binaries were taken from ${wasmDir}; set the wasmPaths option if they live elsewhere.` : ''),
  );
}

/** Applies the wasm options before the backend starts; returns where the binaries are loaded from. */
async function configureWasm(options: TfjsOptions): Promise<string | undefined> {
  if (options.wasmThreads !== undefined) setThreadsCount(options.wasmThreads);
  if (!tf.env().getBool('IS_NODE')) {
    if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
    return options.wasmPaths;
  }
  // Node reads the binaries from disk: never from the network, and the failure is ours to explain.
  const { createRequire } = await import('node:module');
  const { existsSync } = await import('node:fs');
  const { dirname, join, sep } = await import('node:path');
  // tfjs prefixes the file names with this directory as it stands: it must end in a separator.
  const dir = join(options.wasmPaths ?? dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), sep);
  const missing = WASM_BINARIES.filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new Error(
      `@scm/tfjs: the wasm backend needs ${missing.join(' and ')} in ${dir}, which ${missing.length > 1 ? 'are' : 'is'} not there. ` +
        'Reinstall @tensorflow/tfjs-backend-wasm or point the wasmPaths option at the directory holding its dist/*.wasm files.',
    );
  }
  setWasmPaths(dir);
  return dir;
}

/** The wasm module starts once per process, so later calls cannot change how it was started. */
function checkWasmSettings(options: TfjsOptions): void {
  const show = (v: unknown) => (v === undefined ? 'unset' : `= ${String(v)}`);
  for (const key of ['wasmThreads', 'wasmPaths'] as const) {
    if (options[key] !== undefined && options[key] !== wasmSettings?.[key]) {
      throw new Error(
        `@scm/tfjs: the wasm backend was started with ${key} ${show(wasmSettings?.[key])} and cannot restart with ${key} ${show(options[key])}; ` +
          'pass the same wasm options to every createTfjsOps call.',
      );
    }
  }
}
