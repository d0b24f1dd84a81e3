/**
 * ONNX Runtime Web sessions on the exported 1- and 2-step samplers (one graph each: noise, label
 * and guidance in, pixels out). Shared by the page's thread (WebGPU) and the WASM worker.
 */
import * as ort from 'onnxruntime-web';
import { Rng } from '@scm/core';
import { OnnxSampler } from '@scm/onnx';
import type { GenerateRequest } from './generator.js';
import { STEPS, type Steps } from './public-files.js';

export type Provider = 'webgpu' | 'wasm';

export interface SamplerSetup {
  readonly provider: Provider;
  /** ort.env.wasm.numThreads: taken once, by the first session of this ONNX Runtime instance. */
  readonly threads: number;
  /** Where ONNX Runtime's .mjs and .wasm are: our folder, not a CDN, so the page works offline. */
  readonly wasmPaths: string;
  /** Values per image (height x width x channels), for the noise. */
  readonly imageValues: number;
}

export type RunSampler = (request: GenerateRequest) => Promise<Float32Array>;

export async function openSamplers(models: Readonly<Record<Steps, Uint8Array>>, setup: SamplerSetup): Promise<RunSampler> {
  ort.env.wasm.wasmPaths = setup.wasmPaths;
  ort.env.wasm.numThreads = setup.threads;
  // Errors only: its warning that shape ops stay on the CPU under WebGPU is by design, yet reads as a fault.
  const options = { executionProviders: [setup.provider], logSeverityLevel: 3 } as const;
  const samplers = new Map<Steps, OnnxSampler>();
  for (const steps of STEPS) samplers.set(steps, await OnnxSampler.create(ort, models[steps], options));
  return (r) => {
    // The noise core's generate() draws for this seed, so every backend draws the same digits.
    const rng = new Rng(r.seed);
    const noise = Object.fromEntries(Array.from({ length: r.steps }, (_, i) => [`z${i}`, rng.normal(r.count * setup.imageValues)]));
    const inputs = { ...noise, label: new Int32Array(r.count).fill(r.label), guidance: new Float32Array(r.count).fill(r.guidance) };
    return samplers.get(r.steps)!.run(inputs, r.count);
  };
}
