/**
 * The backend-agnostic training loop: steps, periodic logs and checkpoints through callbacks. It
 * drives a `Stepper`, so the eager TensorOps step and a compiled one (an ONNX Runtime trainer)
 * share the logging, ETA, checkpoint cadence and skip accounting.
 */
import type { TensorOps } from '../tensor/ops.js';
import { lrAt } from '../optim/schedule.js';
import type { TrainState } from './state.js';
import { trainStep, type StepContext } from './step.js';

/** A progress report of {@link runLoop}, every `logEvery` steps and at the end. */
export interface LogEntry {
  /** Steps completed. */
  readonly step: number;
  /** Mean loss over the steps since the last log. */
  readonly loss: number;
  /** Mean gradient norm (before clipping) over the applied steps since the last log. */
  readonly gradNorm: number;
  /** The learning rate of the latest step. */
  readonly lr: number;
  /** Steps skipped for a non-finite gradient since the run began. */
  readonly skipped: number;
  /** Steps per second since this loop started. */
  readonly stepsPerSec: number;
  /** Seconds since this loop started. */
  readonly elapsedSec: number;
  /** Estimated seconds to `until` at the current rate. */
  readonly etaSec: number;
}

/** What one step reports, as host numbers. */
export interface StepStats {
  /** The step's loss. */
  readonly loss: number;
  /** The gradient's global L2 norm before clipping. */
  readonly gradNorm: number;
  /** The learning rate the step used. */
  readonly lr: number;
  /** False when the step was skipped for a non-finite gradient. */
  readonly applied: boolean;
}

/** The counters every run state carries. */
export interface StepCounts {
  /** Steps completed. */
  readonly step: number;
  /** Optimiser steps skipped because the gradient norm was NaN or Inf. */
  readonly skipped: number;
}

/** Anything that trains one step at a time and keeps its own state. */
export interface Stepper<S extends StepCounts> {
  /** The state after the last step: what checkpoints are written from. */
  readonly state: S;
  /** Trains one step, advancing `state`. */
  step(): StepStats | Promise<StepStats>;
}

/** Options of {@link runLoop} and {@link trainLoop}. */
export interface LoopOptions<S> {
  /** Train until this many steps are done in total. */
  readonly until: number;
  /** Call `onLog` whenever the step count is a multiple of this (and at the end). */
  readonly logEvery: number;
  /** Call `onCheckpoint` whenever the step count is a multiple of this (and at the end). */
  readonly checkpointEvery: number;
  /** Receives progress reports. */
  readonly onLog?: (entry: LogEntry) => void;
  /** Called every checkpointEvery steps and at the end; awaited, so a checkpoint is complete before training goes on. */
  readonly onCheckpoint?: (state: S) => Promise<void>;
  /** The clock in milliseconds, for the rates and ETA. Default performance.now. */
  readonly now?: () => number;
}

/** Steps `stepper` until `opts.until` steps are done; returns its final state. */
export async function runLoop<S extends StepCounts>(stepper: Stepper<S>, opts: LoopOptions<S>): Promise<S> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const startStep = stepper.state.step;
  let lossSum = 0;
  let normSum = 0;
  let count = 0;
  while (stepper.state.step < opts.until) {
    const out = await stepper.step();
    if (out.applied) {
      lossSum += out.loss;
      normSum += out.gradNorm;
      count++;
    }
    const s = stepper.state;
    const last = s.step === opts.until;
    if (opts.onLog && (s.step % opts.logEvery === 0 || last)) {
      const elapsed = (now() - start) / 1000;
      const rate = (s.step - startStep) / Math.max(elapsed, 1e-9);
      opts.onLog({
        step: s.step,
        loss: count > 0 ? lossSum / count : NaN,
        gradNorm: count > 0 ? normSum / count : NaN,
        lr: out.lr,
        skipped: s.skipped,
        stepsPerSec: rate,
        elapsedSec: elapsed,
        etaSec: (opts.until - s.step) / rate,
      });
      lossSum = 0;
      normSum = 0;
      count = 0;
    }
    if (opts.onCheckpoint && (s.step % opts.checkpointEvery === 0 || last)) await opts.onCheckpoint(s);
  }
  return stepper.state;
}

/** The eager step on a TensorOps as a Stepper: each step replaces the state's tensors. */
export class EagerStepper<T> implements Stepper<TrainState<T>> {
  constructor(
    private readonly o: TensorOps<T>,
    private readonly ctx: StepContext<T>,
    public state: TrainState<T>,
  ) {}

  /** One eager step; reads back three scalars (loss, gradient norm, applied) so the skip count is exact. */
  step(): StepStats {
    const { o } = this;
    const out = trainStep(o, this.ctx, this.state);
    // Reading three scalars is cheap next to a step, and the skip counter must be exact.
    const [loss, gradNorm, applied] = [out.loss, out.gradNorm, out.applied].map((t) => o.readSync(t)[0]);
    o.dispose([out.loss, out.gradNorm, out.applied]);
    this.state = { ...out.state, skipped: out.state.skipped + (applied === 1 ? 0 : 1) };
    return { loss, gradNorm, lr: lrAt(this.ctx.config.lr, this.state.step), applied: applied === 1 };
  }
}

/** {@link runLoop} with the eager step on `o` ({@link EagerStepper}): the usual way to train on a TensorOps backend. */
export function trainLoop<T>(o: TensorOps<T>, ctx: StepContext<T>, state: TrainState<T>, opts: LoopOptions<TrainState<T>>): Promise<TrainState<T>> {
  return runLoop(new EagerStepper(o, ctx, state), opts);
}
