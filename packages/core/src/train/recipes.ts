/**
 * The best-known recipe for 2-D toy data, measured on 2 CPU cores: the network, rates and
 * intermediate time that the command line's quick start (4000 + 4000 steps) and the demo's live
 * training (shortened runs) use, named once.
 */
export const TOY2D_RECIPE = {
  width: 128,
  blocks: 2,
  // Random Fourier features of the point let the MLP draw square cells: in support 0.950 at 4000 steps, 0.911 without at 8000.
  inputFeatures: 32,
  inputFeatureScale: 1,
  batch: 256,
  teacherLr: 2e-3,
  distillLr: 3e-4,
  lrSchedule: 'cosine',
  tangentWarmup: 500,
  // The 2-step sampler's intermediate time: the paper's 1.1 re-noises a 2-D point almost back to
  // noise, so the second step redraws the first's folds; 0.3 keeps its cells and cleans their edges.
  midT: 0.3,
} as const;
