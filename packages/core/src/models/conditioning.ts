/**
 * What every network shares around its trunk (Lu & Song 2024): the conditioning embedding of time,
 * class and guidance scale, the adaptive normalisation it drives, and the logvar head u(t).
 * Parameter names are the same in every model, so checkpoints and the logvar re-initialisation of
 * consistency training treat them alike.
 */
import type { TensorOps } from '../tensor/ops.js';
import { Rng } from '../random/index.js';
import { linear, silu } from '../nn/functional.js';
import { positionalEmbedding } from '../nn/embedding.js';
import { modulate, type AdaptiveNorm } from '../nn/adaptive.js';
import { drawParams, linearSpecs, type ParamSpecs } from '../nn/params.js';
import type { Conditioning, Model, NoiseConditioning, TimeEmbedding } from './model.js';
import { fourierFrequencies, timeEmbedding, type TimeConfig } from './time.js';

/** The config fields the conditioning reads; MlpConfig and UnetConfig both have them. */
export interface ConditioningConfig {
  /** Channels of the time (and guidance) positional embedding. */
  readonly embChannels: number;
  /** Number of classes for class-conditional models (one-hot input with an extra null class); 0 for none. */
  readonly numClasses: number;
  /**
   * Whether the network takes a guidance scale s as an extra input (an sCD student distilled with
   * classifier-free guidance: positional embedding of s, linear, added to the time embedding).
   */
  readonly guidanceInput: boolean;
  /**
   * Multiplies the guidance embedding. Adam moves every weight by about lr per step whatever its
   * size, so a layer that starts at zero (a student's guidance embedding, which its teacher lacks)
   * needs about 1/lr steps to matter: at a consistency lr of 2e-4 it barely moved in a short run.
   * The gain makes it learn that many times faster. Checkpoints written before it existed load with 1.
   */
  readonly guidanceGain: number;
  /** The data's per-element std; the network sees x_t / sigmaD. */
  readonly sigmaD: number;
  /** c_noise(t): 'identity' (c_noise = t, the paper's stable choice) or 'log-tan' (EDM's log sigma, an ablation). */
  readonly cNoise: NoiseConditioning;
  /** 'positional' (sinusoidal, stable) or 'fourier' (random Fourier features, an ablation). */
  readonly timeEmbedding: TimeEmbedding;
  /** Std of the Fourier frequencies when timeEmbedding is 'fourier' (16 is the paper's unstable setting). */
  readonly fourierScale: number;
  /** Channels of the positional embedding of t that feeds the logvar head u(t). */
  readonly logvarChannels: number;
}

/** What every model's residual trunk shares besides its conditioning. */
export interface TrunkConfig extends ConditioningConfig {
  /** Groups of the GroupNorms (channels must divide evenly). */
  readonly normGroups: number;
  /** Dropout rate of the residual blocks (the U-Net applies it at resolutions <= 16 only). */
  readonly dropout: number;
  /** 'double': sCM's adaptive double normalisation (the stable choice); 'adagn': AdaGN, an ablation. */
  readonly norm: AdaptiveNorm;
}

/** sCM's stable choices (Lu & Song 2024): positional embedding of c_noise(t) = t, double normalisation. */
export const defaultTrunkConfig: TrunkConfig = {
  embChannels: 64,
  normGroups: 8,
  numClasses: 0,
  guidanceInput: false,
  guidanceGain: 10,
  dropout: 0,
  sigmaD: 0.5,
  norm: 'double',
  cNoise: 'identity',
  timeEmbedding: 'positional',
  fourierScale: 16,
  logvarChannels: 128,
};

export interface ConditioningEmbedding {
  /** map.0, map.1, then class and guidance where the model has them (in this order of draws). */
  paramSpecs(): ParamSpecs;
  /** silu(map(time) + class + guidance) [B, width]. */
  apply<T>(o: TensorOps<T>, p: Record<string, T>, t: T, cond: Conditioning<T>): T;
}

/** The Fourier ablation's frequencies are fixed by this seed, so they are not parameters. */
const FOURIER_SEED = 0x5eed;

/** `model` names the network in error messages; `width` is the embedding's size. */
export function conditioningEmbedding(model: string, c: ConditioningConfig, width: number): ConditioningEmbedding {
  if (!(c.guidanceGain > 0 && Number.isFinite(c.guidanceGain))) throw new Error(`${model}: guidanceGain must be a positive number, got ${c.guidanceGain}`);
  for (const key of ['embChannels', 'logvarChannels'] as const) {
    // Caught here rather than at the first forward pass, which would fail far from the config.
    if (c[key] % 2 !== 0) throw new Error(`${model}: ${key} must be even (a cosine and a sine per frequency), got ${c[key]}`);
  }
  const time: TimeConfig = { cNoise: c.cNoise, embedding: c.timeEmbedding, channels: c.embChannels, fourierScale: c.fourierScale, sigmaD: c.sigmaD };
  const freqs = fourierFrequencies(new Rng(FOURIER_SEED), time);
  return {
    paramSpecs(): ParamSpecs {
      return {
        ...linearSpecs('map.0', c.embChannels, width),
        ...linearSpecs('map.1', width, width),
        // One-hot rows pick single weights: a gain of sqrt(fan-in) gives them unit variance.
        ...(c.numClasses > 0 ? linearSpecs('class', c.numClasses + 1, width, Math.sqrt(c.numClasses + 1), false) : {}),
        ...(c.guidanceInput ? linearSpecs('guidance', c.embChannels, width) : {}),
      };
    },

    apply<T>(o: TensorOps<T>, p: Record<string, T>, t: T, cond: Conditioning<T>): T {
      let emb = linear(o, silu(o, linear(o, timeEmbedding(o, t, time, freqs), p['map.0.weight'], p['map.0.bias'])), p['map.1.weight'], p['map.1.bias']);
      if (c.numClasses > 0) {
        if (!cond.labels) throw new Error(`${model}: this model is class-conditional: pass one-hot labels (the null class for none)`);
        emb = o.add(emb, linear(o, cond.labels, p['class.weight']));
      }
      if (c.guidanceInput) {
        if (!cond.guidance) throw new Error(`${model}: this model takes a guidance scale per example`);
        const guidance = linear(o, positionalEmbedding(o, cond.guidance, c.embChannels), p['guidance.weight'], p['guidance.bias']);
        emb = o.add(emb, c.guidanceGain === 1 ? guidance : o.mul(guidance, o.fill([], c.guidanceGain)));
      }
      return silu(o, emb);
    },
  };
}

/** Parameters of the linear layer that gives `conditionedNorm` its scale and shift. */
export function affineSpecs(prefix: string, embWidth: number, channels: number): ParamSpecs {
  return linearSpecs(`${prefix}.affine`, embWidth, 2 * channels);
}

/**
 * x [B, ..., C] normalised and modulated by a scale and shift that one linear layer (weight, bias)
 * reads off the embedding [B, E]: one matmul for both halves.
 */
export function conditionedNorm<T>(o: TensorOps<T>, x: T, emb: T, weight: T, bias: T, groups: number, norm: AdaptiveNorm): T {
  const ss = linear(o, emb, weight, bias);
  const [n, twoC] = o.shape(ss);
  const scale = o.slice(ss, [0, 0], [n, twoC / 2]);
  const shift = o.slice(ss, [0, twoC / 2], [n, twoC / 2]);
  return modulate(o, x, scale, shift, groups, norm);
}

/** Zero weights: u(t) = 0 at init, so the adaptive loss starts as the plain squared error. */
export function logvarSpecs(channels: number): ParamSpecs {
  return linearSpecs('logvar', channels, 1, 0);
}

/** u(t) [B] = linear(positional embedding of t), separate from the trunk (Lu & Song 2024). */
export function logvarHead<T>(o: TensorOps<T>, p: Record<string, T>, t: T, channels: number): T {
  const u = linear(o, positionalEmbedding(o, t, channels), p['logvar.weight'], p['logvar.bias']);
  return o.reshape(u, [o.shape(t)[0]]);
}

/**
 * The Model methods every trunk shares: init draws all of its specs (the logvar head's among them),
 * initLogvar only the head's, and logvar reads the head.
 */
export function trunkMethods(specs: () => ParamSpecs, logvarChannels: number): Pick<Model, 'init' | 'initLogvar' | 'logvar'> {
  return {
    init: (rng) => drawParams(rng, specs()),
    initLogvar: (rng) => drawParams(rng, logvarSpecs(logvarChannels)),
    logvar: (o, p, t) => logvarHead(o, p, t, logvarChannels),
  };
}
