export { eagerEngine, type Engine, type GraphSampleOptions, type GraphSampler, type TrainSession } from './engine.js';
export { sample, train, type TrainOptions } from './train.js';
