export { T_MID, consistencySample, consistencyTimes } from './consistency.js';
export { generate, type GenerateOptions, type SamplerName } from './generate.js';
