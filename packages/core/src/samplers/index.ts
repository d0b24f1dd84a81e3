export { T_MID, consistencySample, consistencyTimes } from './consistency.js';
export { appliesCfg, defaultSampleBatch, generate, noiseDraws, teacherGrid, type GenerateOptions, type SamplerName } from './generate.js';
