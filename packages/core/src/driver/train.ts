/**
 * The driver API: train a model and sample from it on any engine. The code that calls these is the
 * same for every backend; only the engine passed in differs (eagerEngine(ops) from a TensorOps
 * adapter, or @scm/onnx's compiled engine).
 */
import type { DataSource } from '../data/index.js';
import type { Model } from '../models/index.js';
import { toDevice, type HostParams, type HostTensor } from '../nn/params.js';
import type { GenerateOptions } from '../samplers/index.js';
import type { TrainConfig } from '../train/config.js';
import { runLoop, type LogEntry } from '../train/loop.js';
import { initState, makeOptimizer, type TrainState } from '../train/state.js';
import type { StepContext } from '../train/step.js';
import type { Engine } from './engine.js';

/** What {@link train} trains, on what, and how. */
export interface TrainOptions {
  /** The network to train. */
  readonly model: Model;
  /** Where batches come from, in model units. */
  readonly data: DataSource;
  /** Its `mode` picks the objective (teacher, scd, sct) and `steps` the length of the run. */
  readonly config: TrainConfig;
  /** sCD: the teacher network and its weights (usually its EMA). */
  readonly teacher?: {
    /** The teacher's network. */
    readonly model: Model;
    /** The teacher's weights. */
    readonly params: HostParams;
  };
  /** Initial weights; a student starts from its teacher's (the logvar head is re-initialised). */
  readonly init?: HostParams;
  /** Called every `logEvery` steps (default: 10 times per run) with the mean loss since the last call. */
  readonly onLog?: (entry: LogEntry) => void;
  /** Steps between `onLog` calls. Default: a tenth of the run. */
  readonly logEvery?: number;
}

/** Trains `config.steps` steps on `engine`; the final state (weights, EMA, optimiser) on the host. */
export async function train(engine: Engine, opts: TrainOptions): Promise<TrainState<HostTensor>> {
  const o = engine.ops;
  const { model, data, config } = opts;
  const teacher = opts.teacher ? { model: opts.teacher.model, params: toDevice(o, opts.teacher.params) } : undefined;
  const ctx: StepContext<unknown> = { model, data, config, optimizer: makeOptimizer(config), ...(teacher ? { teacher } : {}) };
  try {
    const session = await engine.startTraining(ctx, initState(o, model, config, opts.init));
    try {
      await runLoop(session.stepper, {
        until: config.steps,
        logEvery: opts.logEvery ?? Math.max(1, Math.floor(config.steps / 10)),
        checkpointEvery: config.steps,
        ...(opts.onLog ? { onLog: opts.onLog } : {}),
      });
      return await session.hostState();
    } finally {
      await session.close();
    }
  } finally {
    if (teacher) o.dispose(Object.values(teacher.params));
  }
}

/** `opts.n` samples of `model` with weights `params` on `engine`, in model units (`data.toData` maps them back). */
export function sample(engine: Engine, model: Model, params: HostParams, sigmaD: number, opts: GenerateOptions): Promise<Float32Array> {
  return engine.generate(model, params, sigmaD, opts);
}
