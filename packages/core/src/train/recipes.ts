/**
 * The best-known recipe for 2-D toy data, measured on 2 CPU cores: the network, rates and
 * intermediate time that the command line's quick start (4000 + 8000 steps) and the demo's live
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
  /**
   * sCD's time proposal, ln(sigma) ~ N(pMean, pStd^2): earlier and narrower than the paper's
   * (-1.0, 1.4), which left fold lines inside the cells of the 1-step samples. With it 8000 sCD
   * steps put 0.92 of the 1-step samples in the cells, against 0.89-0.90 with the paper's at 4000
   * or 8000 (bench/quickstart-1step). It pays off in long runs: from a 3000-step teacher, 2000
   * steps score 0.886 / 0.907 at 1 / 2 steps with it and 0.887 / 0.896 with the paper's; 600 steps
   * from an 800-step teacher (the demo's) 0.776 / 0.835 against 0.838 / 0.842.
   */
  distillProposal: {
    /** Mean of ln(sigma). */
    pMean: -1.5,
    /** Standard deviation of ln(sigma). */
    pStd: 1.0,
  },
  /** Steps over which sCD's tangent warmup r rises from 0 to 1. */
  tangentWarmup: 500,
  /**
   * The 2-step sampler's intermediate time: the paper's 1.1 re-noises a 2-D point almost back to
   * noise, so the second step redraws the first's folds; 0.3 keeps its cells and cleans their edges.
   */
  midT: 0.3,
} as const;
