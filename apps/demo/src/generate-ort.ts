/**
 * Sampling with ONNX Runtime Web: the exported 1- and 2-step samplers (one graph each, noise in,
 * pixels out) on its WebGPU execution provider, or on its wasm one.
 */
import * as ort from 'onnxruntime-web';
import { Rng } from '@scm/core';
import { OnnxSampler } from '@scm/onnx';
import { ORT_WASM_DIR, STEPS, type Steps } from './public-files.js';
import { fetchBytes, type GenerateRequest, type Generator, type LoadedManifest } from './generator.js';

type Provider = 'webgpu' | 'wasm';

const PROVIDER_NAMES: Record<Provider, string> = { webgpu: 'WebGPU', wasm: 'WASM' };

/** On 'webgpu', a provider that cannot start falls back to 'wasm', and the generator says why. */
export async function createOrtGenerator({ manifest, base }: LoadedManifest, provider: Provider): Promise<Generator> {
  // The runtime comes from our folder, not a CDN, so the page works offline (vite.config.ts picks the build that asks for it).
  ort.env.wasm.wasmPaths = new URL(ORT_WASM_DIR, document.baseURI).href;
  const models = await Promise.all(STEPS.map((steps) => fetchBytes(new URL(manifest.files.sampler[steps], base))));
  const open = async (ep: Provider) => {
    // Errors only: its warning that shape ops stay on the CPU under WebGPU is by design, yet reads as a fault.
    const options = { executionProviders: [ep], logSeverityLevel: 3 } as const;
    const samplers = await Promise.all(models.map((bytes) => OnnxSampler.create(ort, bytes, options)));
    return new Map(STEPS.map((steps, i) => [steps, samplers[i]]));
  };
  let used = provider;
  let fallbackReason: string | undefined;
  let samplers: Map<Steps, OnnxSampler>;
  try {
    samplers = await open(provider);
  } catch (error) {
    if (provider === 'wasm') throw error;
    used = 'wasm';
    fallbackReason = `ONNX Runtime could not start WebGPU: ${error instanceof Error ? error.message : String(error)}`;
    samplers = await open('wasm');
  }
  const dim = manifest.model.imageSize ** 2 * manifest.model.channels;
  return {
    backend: `ONNX Runtime Web on ${PROVIDER_NAMES[used]}`,
    fallbackReason,
    generate(r: GenerateRequest) {
      const rng = new Rng(r.seed);
      const noise = Object.fromEntries(Array.from({ length: r.steps }, (_, i) => [`z${i}`, rng.normal(r.count * dim)]));
      const inputs = { ...noise, label: new Int32Array(r.count).fill(r.label), guidance: new Float32Array(r.count).fill(r.guidance) };
      return samplers.get(r.steps)!.run(inputs, r.count);
    },
  };
}
