/** Training settings, stored as JSON in every checkpoint. */
import type { LrSchedule } from '../optim/schedule.js';
import { CONSISTENCY_PROPOSAL, TEACHER_PROPOSAL, type TimeProposal } from '../trigflow/schedule.js';

export type TrainMode = 'teacher' | 'sct' | 'scd';

export type EmaConfig = { readonly kind: 'power'; readonly sigmaRel: number } | { readonly kind: 'halflife'; readonly halfLifeSteps: number };

export interface TrainConfig {
  readonly mode: TrainMode;
  readonly steps: number;
  readonly batch: number;
  readonly seed: number;
  readonly sigmaD: number;
  readonly optimizer: 'adam' | 'radam';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly lr: LrSchedule;
  /** Max global gradient norm; 0 switches clipping off. */
  readonly clip: number;
  readonly ema: EmaConfig;
  readonly proposal: TimeProposal;
  /** Tangent warmup H (r = min(1, step / H)); 0 switches it off. */
  readonly tangentWarmup: number;
  readonly tangentNormalize: boolean;
  readonly tangentC: number;
  /** Probability of replacing a label by the null class (teacher CFG training). */
  readonly labelDropout: number;
  /** sCD with CFG: s ~ U[1, guidanceMax] fed to the student; 0 when unconditional. */
  readonly guidanceMax: number;
}

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

export function validateTrainConfig(c: TrainConfig): void {
  const positiveInt = (name: keyof TrainConfig) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${String(v)}`);
  };
  positiveInt('steps');
  positiveInt('batch');
  if (!['teacher', 'sct', 'scd'].includes(c.mode)) throw new Error(`unknown training mode "${c.mode}"`);
  if (!(c.sigmaD > 0)) throw new Error(`sigmaD must be positive, got ${c.sigmaD}`);
  if (!(c.clip >= 0)) throw new Error(`clip must be >= 0, got ${c.clip}`);
  if (!(c.tangentWarmup >= 0)) throw new Error(`tangentWarmup must be >= 0, got ${c.tangentWarmup}`);
  if (!(c.labelDropout >= 0 && c.labelDropout < 1)) throw new Error(`labelDropout must be in [0, 1), got ${c.labelDropout}`);
  if (!(c.guidanceMax === 0 || c.guidanceMax >= 1)) throw new Error(`guidanceMax must be 0 (off) or >= 1, got ${c.guidanceMax}`);
}
