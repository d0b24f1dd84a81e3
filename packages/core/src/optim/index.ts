export { adam, radam, type AdamOptions } from './adam.js';
export { clipByGlobalNorm } from './clip.js';
export { emaDecayHalfLife, emaUpdate, powerEmaDecay, powerEmaGamma } from './ema.js';
export { isFiniteScalar, selectTree } from './guard.js';
export { scalarTensors, type Optimizer } from './optimizer.js';
export { constantLr, cosineLr, inverseSqrtLr, lrAt, type LrSchedule } from './schedule.js';
