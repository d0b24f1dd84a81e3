/**
 * --backend onnx and scm export: ONNX Runtime (onnxruntime-node) as the engine.
 *
 * Training: the run is set up on wasm as for the eager path, its state and the sCD teacher move to
 * the host, and @scm/onnx's OnnxTrainer runs the whole step as one compiled graph, drawing every
 * step's random numbers on the host from the run's stream, so its checkpoints are those of the eager
 * path (to float32 rounding) and either path resumes the other's.
 *
 * Sampling: the run's EMA weights as one exported consistency-sampler graph (noise in, samples in
 * data coordinates out), fed the noise generate() draws for the same seed, chunk by chunk.
 *
 * @scm/onnx and onnxruntime-node are imported on first use, so the other backends never load them.
 */
import { availableParallelism } from 'node:os';
import { consistencyTimes, createModel, defaultSampleBatch, disposeState, Rng, snapshot, toHost, type HostTensor, type Model, type StepContext } from '@scm/core';
import type { DataTransform, OrtModule } from '@scm/onnx';
import type { EngineFactory } from './engine.js';
import { RunError, UsageError } from './errors.js';
import type { LoadedRun } from './run-folder.js';
import { dataOf, sampleLabels, type DrawOptions } from './sampling.js';

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

// ---- training --------------------------------------------------------------------------------

/** A compiled step on ONNX Runtime (see engine.ts): the state and the teacher move to the host; `initial` is freed. */
export const onnxEngine: EngineFactory = async (o, ctx, initial) => {
  const [{ OnnxTrainer, CompileError }, ort] = await Promise.all([loadOnnx(), loadOrt()]);
  const host = { ...initial, ...(await snapshot(o, initial)) };
  disposeState(o, initial);
  const teacher = ctx.teacher ? { model: ctx.teacher.model, params: await toHost(o, ctx.teacher.params) } : undefined;
  const hostCtx: StepContext<HostTensor> = { model: ctx.model, config: ctx.config, data: ctx.data, optimizer: ctx.optimizer, ...(teacher ? { teacher } : {}) };
  const options = sessionOptions();
  let trainer;
  try {
    trainer = await OnnxTrainer.create(ort, hostCtx, host, { sessionOptions: options });
  } catch (e) {
    // Dropout, for one: its masks are drawn per step, which a compiled graph cannot do.
    if (e instanceof CompileError) throw new UsageError(`--backend onnx cannot train this run: ${e.message}`);
    throw e;
  }
  return {
    name: `onnxruntime-node (${options.intraOpNumThreads} threads)`,
    stepper: trainer,
    hostState: async () => trainer.snapshot(),
    close: () => trainer.release(),
  };
};

// ---- sampler export --------------------------------------------------------------------------

export interface SamplerExport {
  /** Consistency steps. */
  readonly steps: number;
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
    steps: opts.steps,
    sigmaD: run.meta.train.sigmaD,
    ...(opts.guidance !== undefined ? { guidance: opts.guidance } : {}),
    ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
    ...(affine ? { dataTransform: affine } : {}),
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

const ELEM_TYPES: Record<number, string> = { 1: 'float32', 7: 'int64' };

/** "name  type [dims]" for each input and output of a model, for people reading the export. */
export async function describeModelIo(bytes: Uint8Array): Promise<{ inputs: string[]; outputs: string[] }> {
  const { decodeModel } = await loadOnnx();
  const graph = decodeModel(bytes).graph!;
  type Value = NonNullable<typeof graph.input>[number];
  const describe = (v: Value) => {
    const t = v.type?.tensorType;
    const dims = (t?.shape?.dim ?? []).map((d) => d.dimParam || String(d.dimValue ?? '?'));
    return { name: v.name ?? '', text: `${ELEM_TYPES[t?.elemType ?? 0] ?? `type ${t?.elemType}`} [${dims.join(', ')}]` };
  };
  const all = [...(graph.input ?? []), ...(graph.output ?? [])].map(describe);
  const width = Math.max(...all.map((d) => d.name.length)) + 2;
  const line = (d: { name: string; text: string }) => `${d.name.padEnd(width)}${d.text}`;
  return { inputs: (graph.input ?? []).map(describe).map(line), outputs: (graph.output ?? []).map(describe).map(line) };
}

// ---- sampling --------------------------------------------------------------------------------

/**
 * n consistency samples of a run in data coordinates, from its exported sampler on ONNX Runtime:
 * the same noise, labels and guidance as drawSamples on a TensorOps for the same options.
 */
export async function drawSamplesOnnx(run: LoadedRun, opts: DrawOptions): Promise<Float32Array> {
  if (opts.sampler !== 'consistency') {
    throw new UsageError(`--backend onnx samples consistency runs only (an exported sampler); sample with ${opts.sampler} on --backend wasm or cpu`);
  }
  const model: Model = createModel(run.meta.model);
  const steps = opts.steps ?? 1;
  const takesGuidance = model.numClasses > 0 || model.guidanceInput;
  // Fixed in the graph, as generate() applies it: scale 1 (no guidance batch) unless given.
  const { bytes, transformed } = await exportRunSampler(run, { steps, ...(takesGuidance ? { guidance: opts.guidance ?? 1 } : {}) });
  const [{ OnnxSampler }, ort] = await Promise.all([loadOnnx(), loadOrt()]);
  const sampler = await OnnxSampler.create(ort, bytes, sessionOptions());
  try {
    const dim = model.sampleShape.reduce((a, b) => a * b, 1);
    const draws = consistencyTimes(steps, run.meta.train.sigmaD).length;
    const labels = sampleLabels(model.numClasses, opts);
    const rng = new Rng(opts.seed);
    // generate() draws the noise chunk by chunk of its default batch; the same chunks give the same samples.
    const chunk = defaultSampleBatch(model.sampleShape);
    const out = new Float32Array(opts.n * dim);
    for (let start = 0; start < opts.n; start += chunk) {
      const n = Math.min(chunk, opts.n - start);
      const inputs: Record<string, Float32Array | Int32Array> = {};
      for (let i = 0; i < draws; i++) inputs[`z${i}`] = rng.normal(n * dim);
      if (labels) inputs.label = labels.subarray(start, start + n);
      out.set(await sampler.run(inputs, n), start * dim);
    }
    return transformed ? out : dataOf(run.meta).toData(out);
  } finally {
    await sampler.release();
  }
}
