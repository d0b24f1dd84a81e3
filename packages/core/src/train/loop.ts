/** The backend-agnostic training loop: steps, periodic logs and checkpoints through callbacks. */
import type { TensorOps } from '../tensor/ops.js';
import { lrAt } from '../optim/schedule.js';
import type { TrainState } from './state.js';
import { trainStep, type StepContext } from './step.js';

export interface LogEntry {
  readonly step: number;
  /** Mean loss over the steps since the last log. */
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  readonly skipped: number;
  readonly stepsPerSec: number;
  readonly elapsedSec: number;
  readonly etaSec: number;
}

export interface LoopOptions<T> {
  /** Train until this many steps are done in total. */
  readonly until: number;
  readonly logEvery: number;
  readonly checkpointEvery: number;
  readonly onLog?: (entry: LogEntry) => void;
  /** Called every checkpointEvery steps and at the end; awaited, so a checkpoint is complete before training goes on. */
  readonly onCheckpoint?: (state: TrainState<T>) => Promise<void>;
  readonly now?: () => number;
}

export async function trainLoop<T>(o: TensorOps<T>, ctx: StepContext<T>, state: TrainState<T>, opts: LoopOptions<T>): Promise<TrainState<T>> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const startStep = state.step;
  let lossSum = 0;
  let normSum = 0;
  let count = 0;
  let s = state;
  while (s.step < opts.until) {
    const out = trainStep(o, ctx, s);
    // Reading three scalars is cheap next to a step, and the skip counter must be exact.
    const [loss, norm, applied] = [out.loss, out.gradNorm, out.applied].map((t) => o.readSync(t)[0]);
    o.dispose([out.loss, out.gradNorm, out.applied]);
    s = { ...out.state, skipped: out.state.skipped + (applied === 1 ? 0 : 1) };
    if (applied === 1) {
      lossSum += loss;
      normSum += norm;
      count++;
    }
    const last = s.step === opts.until;
    if (opts.onLog && (s.step % opts.logEvery === 0 || last)) {
      const elapsed = (now() - start) / 1000;
      const rate = (s.step - startStep) / Math.max(elapsed, 1e-9);
      opts.onLog({
        step: s.step,
        loss: count > 0 ? lossSum / count : NaN,
        gradNorm: count > 0 ? normSum / count : NaN,
        lr: lrAt(ctx.config.lr, s.step),
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
  return s;
}
