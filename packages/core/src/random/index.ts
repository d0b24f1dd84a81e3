export { philox4x32 } from './philox.js';
export { Rng } from './rng.js';
export type { RngState } from './rng.js';
