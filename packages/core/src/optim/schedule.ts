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

/** The learning rate of 1-based optimiser step `step`. */
export function lrAt(schedule: LrSchedule, step: number): number {
  checkSchedule(schedule);
  checkStep('lrAt', step);
  if (schedule.kind === 'constant') return schedule.lr;
  const { lr, refSteps, warmupSteps } = schedule;
  const warmup = warmupSteps > 0 ? Math.min(step / warmupSteps, 1) : 1;
  return (warmup * lr) / Math.sqrt(Math.max(step / refSteps, 1));
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
    default:
      throw new Error(
        `unknown lr schedule kind '${(schedule as { kind: unknown }).kind}' (expected 'constant' or 'inverse-sqrt')`,
      );
  }
}
