export { Dual, DualOps, jvp } from './jvp.js';
export { TapeOps, TapeTensor, valueAndGrad, type LossResult, type ValueAndGrad } from './tape.js';
