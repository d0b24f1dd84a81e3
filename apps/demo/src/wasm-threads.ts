/**
 * How many threads WASM gets: the browser's logical cores where the page is cross-origin isolated
 * (SharedArrayBuffer, which WebAssembly threads need, exists only there), else one.
 */

export interface WasmThreads {
  readonly threads: number;
  /** Why this many, for the page. */
  readonly why: string;
}

export function wasmThreads(isolated: boolean = self.crossOriginIsolated, cores: number = navigator.hardwareConcurrency): WasmThreads {
  if (!isolated) {
    return { threads: 1, why: 'not cross-origin isolated: serve the page with COOP/COEP headers for multi-threaded WASM (see the README)' };
  }
  const threads = Number.isInteger(cores) && cores > 0 ? cores : 1;
  return { threads, why: `cross-origin isolated, ${plural(threads, 'logical core')}` };
}

/** "1 thread", "4 threads". */
export const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
