/** Training settings, stored as JSON in every checkpoint. */
import type { LrSchedule } from '../optim/schedule.js';
import { CONSISTENCY_PROPOSAL, TEACHER_PROPOSAL, type TimeProposal } from '../trigflow/schedule.js';

/**
 * What a run trains: 'teacher', a TrigFlow diffusion model; 'sct', a consistency model trained from
 * data (consistency training); 'scd', a consistency model distilled from a teacher (Lu & Song 2024,
 * Simplifying, Stabilizing and Scaling Continuous-Time Consistency Models (arXiv:2410.11081), sections 3 and 4).
 */
export type TrainMode = 'teacher' | 'sct' | 'scd';

/** How the EMA of the weights (which sampling uses) decays. */
export type EmaConfig =
  | {
      /** EDM2's power-function EMA, whose decay depends on the step. */
      readonly kind: 'power';
      /** Relative std of the averaging window (0.05 is EDM2's usual value); > 0. */
      readonly sigmaRel: number;
    }
  | {
      /** A constant decay with the given half-life. */
      readonly kind: 'halflife';
      /** Steps after which an update's weight in the average has halved; > 0. */
      readonly halfLifeSteps: number;
    };

/**
 * A run's training settings, stored as JSON in every checkpoint. Build one with
 * {@link defaultTrainConfig}, which fills in defaults and validates.
 */
export interface TrainConfig {
  /** Teacher, sCT or sCD. */
  readonly mode: TrainMode;
  /**
   * Total optimiser steps of the run. Non-negative integer: 0 for a run started but not trained yet
   * (its step-0 checkpoint), which a resume or another trainer continues to a total of its own.
   */
  readonly steps: number;
  /** Examples per step. Positive integer. */
  readonly batch: number;
  /** Seed of the run's random stream: the same seed gives the same run on every backend. */
  readonly seed: number;
  /** Per-element std of the data in model units (TrigFlow's sigma_d; 0.5 in the paper). > 0. */
  readonly sigmaD: number;
  /** Adam, or RAdam (Adam with the variance rectification of Liu et al. 2020). */
  readonly optimizer: 'adam' | 'radam';
  /** Adam's first-moment decay. Default 0.9. */
  readonly beta1: number;
  /** Adam's second-moment decay. Default 0.99, as the paper uses. */
  readonly beta2: number;
  /** Adam's epsilon. Default 1e-8. */
  readonly eps: number;
  /** The learning rate as a function of the step. */
  readonly lr: LrSchedule;
  /** Max global gradient norm; 0 switches clipping off. */
  readonly clip: number;
  /** The weights' EMA. Default power EMA with sigmaRel 0.05. */
  readonly ema: EmaConfig;
  /** The log-normal proposal training times t are drawn from. */
  readonly proposal: TimeProposal;
  /** Tangent warmup H (r = min(1, step / H)); 0 switches it off. */
  readonly tangentWarmup: number;
  /** Divide the sCM tangent g by (per-example ||g|| + tangentC), as the paper's Algorithm 1 does. Default true. */
  readonly tangentNormalize: boolean;
  /** The constant c of the tangent normalisation. Default 0.1. */
  readonly tangentC: number;
  /**
   * What one tangent norm covers: 'example' (the paper's Algorithm 1; absent means it) or 'batch',
   * one norm for the batch (the root mean square of the per-example norms), which for 2-D points
   * keeps the tangents' relative sizes as an image's per-example norm keeps its pixels'.
   */
  readonly tangentNormOver?: 'example' | 'batch';
  /**
   * sCM's dF/dt by a central finite difference of this step (FastGen's option for networks without
   * a JVP) instead of the exact forward-mode JVP; absent: exact.
   */
  readonly jvpStep?: number;
  /** Probability of replacing a label by the null class (teacher CFG training). */
  readonly labelDropout: number;
  /** sCD with CFG: s ~ U[1, guidanceMax] fed to the student; 0 when unconditional. */
  readonly guidanceMax: number;
}

/**
 * The defaults for `mode`, with `overrides` on top: Adam (0.9, 0.99, 1e-8), lr 2e-3 for teachers and
 * 2e-4 for consistency models, clip 1, power EMA 0.05, the paper's time proposals (teacher
 * P_mean -0.8, P_std 1.6; consistency -1.0, 1.4), tangent warmup 500 steps with normalisation c = 0.1.
 *
 * @throws Error as {@link validateTrainConfig} for invalid overrides.
 */
export function defaultTrainConfig(mode: TrainMode, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const teacher = mode === 'teacher';
  const c: TrainConfig = {
    mode,
    steps: 2000,
    batch: 256,
    seed: 0,
    sigmaD: 0.5,
    optimizer: 'adam',
    beta1: 0.9,
    beta2: 0.99,
    eps: 1e-8,
    lr: { kind: 'constant', lr: teacher ? 2e-3 : 2e-4 },
    clip: 1,
    ema: { kind: 'power', sigmaRel: 0.05 },
    proposal: teacher ? TEACHER_PROPOSAL : CONSISTENCY_PROPOSAL,
    tangentWarmup: 500,
    tangentNormalize: true,
    tangentC: 0.1,
    labelDropout: 0.1,
    guidanceMax: 2,
    ...overrides,
  };
  validateTrainConfig(c);
  return c;
}

/**
 * Checks the settings a step relies on.
 *
 * @throws Error naming the setting: steps not a non-negative integer, batch not a positive integer, an unknown mode,
 *   sigmaD not positive, clip or tangentWarmup negative, tangentNormOver neither 'example' nor 'batch',
 *   jvpStep given but not a positive number, labelDropout outside [0, 1), or guidanceMax neither 0 nor >= 1.
 */
export function validateTrainConfig(c: TrainConfig): void {
  const integer = (name: keyof TrainConfig, least: number, what: string) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < least) throw new Error(`${name} must be a ${what} integer, got ${String(v)}`);
  };
  integer('steps', 0, 'non-negative');
  integer('batch', 1, 'positive');
  if (!['teacher', 'sct', 'scd'].includes(c.mode)) throw new Error(`unknown training mode "${c.mode}"`);
  if (!(c.sigmaD > 0)) throw new Error(`sigmaD must be positive, got ${c.sigmaD}`);
  if (!(c.clip >= 0)) throw new Error(`clip must be >= 0, got ${c.clip}`);
  if (!(c.tangentWarmup >= 0)) throw new Error(`tangentWarmup must be >= 0, got ${c.tangentWarmup}`);
  if (c.tangentNormOver !== undefined && !['example', 'batch'].includes(c.tangentNormOver)) {
    throw new Error(`tangentNormOver must be 'example' or 'batch', got ${String(c.tangentNormOver)}`);
  }
  if (c.jvpStep !== undefined && !(c.jvpStep > 0 && Number.isFinite(c.jvpStep))) throw new Error(`jvpStep must be a positive number, got ${c.jvpStep}`);
  if (!(c.labelDropout >= 0 && c.labelDropout < 1)) throw new Error(`labelDropout must be in [0, 1), got ${c.labelDropout}`);
  if (!(c.guidanceMax === 0 || c.guidanceMax >= 1)) throw new Error(`guidanceMax must be 0 (off) or >= 1, got ${c.guidanceMax}`);
}
