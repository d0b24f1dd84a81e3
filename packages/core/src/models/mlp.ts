/**
 * The MLP for low-dimensional data (PAPER.md §4 scaled down): positional time embedding of
 * c_noise(t) = t, optional class and guidance embeddings, residual blocks with adaptive double
 * normalisation, SiLU, optional dropout, a zero-initialised output layer, and a separate logvar head.
 */
import type { TensorOps } from '../tensor/ops.js';
import { Rng } from '../random/index.js';
import { groupNorm, linear, silu } from '../nn/functional.js';
import { positionalEmbedding } from '../nn/embedding.js';
import { modulate, type AdaptiveNorm } from '../nn/adaptive.js';
import { linearParams, type HostParams } from '../nn/params.js';
import type { Conditioning, Model, NoiseConditioning, TimeEmbedding } from './model.js';
import { fourierFrequencies, timeEmbedding, type TimeConfig } from './time.js';
import { dropout } from './dropout.js';

export interface MlpConfig {
  readonly kind: 'mlp';
  /** Dimension of a data point. */
  readonly dim: number;
  readonly width: number;
  readonly blocks: number;
  /** Channels of the time (and guidance) positional embedding. */
  readonly embChannels: number;
  readonly normGroups: number;
  readonly numClasses: number;
  readonly guidanceInput: boolean;
  readonly dropout: number;
  readonly sigmaD: number;
  readonly norm: AdaptiveNorm;
  readonly cNoise: NoiseConditioning;
  readonly timeEmbedding: TimeEmbedding;
  readonly fourierScale: number;
  readonly logvarChannels: number;
}

export const defaultMlpConfig: MlpConfig = {
  kind: 'mlp',
  dim: 2,
  width: 128,
  blocks: 4,
  embChannels: 64,
  normGroups: 8,
  numClasses: 0,
  guidanceInput: false,
  dropout: 0,
  sigmaD: 0.5,
  norm: 'double',
  cNoise: 'identity',
  timeEmbedding: 'positional',
  fourierScale: 16,
  logvarChannels: 128,
};

const SKIP_SCALE = Math.SQRT1_2;
/** The Fourier ablation's frequencies are fixed by this seed, so they are not parameters. */
const FOURIER_SEED = 0x5eed;

export function createMlp(overrides: Partial<MlpConfig> = {}): Model<MlpConfig> {
  const c: MlpConfig = { ...defaultMlpConfig, ...overrides, kind: 'mlp' };
  for (const key of ['dim', 'width', 'blocks', 'embChannels', 'normGroups', 'logvarChannels'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`mlp: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.width % c.normGroups !== 0) throw new Error(`mlp: width ${c.width} is not divisible by normGroups ${c.normGroups}`);
  if (c.dropout < 0 || c.dropout >= 1) throw new Error(`mlp: dropout must be in [0, 1), got ${c.dropout}`);
  const time: TimeConfig = { cNoise: c.cNoise, embedding: c.timeEmbedding, channels: c.embChannels, fourierScale: c.fourierScale, sigmaD: c.sigmaD };
  const freqs = fourierFrequencies(new Rng(FOURIER_SEED), time);
  const W = c.width;

  return {
    config: c,
    sampleShape: [c.dim],
    numClasses: c.numClasses,
    guidanceInput: c.guidanceInput,

    init(rng: Rng): HostParams {
      const p: HostParams = {
        ...linearParams(rng, 'in', c.dim, W),
        ...linearParams(rng, 'map.0', c.embChannels, W),
        ...linearParams(rng, 'map.1', W, W),
        ...(c.numClasses > 0 ? linearParams(rng, 'class', c.numClasses + 1, W, Math.sqrt(c.numClasses + 1), false) : {}),
        ...(c.guidanceInput ? linearParams(rng, 'guidance', c.embChannels, W) : {}),
        ...linearParams(rng, 'out', W, c.dim, 0),
        ...this.initLogvar(rng),
      };
      for (let i = 0; i < c.blocks; i++) {
        Object.assign(
          p,
          linearParams(rng, `blocks.${i}.fc0`, W, W),
          linearParams(rng, `blocks.${i}.affine`, W, 2 * W),
          // A small residual branch at init keeps the block close to identity.
          linearParams(rng, `blocks.${i}.fc1`, W, W, 0.1),
        );
      }
      return p;
    },

    initLogvar(rng: Rng): HostParams {
      // Zero weights: u(t) = 0 at init, so the adaptive loss starts as the plain squared error.
      return linearParams(rng, 'logvar', c.logvarChannels, 1, 0);
    },

    F<T>(o: TensorOps<T>, p: Record<string, T>, x: T, t: T, cond: Conditioning<T> = {}): T {
      let emb = linear(o, silu(o, linear(o, timeEmbedding(o, t, time, freqs), p['map.0.weight'], p['map.0.bias'])), p['map.1.weight'], p['map.1.bias']);
      if (c.numClasses > 0) {
        if (!cond.labels) throw new Error('mlp: this model is class-conditional: pass one-hot labels (the null class for none)');
        emb = o.add(emb, linear(o, cond.labels, p['class.weight']));
      }
      if (c.guidanceInput) {
        if (!cond.guidance) throw new Error('mlp: this model takes a guidance scale per example');
        emb = o.add(emb, linear(o, positionalEmbedding(o, cond.guidance, c.embChannels), p['guidance.weight'], p['guidance.bias']));
      }
      emb = silu(o, emb);
      let h = linear(o, x, p['in.weight'], p['in.bias']);
      for (let i = 0; i < c.blocks; i++) {
        const b = `blocks.${i}`;
        let a = linear(o, silu(o, groupNorm(o, h, c.normGroups)), p[`${b}.fc0.weight`], p[`${b}.fc0.bias`]);
        const ss = linear(o, emb, p[`${b}.affine.weight`], p[`${b}.affine.bias`]);
        const n = o.shape(ss)[0];
        const scale = o.slice(ss, [0, 0], [n, W]);
        const shift = o.slice(ss, [0, W], [n, W]);
        a = silu(o, modulate(o, a, scale, shift, c.normGroups, c.norm));
        if (c.dropout > 0 && cond.dropoutRng) a = dropout(o, a, c.dropout, cond.dropoutRng);
        a = linear(o, a, p[`${b}.fc1.weight`], p[`${b}.fc1.bias`]);
        h = o.mul(o.add(h, a), o.fill([], SKIP_SCALE));
      }
      return linear(o, silu(o, groupNorm(o, h, c.normGroups)), p['out.weight'], p['out.bias']);
    },

    logvar<T>(o: TensorOps<T>, p: Record<string, T>, t: T): T {
      const u = linear(o, positionalEmbedding(o, t, c.logvarChannels), p['logvar.weight'], p['logvar.bias']);
      return o.reshape(u, [o.shape(t)[0]]);
    },
  };
}
