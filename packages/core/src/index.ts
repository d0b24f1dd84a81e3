/**
 * Continuous-time consistency models (sCM) with TrigFlow in pure TypeScript: the TensorOps
 * abstraction, forward- and reverse-mode differentiation, a graph IR, models, the TrigFlow
 * diffusion loss and the sCT/sCD consistency losses, samplers, optimisers and a backend-agnostic
 * training loop. Follows Lu & Song 2024, Simplifying, Stabilizing and Scaling Continuous-Time
 * Consistency Models (arXiv:2410.11081).
 *
 * Conventions: images are NHWC; TrigFlow time t lies in [0, pi/2] (t = 0 is data, pi/2 is noise);
 * sigma_d is the data's per-element standard deviation (0.5 in the paper).
 *
 * @module @scm/core
 */
export * from './tensor/index.js';
export * from './autodiff/index.js';
export * from './random/index.js';
export * from './nn/index.js';
export * from './models/index.js';
export * from './trigflow/index.js';
export * from './objectives/index.js';
export * from './samplers/index.js';
export * from './optim/index.js';
export * from './data/index.js';
export * from './metrics/index.js';
export * from './train/index.js';
export * from './graph/index.js';
export * from './driver/index.js';
export * from './pipeline/index.js';
export { crc32 } from './bytes/crc32.js';
