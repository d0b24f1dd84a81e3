/**
 * What a new run takes where an option is not given: the best-known recipe for its kind of data.
 * 2-D data: core's TOY2D_RECIPE, which the quick start runs (MLP 128x2 with 32 input features, cosine
 * rates, 2-step samples at t_mid 0.3). Images: the committed MNIST models' recipe
 * (models/mnist-teacher, models/mnist-scd), with the U-Net's depth and attention scaled to the image
 * size. A run records all of it in config.json, so resuming, sampling and evaluating an older run read
 * its own settings, never these.
 */
import { CONSISTENCY_PROPOSAL, TEACHER_PROPOSAL, TOY2D_RECIPE, type LrSchedule, type RunInfo, type TimeProposal, type TrainMode } from '@scm/core';
import { UsageError } from '../options/errors.js';
import { lrScheduleFor, type LrScheduleName } from './lr-schedule.js';

export { TOY2D_RECIPE };

export const IMAGE_RECIPE = {
  baseChannels: 24,
  blocksPerLevel: 1,
  dropout: 0,
  batch: 64,
  teacherLr: 1e-3,
  distillLr: 2e-4,
  lrSchedule: 'cosine',
} as const satisfies { lrSchedule: LrScheduleName } & Record<string, unknown>;

/**
 * The recipe's U-Net levels for size x size images: [1, 2, 2] (MNIST's 28, 14, 7) where the size
 * halves twice evenly to at least 4, fewer levels otherwise.
 */
export function imageUnetRecipe(size: number): { channelMult: number[] } {
  return { channelMult: size % 4 === 0 && size >= 16 ? [1, 2, 2] : size % 2 === 0 && size >= 8 ? [1, 2] : [1] };
}

/** The resolution of a U-Net's last level, where the recipe puts attention. */
export const coarsestResolution = (size: number, channelMult: readonly number[]) => size / 2 ** (channelMult.length - 1);

export type DataKind = 'toy2d' | 'image';

/** The kind of data a run trains on. */
export const dataKind = (info: Pick<RunInfo, 'model'>): DataKind => (info.model.kind === 'unet' ? 'image' : 'toy2d');

const RECIPES = { toy2d: TOY2D_RECIPE, image: IMAGE_RECIPE } as const;

/** A new run's batch: --batch, else the recipe's. */
export const recipeBatch = (kind: DataKind, batch?: number) => batch ?? RECIPES[kind].batch;

/**
 * A new run's learning-rate schedule from --lr and --lr-schedule, the recipe's where not given. A
 * cosine schedule ends at the run's total, so --steps 0 needs the constant one.
 */
export function recipeLr(kind: DataKind, role: 'teacher' | 'student', opts: { lr?: number; lrSchedule?: LrScheduleName }, steps: number): LrSchedule {
  const schedule = opts.lrSchedule ?? RECIPES[kind].lrSchedule;
  if (schedule === 'cosine' && steps === 0) {
    throw new UsageError(
      "the default --lr-schedule, cosine, decays over the run's total --steps, which --steps 0 leaves open: give --lr-schedule constant, or start the run with its total",
    );
  }
  const recipe = RECIPES[kind];
  return lrScheduleFor(schedule, opts.lr ?? (role === 'teacher' ? recipe.teacherLr : recipe.distillLr), steps);
}

/**
 * The intermediate time of 2 or more consistency steps where --mid-t is not given: 0.3 for 2-D runs;
 * undefined for images, which sample at the paper's T_MID.
 */
export const recipeMidT = (info: Pick<RunInfo, 'model'>, steps: number): number | undefined =>
  dataKind(info) === 'toy2d' && steps >= 2 ? TOY2D_RECIPE.midT : undefined;

/**
 * A new run's time proposal from --p-mean and --p-std, the recipe's where not given: the paper's
 * for teachers and sCT, TOY2D_RECIPE's for 2-D sCD, whose 1-step samples it keeps inside the cells.
 */
export function recipeProposal(kind: DataKind, mode: TrainMode, opts: { pMean?: number; pStd?: number }): TimeProposal {
  const recipe = mode === 'teacher' ? TEACHER_PROPOSAL : mode === 'scd' && kind === 'toy2d' ? TOY2D_RECIPE.distillProposal : CONSISTENCY_PROPOSAL;
  return { pMean: opts.pMean ?? recipe.pMean, pStd: opts.pStd ?? recipe.pStd };
}
