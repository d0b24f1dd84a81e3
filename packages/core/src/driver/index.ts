export { eagerEngine, type Engine, type TrainSession } from './engine.js';
export { sample, train, type TrainOptions } from './train.js';
