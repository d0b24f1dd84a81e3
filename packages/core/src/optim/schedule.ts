/**
 * Learning-rate schedules as plain data (so a run's config and checkpoint can record them) evaluated
 * on the host; the result reaches the tensor update through `Optimizer.scalars`.
 */
import { checkNonNegative, checkPositive, checkStep } from './validate.js';

/** A learning-rate schedule as JSON-able data; evaluate it with {@link lrAt}. */
export type LrSchedule =
  | {
      /** The same rate at every step. */
      readonly kind: 'constant';
      /** The learning rate; > 0. */
      readonly lr: number;
    }
  | {
      /** EDM2's inverse square-root decay ({@link inverseSqrtLr}). */
      readonly kind: 'inverse-sqrt';
      /** The peak learning rate; > 0. */
      readonly lr: number;
      /** Steps at full lr before the 1/sqrt decay starts. */
      readonly refSteps: number;
      /** Length of the linear warm-up from 0; 0 for none. */
      readonly warmupSteps: number;
    }
  | {
      /** Half a cosine from lr towards 0 ({@link cosineLr}). */
      readonly kind: 'cosine';
      /** The peak learning rate; > 0. */
      readonly lr: number;
      /** The run's length: the rate falls from lr at step 1 to just above 0 at this step, and stays there after. */
      readonly decaySteps: number;
      /** Length of the linear warm-up from 0; 0 for none. */
      readonly warmupSteps: number;
    };

/**
 * A constant learning rate.
 *
 * @throws Error when lr is not a positive number.
 */
export function constantLr(lr: number): LrSchedule {
  return checkSchedule({ kind: 'constant', lr });
}

/** EDM2's schedule: lr / sqrt(max(step / refSteps, 1)), times min(step / warmupSteps, 1). */
export function inverseSqrtLr(options: { lr: number; refSteps: number; warmupSteps?: number }): LrSchedule {
  const { lr, refSteps, warmupSteps = 0 } = options;
  return checkSchedule({ kind: 'inverse-sqrt', lr, refSteps, warmupSteps });
}

/**
 * lr (1 + cos(pi (step - 1) / decaySteps)) / 2 up to step decaySteps, times min(step / warmupSteps, 1): a short run that ends
 * at a small rate ends with weights that no longer jitter around the optimum, which a constant rate
 * leaves to the EMA alone (the quick start's checkerboard teacher: in-support 0.82 -> 0.86 at 3000 steps).
 */
export function cosineLr(options: { lr: number; decaySteps: number; warmupSteps?: number }): LrSchedule {
  const { lr, decaySteps, warmupSteps = 0 } = options;
  return checkSchedule({ kind: 'cosine', lr, decaySteps, warmupSteps });
}

/** The learning rate of 1-based optimiser step `step`. */
export function lrAt(schedule: LrSchedule, step: number): number {
  checkSchedule(schedule);
  checkStep('lrAt', step);
  if (schedule.kind === 'constant') return schedule.lr;
  const warmup = schedule.warmupSteps > 0 ? Math.min(step / schedule.warmupSteps, 1) : 1;
  if (schedule.kind === 'cosine') {
    // Step 1 gets the full rate and the last a small positive one: optimisers refuse a rate of 0.
    const progress = (Math.min(step, schedule.decaySteps) - 1) / schedule.decaySteps;
    return (warmup * schedule.lr * (1 + Math.cos(Math.PI * progress))) / 2;
  }
  return (warmup * schedule.lr) / Math.sqrt(Math.max(step / schedule.refSteps, 1));
}

/** Schedules also arrive as parsed JSON, so lrAt re-checks what the constructors already did. */
function checkSchedule(schedule: LrSchedule): LrSchedule {
  const op = `lr schedule '${schedule.kind}'`;
  switch (schedule.kind) {
    case 'constant':
      checkPositive(op, 'lr', schedule.lr);
      return schedule;
    case 'inverse-sqrt':
      checkPositive(op, 'lr', schedule.lr);
      checkPositive(op, 'refSteps', schedule.refSteps);
      checkNonNegative(op, 'warmupSteps', schedule.warmupSteps);
      return schedule;
    case 'cosine':
      checkPositive(op, 'lr', schedule.lr);
      checkPositive(op, 'decaySteps', schedule.decaySteps);
      checkNonNegative(op, 'warmupSteps', schedule.warmupSteps);
      return schedule;
    default:
      throw new Error(
        `unknown lr schedule kind '${(schedule as { kind: unknown }).kind}' (expected 'constant', 'inverse-sqrt' or 'cosine')`,
      );
  }
}
