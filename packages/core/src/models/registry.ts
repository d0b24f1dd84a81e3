/** Builds a model from its JSON config (as stored in checkpoints). */
import type { Model } from './model.js';
import { createMlp, type MlpConfig } from './mlp.js';

export type ModelConfig = MlpConfig;

export function createModel(config: ModelConfig): Model<ModelConfig> {
  switch (config.kind) {
    case 'mlp':
      return createMlp(config);
    default:
      throw new Error(`unknown model kind "${(config as { kind: unknown }).kind}" (known: mlp)`);
  }
}
