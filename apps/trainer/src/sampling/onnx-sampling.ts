/** Sampling a run on ONNX Runtime, where a command runs with --backend onnx. */
import { createModel } from '@scm/core';
import type { LoadedRun, Weights } from '../run/run-folder.js';
import type { BackendName } from '../options/args.js';
import type { Ops } from '../backends/backend.js';
import { consistencySteps, dataOf, drawSamples, sampleLabels, type DrawOptions, type Sampleable } from './sampling.js';
import { onnxEngine } from '../backends/onnx.js';

/** drawSamples on the command's ops, or drawSamplesOnnx where the command runs on ONNX Runtime (--backend onnx). */
export function drawSamplesOn(backend: BackendName | undefined, o: Ops, s: Sampleable, run: LoadedRun, weights: Weights, opts: DrawOptions): Promise<Float32Array> {
  return backend === 'onnx' ? drawSamplesOnnx(run, opts, weights) : drawSamples(o, s, opts);
}

/**
 * n samples of a run in data coordinates on ONNX Runtime, through an exported sampler graph (a
 * teacher's ODE sampler with every network evaluation unrolled): the same noise, labels and guidance
 * as drawSamples on a TensorOps for the same options.
 */
export async function drawSamplesOnnx(run: LoadedRun, opts: DrawOptions, weights: Weights = 'ema'): Promise<Float32Array> {
  const model = createModel(run.meta.model);
  const labels = sampleLabels(model.numClasses, opts);
  const x = await (await onnxEngine()).generate(model, run.state[weights], run.meta.train.sigmaD, {
    sampler: opts.sampler,
    ...(opts.sampler === 'consistency' ? { steps: consistencySteps(opts, run.meta.train.sigmaD) } : {}),
    ...(opts.nfe !== undefined ? { nfe: opts.nfe } : {}),
    n: opts.n,
    seed: opts.seed,
    ...(labels ? { labels } : {}),
    ...(opts.guidance !== undefined ? { guidance: opts.guidance } : {}),
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  });
  return dataOf(run.meta).toData(x);
}
