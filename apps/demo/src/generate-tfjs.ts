/**
 * Sampling with core's generate() on TensorFlow.js ops (WebGPU through @scm/webgpu): the same
 * weights as the ONNX graphs, the model run op by op instead of as one exported graph.
 */
import { createModel, decodeSafetensors, generate, toDevice, type HostParams } from '@scm/core';
import type { DataTransform } from '@scm/onnx';
import { fetchBytes, type GenerateRequest, type Generator, type LoadedManifest } from './generator.js';
import { describeTfjsBackend, tfjsOps } from './tfjs-ops.js';

export async function createTfjsGenerator({ manifest, base }: LoadedManifest): Promise<Generator> {
  const [{ ops, backend, adapter }, bytes] = await Promise.all([tfjsOps(), fetchBytes(new URL(manifest.files.weights, base))]);
  const host: HostParams = {};
  for (const [name, t] of Object.entries(decodeSafetensors(bytes).tensors)) {
    if (t.dtype !== 'F32') throw new Error(`${manifest.files.weights}: tensor ${name} is ${t.dtype}, expected F32`);
    host[name] = { shape: t.shape, data: t.data };
  }
  const model = createModel(manifest.model);
  const params = toDevice(ops, host);
  return {
    backend: describeTfjsBackend(backend),
    fallbackReason: adapter.reason,
    async generate(r: GenerateRequest) {
      const x = await generate(ops, model, params, manifest.sigmaD, {
        sampler: 'consistency',
        steps: r.steps,
        n: r.count,
        seed: r.seed,
        labels: new Int32Array(r.count).fill(r.label),
        guidance: r.guidance,
      });
      return toData(x, manifest.dataTransform);
    },
  };
}

/** What the ONNX samplers do in their graph: model units to pixels, x / scale + mean per channel. */
function toData(x: Float32Array, { scale, mean }: DataTransform): Float32Array {
  return x.map((v, i) => v / scale + mean[i % mean.length]);
}
