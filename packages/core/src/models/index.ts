export { oneHotLabels, type Conditioning, type Model, type NoiseConditioning, type TimeEmbedding } from './model.js';
export { createMlp, defaultMlpConfig, type MlpConfig } from './mlp.js';
export { createUnet, defaultUnetConfig, unetBlocks, unetPlan, type UnetConfig, type UnetPlan } from './unet.js';
export type { BlockSpec } from './unet-blocks.js';
export { createClassifier, type Classifier, type ClassifierConfig } from './classifier.js';
export { cNoise, type TimeConfig } from './time.js';
export { createModel, type ModelConfig } from './registry.js';
