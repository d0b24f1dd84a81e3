/**
 * --backend onnx and scm export: ONNX Runtime (onnxruntime-node) through @scm/onnx.
 *
 * Training and sampling use @scm/onnx's engine (see engines.ts); this module loads it and exports a
 * run's sampler or denoiser for `scm export`. @scm/onnx and onnxruntime-node are imported on first
 * use, so the other backends never load them.
 */
import { availableParallelism } from 'node:os';
import { createModel, type Engine, type TensorOps } from '@scm/core';
import type { DataTransform, OrtModule } from '@scm/onnx';
import { RunError, UsageError } from './errors.js';
import type { LoadedRun, Weights } from './run-folder.js';
import type { BackendName } from './args.js';
import type { Ops } from './backend.js';
import { consistencySteps, dataOf, drawSamples, sampleLabels, type DrawOptions, type Sampleable } from './sampling.js';

type OnnxModule = typeof import('@scm/onnx');

let onnxModule: Promise<OnnxModule> | undefined;
let ortModule: Promise<OrtModule> | undefined;

/** @scm/onnx (exporters, trainer, sampler), loaded once. */
export function loadOnnx(): Promise<OnnxModule> {
  onnxModule ??= import('@scm/onnx');
  return onnxModule;
}

/** onnxruntime-node, loaded once; a failure to load it is a one-line error that says what to do. */
export function loadOrt(): Promise<OrtModule> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => m as unknown as OrtModule,
    (e: unknown) => {
      ortModule = undefined;
      throw new RunError(`--backend onnx needs onnxruntime-node, which could not be loaded (${(e as Error).message?.split('\n')[0] ?? String(e)})`);
    },
  );
  return ortModule;
}

/** Sessions use every core for one operator at a time (the graphs are chains of small operators). */
export const sessionOptions = () => ({ intraOpNumThreads: availableParallelism(), logSeverityLevel: 3 as const });

/** @scm/onnx's engine on onnxruntime-node; `ops` (the run's TensorOps) sets runs up. */
export async function onnxEngine(ops?: TensorOps<unknown>): Promise<Engine> {
  const [{ createOnnxEngine }, ort] = await Promise.all([loadOnnx(), loadOrt()]);
  return createOnnxEngine({ ort, sessionOptions: sessionOptions(), ...(ops ? { ops } : {}) });
}

// ---- sampler export --------------------------------------------------------------------------

export interface SamplerExport {
  /** Consistency steps. */
  readonly steps: number;
  /** The first intermediate time of 2 or more steps (default the paper's). */
  readonly midT?: number;
  /** Fixed in the graph; omitted, models that take guidance read it from a `guidance` input. */
  readonly guidance?: number;
  /** Fixed batch; omitted, any batch. */
  readonly batch?: number;
}

/**
 * The run's consistency sampler on its EMA weights as ONNX bytes, with samples in data coordinates
 * where the run's data maps back affinely (`transformed`); else in model units.
 */
export async function exportRunSampler(run: LoadedRun, opts: SamplerExport): Promise<{ bytes: Uint8Array; transformed: boolean }> {
  const { exportSampler } = await loadOnnx();
  const model = createModel(run.meta.model);
  const affine: DataTransform | undefined = dataOf(run.meta).affine;
  const bytes = exportSampler(model, run.state.ema, {
    steps: consistencySteps({ sampler: 'consistency', ...opts }, run.meta.train.sigmaD),
    sigmaD: run.meta.train.sigmaD,
    ...(opts.guidance !== undefined ? { guidance: opts.guidance } : {}),
    ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
    ...(affine ? { dataTransform: affine } : {}),
    // A student's guidance input knows the scales it was distilled at, s ~ U[1, guidanceMax].
    ...(model.guidanceInput && run.meta.train.guidanceMax >= 1 ? { guidanceRange: [1, run.meta.train.guidanceMax] as const } : {}),
  });
  return { bytes, transformed: affine !== undefined };
}

export async function exportRunDenoiser(run: LoadedRun, opts: { batch?: number }): Promise<Uint8Array> {
  const { exportDenoiser } = await loadOnnx();
  return exportDenoiser(createModel(run.meta.model), run.state.ema, {
    sigmaD: run.meta.train.sigmaD,
    ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
  });
}

/** An input or output of an ONNX model: its element type (ONNX's TensorProto.DataType) and dims, a name where symbolic. */
export interface ModelValue {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | string)[];
}

/** The declared inputs and outputs of ONNX model bytes. */
export async function modelIo(bytes: Uint8Array): Promise<{ inputs: ModelValue[]; outputs: ModelValue[] }> {
  const { decodeModel } = await loadOnnx();
  const graph = decodeModel(bytes).graph!;
  type Value = NonNullable<typeof graph.input>[number];
  const value = (v: Value): ModelValue => {
    const t = v.type?.tensorType;
    return { name: v.name ?? '', elemType: t?.elemType ?? 0, dims: (t?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue ?? NaN)) };
  };
  return { inputs: (graph.input ?? []).map(value), outputs: (graph.output ?? []).map(value) };
}

const ELEM_TYPES: Record<number, string> = { 1: 'float32', 7: 'int64' };

/** "name  type [dims]" for each input and output of a model, for people reading the export. */
export async function describeModelIo(bytes: Uint8Array): Promise<{ inputs: string[]; outputs: string[] }> {
  const { inputs, outputs } = await modelIo(bytes);
  const width = Math.max(...[...inputs, ...outputs].map((v) => v.name.length)) + 2;
  const line = (v: ModelValue) => `${v.name.padEnd(width)}${ELEM_TYPES[v.elemType] ?? `type ${v.elemType}`} [${v.dims.map((d) => (Number.isNaN(d) ? '?' : String(d))).join(', ')}]`;
  return { inputs: inputs.map(line), outputs: outputs.map(line) };
}

// ---- sampling --------------------------------------------------------------------------------

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
