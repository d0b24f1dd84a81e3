/**
 * The training engines behind --backend, one small factory each: what the one training driver
 * (training.ts) needs of an engine is a Stepper for core's runLoop and the run's state on the host
 * at each checkpoint. The eager engine runs core's step on the TensorOps the run was set up on (wasm
 * or cpu); the onnx engine (onnx-backend.ts) a compiled step on ONNX Runtime. Both write the same
 * checkpoints, so a run can continue on either.
 */
import { disposeState, EagerStepper, snapshot, type HostTensor, type StepContext, type StepCounts, type Stepper, type TrainState } from '@scm/core';
import type { BackendName } from './args.js';
import type { Ops } from './backend.js';
import { onnxEngine } from './onnx-backend.js';

export interface TrainEngine {
  /** What computes the steps, for the progress note. */
  readonly name: string;
  readonly stepper: Stepper<StepCounts>;
  /** The state after the last step, on the host (a copy): what a checkpoint holds. */
  hostState(): Promise<TrainState<HostTensor>>;
  /** Frees the engine's tensors or session, the final state included. */
  close(): Promise<void>;
}

/**
 * An engine for `ctx` starting from `initial` (a state on `o`, which the engine takes over).
 * `ctx.teacher`'s params stay the caller's.
 */
export type EngineFactory = (o: Ops, ctx: StepContext<unknown>, initial: TrainState<unknown>) => Promise<TrainEngine>;

/** core's eager step on `o`. */
export const eagerEngine: EngineFactory = async (o, ctx, initial) => {
  const stepper = new EagerStepper(o, ctx, initial);
  return {
    name: o.name,
    stepper,
    hostState: async () => ({ ...stepper.state, ...(await snapshot(o, stepper.state)) }),
    close: async () => disposeState(o, stepper.state),
  };
};

export function engineFor(backend: BackendName): EngineFactory {
  return backend === 'onnx' ? onnxEngine : eagerEngine;
}
