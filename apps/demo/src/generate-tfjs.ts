/**
 * Sampling with TensorFlow.js ops (WebGPU through @scm/webgpu): the pipeline on core's eager engine,
 * the model run op by op from its weights instead of as the exported graphs.
 */
import { eagerEngine, loadPipeline } from '@scm/core';
import { DEADLINES_MS, withDeadline } from './deadline.js';
import type { GenerateRequest, Generator, Progress } from './generation.js';
import { fetchModelFiles, servedFrom, type DemoModel } from './model-files.js';
import { describeTfjsBackend, tfjsOps } from './tfjs-ops.js';

export async function createTfjsGenerator(model: DemoModel, progress: Progress): Promise<Generator> {
  const files = await fetchModelFiles(model, false, progress);
  progress('Starting TensorFlow.js...');
  const { ops, backend, adapter } = await withDeadline(tfjsOps(), DEADLINES_MS.setup, 'starting TensorFlow.js');
  const pipe = await loadPipeline(model.url, { engine: eagerEngine(ops), fetch: servedFrom(model.url, files) });
  return {
    backend: describeTfjsBackend(backend),
    fallbackReason: adapter.reason,
    generate: async (r: GenerateRequest) => (await pipe.generate({ n: r.count, steps: r.steps, labels: r.label, guidance: r.guidance, seed: r.seed })).data,
    close: () => pipe.dispose(),
  };
}
