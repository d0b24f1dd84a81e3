/**
 * Sampling with core's generate() on TensorFlow.js ops (WebGPU through @scm/webgpu): the same
 * weights as the ONNX graphs, the model run op by op instead of as one exported graph.
 */
import { createModel, decodeSafetensors, generate, toDevice, type HostParams } from '@scm/core';
import type { DataTransform } from '@scm/onnx';
import { DEADLINES_MS, withDeadline } from './deadline.js';
import { fetchFiles } from './fetch-bytes.js';
import type { GenerateRequest, Generator, LoadedManifest, Progress } from './generator.js';
import { describeTfjsBackend, tfjsOps } from './tfjs-ops.js';

export async function createTfjsGenerator({ manifest, base }: LoadedManifest, progress: Progress): Promise<Generator> {
  const [bytes] = await fetchFiles([new URL(manifest.files.weights, base)], progress);
  progress('Starting TensorFlow.js...');
  const { ops, backend, adapter } = await withDeadline(tfjsOps(), DEADLINES_MS.setup, 'starting TensorFlow.js');
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
