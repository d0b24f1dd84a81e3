export { oneHotLabels, type Conditioning, type Model, type NoiseConditioning, type TimeEmbedding } from './model.js';
export { createMlp, defaultMlpConfig, type MlpConfig } from './mlp.js';
export { cNoise, type TimeConfig } from './time.js';
export { createModel, type ModelConfig } from './registry.js';
