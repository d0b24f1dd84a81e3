/**
 * ONNX Runtime as an engine for @scm/core's driver (train, sample).
 *
 * Training: the run is set up on the engine's host-side ops, its state and the sCD teacher move to
 * the host, and OnnxTrainer runs the whole step as one compiled graph, drawing every step's random
 * numbers on the host from the run's stream, so its states are those of the eager engine (to float32
 * rounding) and either engine continues the other's run.
 *
 * Sampling: the weights as one exported sampler graph (consistency, or a teacher's ODE sampler
 * unrolled), fed the noise core's generate() draws for the same seed, chunk by chunk, so a seed gives
 * the eager engine's samples.
 *
 * onnxruntime-node is an optional peer dependency, imported on first use unless `ort` is given.
 */
import {
  disposeState,
  snapshot,
  toHost,
  type Engine,
  type HostTensor,
  type StepContext,
  type TensorOps,
} from '@scm/core';
import { ReferenceOps } from '@scm/core/testing';
import type { InferenceSession } from 'onnxruntime-common';
import { exportSampler } from './export/sampler.js';
import { OnnxSampler, type OrtModule } from './runtime/sampler.js';
import { OnnxTrainer } from './train/trainer.js';

/** Options of {@link createOnnxEngine}. */
export interface OnnxEngineOptions {
  /** The runtime module, onnxruntime-node or onnxruntime-web; default: onnxruntime-node, imported here. */
  readonly ort?: OrtModule;
  /**
   * What sets runs up (initial state, teacher weights) before they move to ONNX Runtime; default
   * core's float64 reference ops, which only copy and initialise tensors here.
   */
  readonly ops?: TensorOps<unknown>;
  /** Merged over the trainer's and sampler's defaults. */
  readonly sessionOptions?: InferenceSession.SessionOptions;
}

async function importOnnxruntimeNode(): Promise<OrtModule> {
  // A variable specifier keeps bundlers (browser builds) from pulling in the Node-only module.
  const specifier = 'onnxruntime-node';
  try {
    return (await import(specifier)) as unknown as OrtModule;
  } catch (e) {
    const reason = (e as Error).message?.split('\n')[0] ?? String(e);
    throw new Error(`the ONNX Runtime engine needs onnxruntime-node (npm install onnxruntime-node), or pass { ort } (onnxruntime-web): ${reason}`);
  }
}

/**
 * An engine (core's driver API: `train`, `sample`) on ONNX Runtime: each training step is one
 * compiled ONNX graph ({@link compileTrainStep}, run by {@link OnnxTrainer}); sampling runs an
 * exported sampler ({@link exportSampler}, run by {@link OnnxSampler}): consistency sampling, or a
 * teacher sampler with its network evaluations unrolled into the graph.
 *
 * @throws Error when onnxruntime-node cannot be imported and no `ort` is given, saying what to install.
 */
export async function createOnnxEngine(options: OnnxEngineOptions = {}): Promise<Engine> {
  const ort = options.ort ?? (await importOnnxruntimeNode());
  const o = options.ops ?? (new ReferenceOps() as unknown as TensorOps<unknown>);
  const threads = options.sessionOptions?.intraOpNumThreads;
  return {
    name: `onnxruntime${threads ? ` (${threads} threads)` : ''}`,
    ops: o,
    startTraining: async (ctx, initial) => {
      const host = { ...initial, ...(await snapshot(o, initial)) };
      disposeState(o, initial);
      const teacher = ctx.teacher ? { model: ctx.teacher.model, params: await toHost(o, ctx.teacher.params) } : undefined;
      const hostCtx: StepContext<HostTensor> = { model: ctx.model, config: ctx.config, data: ctx.data, optimizer: ctx.optimizer, ...(teacher ? { teacher } : {}) };
      const trainer = await OnnxTrainer.create(ort, hostCtx, host, options.sessionOptions ? { sessionOptions: options.sessionOptions } : {});
      return { stepper: trainer, hostState: async () => trainer.snapshot(), close: () => trainer.release() };
    },
    generate: async (model, params, sigmaD, opts) => {
      if (!Number.isInteger(opts.n) || opts.n < 1) throw new Error(`the number of samples must be a positive integer, got ${opts.n}`);
      if (model.numClasses > 0 && !opts.labels) throw new Error('this model is class-conditional: pass labels');
      const consistency = opts.sampler === 'consistency';
      const steps = opts.steps ?? 1;
      // Fixed in the graph as generate() applies it: scale 1 (no guidance batch) unless given.
      const takesGuidance = model.numClasses > 0 || model.guidanceInput;
      const bytes = exportSampler(model, params, {
        sampler: opts.sampler,
        ...(consistency ? { steps } : opts.nfe !== undefined ? { nfe: opts.nfe } : {}),
        sigmaD,
        ...(takesGuidance ? { guidance: opts.guidance ?? 1 } : {}),
      });
      const sampler = await OnnxSampler.create(ort, bytes, options.sessionOptions);
      try {
        const { n, seed, labels, batch, onBatch } = opts;
        return await sampler.sample({ n, seed, ...(labels ? { labels } : {}), ...(batch ? { batch } : {}), ...(onBatch ? { onBatch } : {}) });
      } finally {
        await sampler.release();
      }
    },
    openSampler: (graph) => OnnxSampler.create(ort, graph, options.sessionOptions),
  };
}
