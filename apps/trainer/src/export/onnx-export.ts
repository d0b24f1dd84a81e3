/** scm export and scm package: a run's consistency sampler or denoiser as ONNX bytes, and what a graph declares. */
import { createModel } from '@scm/core';
import type { DataTransform } from '@scm/onnx';
import type { LoadedRun } from '../run/run-folder.js';
import { consistencySteps, dataOf } from '../sampling/sampling.js';
import { loadOnnx } from '../backends/onnx.js';

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
