/**
 * Sampling with ONNX Runtime Web: on its WebGPU provider in the page's thread, or on WASM in a
 * worker (ort-worker.ts) with as many threads as the page may have.
 */
import { DEADLINES_MS, withDeadline } from './deadline.js';
import type { Generator, Progress } from './generation.js';
import { fetchModelFiles, type DemoModel, type ModelFiles } from './model-files.js';
import { openSamplers, type Provider, type SamplerSetup } from './ort-samplers.js';
import { openWasmWorker, WasmWorkerLoadError } from './ort-wasm-worker.js';
import { ORT_WASM_DIR } from './public-files.js';
import { plural, wasmThreads } from './wasm-threads.js';

const PROVIDER_NAMES: Record<Provider, string> = { webgpu: 'WebGPU', wasm: 'WASM' };

/** On 'webgpu', a provider that cannot start falls back to 'wasm', and the generator says why. */
export async function createOrtGenerator(model: DemoModel, provider: Provider, progress: Progress): Promise<Generator> {
  const files = await fetchModelFiles(model, true, progress);
  const setup = { wasmPaths: new URL(ORT_WASM_DIR, document.baseURI).href };
  if (provider === 'webgpu') {
    try {
      progress('Starting ONNX Runtime on WebGPU and creating its sessions...');
      // One thread: this instance runs in the page's thread, which threads under the WebGPU provider block (ort-worker.ts).
      const samplers = await withDeadline(openSamplers(model.url.href, files, { ...setup, provider, threads: 1 }), DEADLINES_MS.setup, 'ONNX Runtime session creation on WebGPU');
      return { backend: backendName(provider), generate: samplers.run, close: samplers.close };
    } catch (error) {
      const reason = `ONNX Runtime could not start WebGPU: ${error instanceof Error ? error.message : String(error)}`;
      return { ...(await wasmGenerator(model, files, setup, progress)), fallbackReason: reason };
    }
  }
  return wasmGenerator(model, files, setup, progress);
}

async function wasmGenerator(model: DemoModel, files: ModelFiles, setup: Omit<SamplerSetup, 'provider' | 'threads'>, progress: Progress): Promise<Generator> {
  const { threads } = wasmThreads();
  progress(`Starting ONNX Runtime on WASM (${plural(threads, 'thread')}) and creating its sessions...`);
  try {
    const worker = await openWasmWorker(model.url.href, files, { ...setup, provider: 'wasm', threads });
    return { backend: backendName('wasm'), threads, generate: (r) => worker.run(r), close: () => worker.close() };
  } catch (error) {
    if (!(error instanceof WasmWorkerLoadError)) throw error;
    // E.g. a host that sent COOP/COEP with the page alone: its thread still runs WASM, on one thread as it runs WebGPU.
    const samplers = await withDeadline(openSamplers(model.url.href, files, { ...setup, provider: 'wasm', threads: 1 }), DEADLINES_MS.setup, 'ONNX Runtime session creation on WASM');
    return { backend: backendName('wasm'), threads: 1, fallbackReason: `${error.message}; WASM runs on the page's thread`, generate: samplers.run, close: samplers.close };
  }
}

const backendName = (provider: Provider) => `ONNX Runtime Web on ${PROVIDER_NAMES[provider]}`;
