/**
 * The U-Net for images (Lu & Song 2024; DDPM++ / EDM's SongUNet scaled down): a 3x3 input conv, per
 * level `blocksPerLevel` residual blocks with adaptive double normalisation (self-attention at
 * `attentionResolutions`), average pooling between levels, a middle pair of blocks (the first with
 * attention), a decoder that concatenates the encoder's activations, and a zero-initialised
 * GroupNorm -> SiLU -> conv3x3 output. Time, class and guidance embeddings and the logvar head are
 * the MLP's.
 */
import type { TensorOps } from '../tensor/ops.js';
import { groupNorm, silu } from '../nn/functional.js';
import { conv, convSpecs } from '../nn/conv.js';
import type { ParamSpecs } from '../nn/params.js';
import type { Conditioning, Model } from './model.js';
import { conditioningEmbedding, defaultTrunkConfig, logvarSpecs, trunkMethods, type TrunkConfig } from './conditioning.js';
import { block, blockSpecs, type BlockContext, type BlockSpec } from './unet-blocks.js';

/** The U-Net's architecture (see {@link createUnet}); stored in checkpoints. */
export interface UnetConfig extends TrunkConfig {
  /** Discriminates the model configs. */
  readonly kind: 'unet';
  /** Height and width of the (square) images; divisible by 2^(levels - 1). */
  readonly imageSize: number;
  /** Image channels, in and out. */
  readonly channels: number;
  /** Channels of the first level; later levels multiply it by channelMult. */
  readonly baseChannels: number;
  /** Channels of each level as multiples of baseChannels; one entry per level. */
  readonly channelMult: readonly number[];
  /** Residual blocks per level (the decoder has one more, as in DDPM++). */
  readonly blocksPerLevel: number;
  /** Resolutions (image sizes of levels) whose blocks end in self-attention. */
  readonly attentionResolutions: readonly number[];
  /** Heads of each self-attention; must divide the level's channels. */
  readonly attentionHeads: number;
}

/** Sized for MNIST: 28 -> 14 -> 7, attention at 7x7. */
export const defaultUnetConfig: UnetConfig = {
  kind: 'unet',
  imageSize: 28,
  channels: 1,
  baseChannels: 32,
  channelMult: [1, 2, 2],
  blocksPerLevel: 2,
  attentionResolutions: [7],
  attentionHeads: 1,
  ...defaultTrunkConfig,
};

/** Embedding width as a multiple of baseChannels (EDM's channel_mult_emb). */
const EMB_MULT = 4;
/** Lu & Song 2024: dropout only at low resolutions. */
const DROPOUT_MAX_RESOLUTION = 16;

/**
 * Every layer of a U-Net in forward order, with its channels and resolution: init and F both walk
 * it, and it sizes a network's activations without building it.
 */
export interface UnetPlan {
  /** Channels of the input conv's output (baseChannels x channelMult[0]). */
  readonly inChannels: number;
  /** Per level: whether it starts by pooling, then its blocks. */
  readonly encoder: readonly {
    /** Average pooling by 2 before the level's blocks (every level but the first). */
    readonly pool: boolean;
    /** The level's residual blocks, in order. */
    readonly blocks: readonly BlockSpec[];
  }[];
  /** The middle pair of blocks at the deepest resolution, the first with attention. */
  readonly mid: readonly BlockSpec[];
  /** Per level, deepest first: the conv after upsampling (none at the deepest), then its blocks. */
  readonly decoder: readonly {
    /** The 3x3 conv after nearest upsampling by 2: its parameter prefix, channels in and out, and resolution after upsampling. */
    readonly up?: {
      /** Parameter prefix, e.g. "dec.1.up". */
      readonly name: string;
      /** Channels in and out. */
      readonly channels: number;
      /** Side of its (square) output. */
      readonly resolution: number;
    };
    /** The level's blocks (one more than the encoder's), each taking a skip connection. */
    readonly blocks: readonly BlockSpec[];
  }[];
  /** Channels into the output layer. */
  readonly outChannels: number;
}

/**
 * The layer plan of {@link createUnet}'s network for `overrides`.
 *
 * @throws Error as createUnet does, for sizes that do not fit.
 */
export function unetPlan(overrides: Partial<UnetConfig> = {}): UnetPlan {
  const c: UnetConfig = { ...defaultUnetConfig, ...overrides, kind: 'unet' };
  validate(c, overrides);
  return makePlan(c);
}

/** Every residual block of `plan` in forward order: encoder, middle, decoder. */
export const unetBlocks = (plan: UnetPlan): BlockSpec[] => [...plan.encoder.flatMap((l) => l.blocks), ...plan.mid, ...plan.decoder.flatMap((l) => l.blocks)];

/**
 * The U-Net for NHWC images [B, imageSize, imageSize, channels], {@link defaultUnetConfig} with
 * `overrides`. Dropout applies at resolutions <= 16 only, as in the paper.
 *
 * @throws Error naming the field for sizes that do not fit (imageSize not divisible by
 *   2^(levels - 1), channels not divisible by normGroups or attentionHeads, unknown options).
 */
export function createUnet(overrides: Partial<UnetConfig> = {}): Model<UnetConfig> {
  const c: UnetConfig = { ...defaultUnetConfig, ...overrides, kind: 'unet' };
  const plan = unetPlan(overrides);
  const embWidth = EMB_MULT * c.baseChannels;
  const embedding = conditioningEmbedding('unet', c, embWidth);
  const ctx: BlockContext = { embWidth, normGroups: c.normGroups, norm: c.norm, dropout: c.dropout, attentionHeads: c.attentionHeads };
  const allBlocks = unetBlocks(plan);
  for (const b of allBlocks) {
    if (b.attention && b.cout % c.attentionHeads !== 0) {
      throw new Error(`unet: ${b.name} attends over ${b.cout} channels, which attentionHeads ${c.attentionHeads} does not divide`);
    }
  }

  const paramSpecs = (): ParamSpecs => {
    const p: ParamSpecs = {
      ...embedding.paramSpecs(),
      ...convSpecs('enc.in', 3, c.channels, plan.inChannels),
      ...convSpecs('out', 3, plan.outChannels, c.channels, 0),
      ...logvarSpecs(c.logvarChannels),
    };
    for (const b of allBlocks) Object.assign(p, blockSpecs(b, ctx));
    for (const { up } of plan.decoder) if (up) Object.assign(p, convSpecs(up.name, 3, up.channels, up.channels));
    return p;
  };

  return {
    config: c,
    sampleShape: [c.imageSize, c.imageSize, c.channels],
    numClasses: c.numClasses,
    guidanceInput: c.guidanceInput,

    paramSpecs,
    ...trunkMethods(paramSpecs, c.logvarChannels),

    F<T>(o: TensorOps<T>, p: Record<string, T>, x: T, t: T, cond: Conditioning<T> = {}): T {
      const emb = embedding.apply(o, p, t, cond);
      const run = (h: T, b: BlockSpec) => block(o, p, h, emb, b, ctx, cond.dropoutRng);
      let h = conv(o, x, p['enc.in.weight'], p['enc.in.bias']);
      const skips = [h];
      for (const level of plan.encoder) {
        if (level.pool) {
          h = o.avgPool(h, 2);
          skips.push(h);
        }
        for (const b of level.blocks) skips.push((h = run(h, b)));
      }
      h = plan.mid.reduce(run, h);
      for (const level of plan.decoder) {
        if (level.up) h = conv(o, o.upsampleNearest(h, 2), p[`${level.up.name}.weight`], p[`${level.up.name}.bias`]);
        for (const b of level.blocks) h = run(o.concat([h, skips.pop() as T], 3), b);
      }
      return conv(o, silu(o, groupNorm(o, h, c.normGroups)), p['out.weight'], p['out.bias']);
    },
  };
}

/** EDM's layout: every encoder activation (input conv, pooled, blocks) feeds one decoder block. */
function makePlan(c: UnetConfig): UnetPlan {
  const width = (l: number) => c.baseChannels * c.channelMult[l];
  const resolution = (l: number) => c.imageSize / 2 ** l;
  const spec = (name: string, cin: number, cout: number, l: number, attention: boolean): BlockSpec => ({
    name,
    cin,
    cout,
    attention,
    resolution: resolution(l),
    dropout: resolution(l) <= DROPOUT_MAX_RESOLUTION,
  });
  const attends = (l: number) => c.attentionResolutions.includes(resolution(l));

  let channels = width(0);
  const skips = [channels];
  const encoder = c.channelMult.map((_, l) => {
    if (l > 0) skips.push(channels);
    const blocks = Array.from({ length: c.blocksPerLevel }, (_, i) => {
      const b = spec(`enc.${l}.block.${i}`, channels, width(l), l, attends(l));
      channels = b.cout;
      skips.push(channels);
      return b;
    });
    return { pool: l > 0, blocks };
  });
  const deepest = c.channelMult.length - 1;
  const mid = [spec('mid.0', channels, channels, deepest, true), spec('mid.1', channels, channels, deepest, false)];
  const decoder = c.channelMult.map((_, i) => {
    const l = deepest - i;
    const up = l < deepest ? { name: `dec.${l}.up`, channels, resolution: resolution(l) } : undefined;
    const blocks = Array.from({ length: c.blocksPerLevel + 1 }, (_, j) => {
      const b = spec(`dec.${l}.block.${j}`, channels + (skips.pop() as number), width(l), l, attends(l));
      channels = b.cout;
      return b;
    });
    return { up, blocks };
  });
  return { inChannels: width(0), encoder, mid, decoder, outChannels: channels };
}

function validate(c: UnetConfig, overrides: Partial<UnetConfig>): void {
  for (const key of Object.keys(overrides)) {
    if (!(key in defaultUnetConfig)) throw new Error(`unet: unknown option "${key}"`);
  }
  const positive = ['imageSize', 'channels', 'baseChannels', 'blocksPerLevel', 'attentionHeads', 'embChannels', 'normGroups', 'logvarChannels'] as const;
  for (const key of positive) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`unet: ${key} must be a positive integer, got ${c[key]}`);
  }
  if (!Array.isArray(c.channelMult) || c.channelMult.length === 0 || c.channelMult.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new Error(`unet: channelMult must be a non-empty list of positive integers, got ${JSON.stringify(c.channelMult)}`);
  }
  const levels = c.channelMult.length;
  const factor = 2 ** (levels - 1);
  if (c.imageSize % factor !== 0) {
    throw new Error(`unet: imageSize ${c.imageSize} is not divisible by 2^${levels - 1} = ${factor}, which ${levels} levels need`);
  }
  const resolutions = c.channelMult.map((_, l) => c.imageSize / 2 ** l);
  if (!Array.isArray(c.attentionResolutions)) {
    throw new Error(`unet: attentionResolutions must be a list of level resolutions, got ${JSON.stringify(c.attentionResolutions)}`);
  }
  for (const r of c.attentionResolutions) {
    if (!resolutions.includes(r)) {
      throw new Error(`unet: attention resolution ${r} is not a level resolution (${resolutions.join(', ')})`);
    }
  }
  for (const m of c.channelMult) {
    const ch = c.baseChannels * m;
    if (ch % c.normGroups !== 0) throw new Error(`unet: ${ch} channels (baseChannels x ${m}) are not divisible by normGroups ${c.normGroups}`);
  }
  if (c.dropout < 0 || c.dropout >= 1) throw new Error(`unet: dropout must be in [0, 1), got ${c.dropout}`);
}
