export { adaptiveWeightedMse, mapBatch, mapCond, mapRecord, type Batch } from './batch.js';
export { diffusionLoss } from './diffusion.js';
export { scmLoss, scmTarget, tangentWarmup, type ScmTarget, type TangentSettings } from './scm.js';
