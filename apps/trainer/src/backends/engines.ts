/**
 * The training engine behind --backend: @scm/core's eager engine on the run's TensorOps (wasm or
 * cpu), or @scm/onnx's on onnxruntime-node. Both write the same checkpoints, so a run can continue
 * on either.
 */
import { eagerEngine, type StepContext, type TrainSession, type TrainState } from '@scm/core';
import type { BackendName } from '../options/args.js';
import type { Ops } from './backend.js';
import { UsageError } from '../options/errors.js';
import { loadOnnx, onnxEngine, sessionOptions } from './onnx.js';

export interface TrainEngine extends TrainSession {
  /** What computes the steps, for the progress note. */
  readonly name: string;
}

/**
 * A session for `ctx` starting from `initial` (a state on `o`, which the session takes over).
 * `ctx.teacher`'s params stay the caller's.
 */
export type EngineFactory = (o: Ops, ctx: StepContext<unknown>, initial: TrainState<unknown>) => Promise<TrainEngine>;

export function engineFor(backend: BackendName): EngineFactory {
  if (backend !== 'onnx') return async (o, ctx, initial) => ({ name: o.name, ...(await eagerEngine(o).startTraining(ctx, initial)) });
  return async (o, ctx, initial) => {
    const engine = await onnxEngine(o);
    try {
      return { name: `onnxruntime-node (${sessionOptions().intraOpNumThreads} threads)`, ...(await engine.startTraining(ctx, initial)) };
    } catch (e) {
      // Dropout, for one: its masks are drawn per step, which a compiled graph cannot do.
      if (e instanceof (await loadOnnx()).CompileError) throw new UsageError(`--backend onnx cannot train this run: ${e.message}`);
      throw e;
    }
  };
}
