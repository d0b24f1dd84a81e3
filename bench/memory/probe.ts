/**
 * Preloaded (node --import) into each scm process that bench/memory measures: at exit it writes the
 * process's peak resident memory and, where tfjs-wasm ran, the size its WebAssembly heap grew to
 * (a heap only grows, so its final size is its peak) to the file named by SCM_MEMORY_PROBE.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface WasmEngine {
  registry?: { wasm?: { wasm?: { HEAPU8?: Uint8Array } } };
}

const out = process.env.SCM_MEMORY_PROBE;
if (out) {
  process.on('exit', () => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    // tfjs-core keeps its engine on the global object, whichever copy of the module made it.
    const engine = (globalThis as { _tfengine?: WasmEngine })._tfengine;
    const wasmHeap = engine?.registry?.wasm?.wasm?.HEAPU8?.buffer.byteLength;
    writeFileSync(out, JSON.stringify({ peakRss: hwm ? Number(hwm[1]) * 1024 : null, wasmHeap: wasmHeap ?? null }));
  });
}
