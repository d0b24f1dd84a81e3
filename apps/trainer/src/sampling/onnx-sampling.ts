/** Sampling a run on ONNX Runtime, where a command runs with --backend onnx. */
import { createModel } from '@scm/core';
import type { LoadedRun, Weights } from '../run/run-folder.js';
import type { BackendName } from '../options/args.js';
import type { Ops } from '../backends/backend.js';
import { dataOf, describeSampler, drawSamples, generateOptions, nfeOf, type DrawOptions, type Sampleable } from './sampling.js';
import { onnxEngine } from '../backends/onnx.js';

/**
 * The most network evaluations ONNX Runtime samples with, as one graph that unrolls them all: its
 * session takes time that grows faster than the graph (a 16x1 MLP's DDIM: 35 evaluations 5 s, 100
 * 26 s, 200 78 s, at every graph optimisation level), so longer samplers run on the eager backend.
 */
export const MAX_UNROLLED_EVALUATIONS = 64;

/**
 * drawSamples on the command's ops, or drawSamplesOnnx where the command runs on ONNX Runtime
 * (--backend onnx) and the sampler unrolls into a graph of at most MAX_UNROLLED_EVALUATIONS; `note`
 * hears when a longer one runs on the command's TensorFlow.js backend instead.
 */
export function drawSamplesOn(
  backend: BackendName | undefined,
  o: Ops,
  s: Sampleable,
  run: LoadedRun,
  weights: Weights,
  opts: DrawOptions,
  note?: (line: string) => void,
): Promise<Float32Array> {
  if (backend !== 'onnx') return drawSamples(o, s, opts);
  if (nfeOf(opts) <= MAX_UNROLLED_EVALUATIONS) return drawSamplesOnnx(run, opts, weights);
  note?.(
    `${describeSampler(opts)}: more than ${MAX_UNROLLED_EVALUATIONS} network evaluations, which ONNX Runtime would take minutes to build into one graph; ` +
      'sampling on TensorFlow.js wasm instead (the same seed draws the same samples), with progress',
  );
  return drawSamples(o, s, opts);
}

/**
 * n samples of a run in data coordinates on ONNX Runtime, through an exported sampler graph (a
 * teacher's ODE sampler with every network evaluation unrolled): the same noise, labels and guidance
 * as drawSamples on a TensorOps for the same options.
 */
export async function drawSamplesOnnx(run: LoadedRun, opts: DrawOptions, weights: Weights = 'ema'): Promise<Float32Array> {
  const model = createModel(run.meta.model);
  const sigmaD = run.meta.train.sigmaD;
  const x = await (await onnxEngine()).generate(model, run.state[weights], sigmaD, generateOptions(opts, sigmaD, model.numClasses));
  return dataOf(run.meta).toData(x);
}
