/**
 * The MLP for low-dimensional data (Lu & Song 2024, scaled down): positional time embedding of
 * c_noise(t) = t, optional class and guidance embeddings, optional random Fourier features of the
 * input point, residual blocks with adaptive double normalisation, SiLU, optional dropout, a
 * zero-initialised output layer, and a separate logvar head.
 */
import type { TensorOps } from '../tensor/ops.js';
import { Rng } from '../random/index.js';
import { groupNorm, linear, silu } from '../nn/functional.js';
import { linearSpecs, type ParamSpecs } from '../nn/params.js';
import type { Conditioning, Model } from './model.js';
import {
  affineSpecs,
  conditionedNorm,
  conditioningEmbedding,
  defaultTrunkConfig,
  logvarSpecs,
  trunkMethods,
  type TrunkConfig,
} from './conditioning.js';
import { dropout } from './dropout.js';

/** The MLP's architecture (see {@link createMlp}); stored in checkpoints. */
export interface MlpConfig extends TrunkConfig {
  /** Discriminates the model configs. */
  readonly kind: 'mlp';
  /** Dimension of a data point. */
  readonly dim: number;
  /** Hidden width of the residual blocks; divisible by normGroups. */
  readonly width: number;
  /** Number of residual blocks. */
  readonly blocks: number;
  /**
   * Random Fourier features of the input point fed to the first layer beside it (Tancik et al.
   * 2020), as pairs [cos, sin]; 0 for none. A plain MLP on raw coordinates is biased towards smooth
   * maps: without them a checkerboard teacher rounds its cells' corners.
   */
  readonly inputFeatures: number;
  /** Std of those features' frequencies, per unit of x_t / sigma_d. */
  readonly inputFeatureScale: number;
}

/** 2-D points, width 128, 4 blocks, with sCM's stable trunk (positional embedding of c_noise(t) = t, adaptive double normalisation). */
export const defaultMlpConfig: MlpConfig = { ...defaultTrunkConfig, kind: 'mlp', dim: 2, width: 128, blocks: 4, inputFeatures: 0, inputFeatureScale: 1 };

const SKIP_SCALE = Math.SQRT1_2;
/** The input features' frequencies are fixed by this seed, so they are not parameters. */
const INPUT_FEATURE_SEED = 0xf0f0;

/** 2 pi times the frequency matrix [dim, inputFeatures]. */
function inputFrequencies(c: MlpConfig): Float32Array {
  return new Rng(INPUT_FEATURE_SEED).normal(c.dim * c.inputFeatures).map((v) => 2 * Math.PI * c.inputFeatureScale * v);
}

/**
 * The MLP for low-dimensional data, {@link defaultMlpConfig} with `overrides`. Samples are
 * [B, dim]; the output layer starts at zero, so F starts at 0.
 *
 * @throws Error naming the field for a non-positive size, width not divisible by normGroups, or
 *   dropout outside [0, 1).
 */
export function createMlp(overrides: Partial<MlpConfig> = {}): Model<MlpConfig> {
  const c: MlpConfig = { ...defaultMlpConfig, ...overrides, kind: 'mlp' };
  for (const key of ['dim', 'width', 'blocks', 'embChannels', 'normGroups', 'logvarChannels'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`mlp: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (!Number.isInteger(c.inputFeatures) || c.inputFeatures < 0) throw new Error(`mlp: inputFeatures must be a non-negative integer, got ${c.inputFeatures}`);
  if (!(c.inputFeatureScale > 0)) throw new Error(`mlp: inputFeatureScale must be positive, got ${c.inputFeatureScale}`);
  if (c.width % c.normGroups !== 0) throw new Error(`mlp: width ${c.width} is not divisible by normGroups ${c.normGroups}`);
  if (c.dropout < 0 || c.dropout >= 1) throw new Error(`mlp: dropout must be in [0, 1), got ${c.dropout}`);
  const W = c.width;
  const embedding = conditioningEmbedding('mlp', c, W);
  const freqs = c.inputFeatures > 0 ? inputFrequencies(c) : undefined;
  const inputs = c.dim + 2 * c.inputFeatures;

  const paramSpecs = (): ParamSpecs => {
    const p: ParamSpecs = {
      ...linearSpecs('in', inputs, W),
      ...embedding.paramSpecs(),
      ...linearSpecs('out', W, c.dim, 0),
      ...logvarSpecs(c.logvarChannels),
    };
    for (let i = 0; i < c.blocks; i++) {
      Object.assign(
        p,
        linearSpecs(`blocks.${i}.fc0`, W, W),
        affineSpecs(`blocks.${i}`, W, W),
        // A small residual branch at init keeps the block close to identity.
        linearSpecs(`blocks.${i}.fc1`, W, W, 0.1),
      );
    }
    return p;
  };

  return {
    config: c,
    sampleShape: [c.dim],
    numClasses: c.numClasses,
    guidanceInput: c.guidanceInput,

    paramSpecs,
    ...trunkMethods(paramSpecs, c.logvarChannels),

    F<T>(o: TensorOps<T>, p: Record<string, T>, x: T, t: T, cond: Conditioning<T> = {}): T {
      const emb = embedding.apply(o, p, t, cond);
      let h = linear(o, freqs ? withFeatures(o, x, freqs, c) : x, p['in.weight'], p['in.bias']);
      for (let i = 0; i < c.blocks; i++) {
        const b = `blocks.${i}`;
        let a = linear(o, silu(o, groupNorm(o, h, c.normGroups)), p[`${b}.fc0.weight`], p[`${b}.fc0.bias`]);
        a = silu(o, conditionedNorm(o, a, emb, p[`${b}.affine.weight`], p[`${b}.affine.bias`], c.normGroups, c.norm));
        if (c.dropout > 0 && cond.dropoutRng) a = dropout(o, a, c.dropout, cond.dropoutRng);
        a = linear(o, a, p[`${b}.fc1.weight`], p[`${b}.fc1.bias`]);
        h = o.mul(o.add(h, a), o.fill([], SKIP_SCALE));
      }
      return linear(o, silu(o, groupNorm(o, h, c.normGroups)), p['out.weight'], p['out.bias']);
    },
  };
}

/** [x, cos(2 pi x B), sin(2 pi x B)] for x [n, dim]. */
function withFeatures<T>(o: TensorOps<T>, x: T, freqs: Float32Array, c: MlpConfig): T {
  const angles = o.matmul(x, o.fromArray(freqs, [c.dim, c.inputFeatures]));
  return o.concat([x, o.cos(angles), o.sin(angles)], 1);
}
