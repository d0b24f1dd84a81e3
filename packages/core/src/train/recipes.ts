/**
 * The best-known recipe for 2-D toy data, measured on 2 CPU cores: the network, rates and
 * intermediate time that the command line's quick start (4000 + 4000 steps) and the demo's live
 * training (shortened runs) use, named once.
 */
export const TOY2D_RECIPE = {
  /** The MLP's hidden width. */
  width: 128,
  /** Its residual blocks. */
  blocks: 2,
  /**
   * Random Fourier features of the point, which let the MLP draw square cells: in support 0.950 at
   * 4000 steps, 0.911 without at 8000.
   */
  inputFeatures: 32,
  /** The scale of those features' frequencies. */
  inputFeatureScale: 1,
  /** Examples per step. */
  batch: 256,
  /** The teacher's peak learning rate. */
  teacherLr: 2e-3,
  /** The sCD student's peak learning rate. */
  distillLr: 3e-4,
  /** Both decay to zero over the run. */
  lrSchedule: 'cosine',
  /** Steps over which sCD's tangent warmup r rises from 0 to 1. */
  tangentWarmup: 500,
  /**
   * The 2-step sampler's intermediate time: the paper's 1.1 re-noises a 2-D point almost back to
   * noise, so the second step redraws the first's folds; 0.3 keeps its cells and cleans their edges.
   */
  midT: 0.3,
} as const;
