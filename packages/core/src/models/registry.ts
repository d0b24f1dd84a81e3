/** Builds a model from its JSON config (as stored in checkpoints). */
import type { Model } from './model.js';
import { createMlp, type MlpConfig } from './mlp.js';
import { createUnet, type UnetConfig } from './unet.js';

/** Any model's config, as checkpoints store it; `kind` says which. */
export type ModelConfig = MlpConfig | UnetConfig;
export type { MlpConfig, UnetConfig };

/**
 * The model a config describes (the MLP or the U-Net).
 *
 * @throws Error for an unknown `kind`, or as createMlp / createUnet for invalid fields.
 */
export function createModel(config: ModelConfig): Model<ModelConfig> {
  switch (config.kind) {
    case 'mlp':
      return createMlp(config);
    case 'unet':
      return createUnet(config);
    default:
      throw new Error(`unknown model kind "${(config as { kind: unknown }).kind}" (known: mlp, unet)`);
  }
}
