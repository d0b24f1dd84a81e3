/**
 * The pipeline on ONNX Runtime Web: @scm/onnx's engine runs the model's exported 1- and 2-step
 * samplers (one graph each: noise, label and guidance in, pixels out). Shared by the page's thread
 * (WebGPU) and the WASM worker.
 */
import * as ort from 'onnxruntime-web';
import { loadPipeline } from '@scm/core';
import { createOnnxEngine } from '@scm/onnx';
import type { GenerateRequest } from './generation.js';
import { servedFrom, type ModelFiles } from './model-files.js';
import { STEPS } from './public-files.js';

export type Provider = 'webgpu' | 'wasm';

export interface SamplerSetup {
  readonly provider: Provider;
  /** ort.env.wasm.numThreads: taken once, by the first session of this ONNX Runtime instance. */
  readonly threads: number;
  /** Where ONNX Runtime's .mjs and .wasm are: our folder, not a CDN, so the page works offline. */
  readonly wasmPaths: string;
}

export interface Samplers {
  run(request: GenerateRequest): Promise<Float32Array>;
  /** Releases both sessions. */
  close(): Promise<void>;
}

/** `base`: the model folder's URL; `files`: its files, already fetched by the page. */
export async function openSamplers(base: string, files: ModelFiles, setup: SamplerSetup): Promise<Samplers> {
  ort.env.wasm.wasmPaths = setup.wasmPaths;
  ort.env.wasm.numThreads = setup.threads;
  // Errors only: its warning that shape ops stay on the CPU under WebGPU is by design, yet reads as a fault.
  const engine = await createOnnxEngine({ ort, sessionOptions: { executionProviders: [setup.provider], logSeverityLevel: 3 } });
  const url = new URL(base);
  const pipe = await loadPipeline(url, { engine, fetch: servedFrom(url, files) });
  // The pipeline opens a sampler's session on its first batch: one image each opens both now, so a
  // runtime that cannot run them fails while setting up, not on the user's first click.
  for (const steps of STEPS) await pipe.generate({ n: 1, steps, labels: 0 });
  return {
    run: async (r) => (await pipe.generate({ n: r.count, steps: r.steps, labels: r.label, guidance: r.guidance, seed: r.seed })).data,
    close: () => pipe.dispose(),
  };
}
