/**
 * A small image classifier whose penultimate activations serve as the feature space of a Frechet
 * distance (FID-like, for data sets such as MNIST that Inception does not fit): `stages` times
 * conv3x3 -> GroupNorm -> SiLU -> 2x2 average pool, channels doubling from `width`, then a global
 * average pool to the features and a linear layer to the logits.
 */
import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';
import { groupNorm, linear, silu } from '../nn/functional.js';
import { conv, convParams } from '../nn/conv.js';
import { linearParams, type HostParams } from '../nn/params.js';

/** The classifier's architecture (see {@link createClassifier}). */
export interface ClassifierConfig {
  /** Height and width of the (square) images; divisible by 2^stages. */
  readonly imageSize: number;
  /** Image channels. */
  readonly channels: number;
  /** Number of classes (logits per image). */
  readonly numClasses: number;
  /** Channels of the first stage; each later stage doubles them. */
  readonly width: number;
  /** Default 2. */
  readonly stages?: number;
  /** Default 8; must divide width. */
  readonly normGroups?: number;
}

/** A small conv-net image classifier, whose features serve a Frechet distance (see {@link createClassifier}). */
export interface Classifier {
  /** The config, with defaults filled in. */
  readonly config: Required<ClassifierConfig>;
  /** Size of a feature vector: the last stage's channels, width 2^(stages - 1). */
  readonly featureDim: number;
  /** Fresh parameters drawn from `rng`. */
  init(rng: Rng): HostParams;
  /** Images [B, imageSize, imageSize, channels] -> features [B, featureDim]. */
  features<T>(o: TensorOps<T>, p: Record<string, T>, x: T): T;
  /** Images -> unnormalised class scores [B, numClasses]. */
  logits<T>(o: TensorOps<T>, p: Record<string, T>, x: T): T;
  /** Mean over the batch of -sum(onehot * log softmax(logits)): a scalar []. */
  crossEntropy<T>(o: TensorOps<T>, logits: T, onehot: T): T;
}

/**
 * A classifier for NHWC images: `stages` times conv3x3 -> GroupNorm -> SiLU -> 2x2 average pool,
 * then global average pooling (the features) and a linear layer (the logits).
 *
 * @throws Error for a size that is not a positive integer, imageSize not divisible by 2^stages, or
 *   width not divisible by normGroups.
 */
export function createClassifier(config: ClassifierConfig): Classifier {
  const c: Required<ClassifierConfig> = { stages: 2, normGroups: 8, ...config };
  for (const key of ['imageSize', 'channels', 'numClasses', 'width', 'stages', 'normGroups'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`classifier: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.imageSize % 2 ** c.stages !== 0) {
    throw new Error(`classifier: imageSize ${c.imageSize} is not divisible by 2^${c.stages}, which ${c.stages} pooling stages need`);
  }
  if (c.width % c.normGroups !== 0) throw new Error(`classifier: width ${c.width} is not divisible by normGroups ${c.normGroups}`);
  const stageChannels = Array.from({ length: c.stages }, (_, s) => c.width * 2 ** s);
  const featureDim = stageChannels[c.stages - 1];

  return {
    config: c,
    featureDim,

    init(rng: Rng): HostParams {
      const p: HostParams = {};
      stageChannels.forEach((ch, s) => Object.assign(p, convParams(rng, `stages.${s}.conv`, 3, s === 0 ? c.channels : stageChannels[s - 1], ch)));
      return Object.assign(p, linearParams(rng, 'head', featureDim, c.numClasses));
    },

    features<T>(o: TensorOps<T>, p: Record<string, T>, x: T): T {
      let h = x;
      for (let s = 0; s < c.stages; s++) {
        h = o.avgPool(silu(o, groupNorm(o, conv(o, h, p[`stages.${s}.conv.weight`], p[`stages.${s}.conv.bias`]), c.normGroups)), 2);
      }
      return o.mean(h, [1, 2]);
    },

    logits<T>(o: TensorOps<T>, p: Record<string, T>, x: T): T {
      return linear(o, this.features(o, p, x), p['head.weight'], p['head.bias']);
    },

    crossEntropy<T>(o: TensorOps<T>, logits: T, onehot: T): T {
      return o.neg(o.mean(o.sum(o.mul(onehot, logSoftmax(o, logits)), [-1])));
    },
  };
}

/** x - max - log(sum(exp(x - max))) over the last axis: finite for any logits. */
function logSoftmax<T>(o: TensorOps<T>, x: T): T {
  const shifted = o.sub(x, o.max(x, [-1], true));
  return o.sub(shifted, o.log(o.sum(o.exp(shifted), [-1], true)));
}
