/**
 * The U-Net's two layer kinds (DDPM++ / EDM style, Lu & Song 2024): a residual block conditioned by
 * adaptive double normalisation, optionally followed by self-attention. Each comes with its
 * parameters, under the block's name, so init and forward cannot drift apart.
 */
import type { TensorOps } from '../tensor/ops.js';
import type { Rng } from '../random/index.js';
import { attention, groupNorm, linear, silu } from '../nn/functional.js';
import { conv, convSpecs } from '../nn/conv.js';
import type { AdaptiveNorm } from '../nn/adaptive.js';
import { linearSpecs, type ParamSpecs } from '../nn/params.js';
import { affineSpecs, conditionedNorm } from './conditioning.js';
import { dropout } from './dropout.js';

/** One residual block of a U-Net plan: its parameters' prefix, channels, resolution and options. */
export interface BlockSpec {
  /** Parameter prefix, e.g. "enc.1.block.0". */
  readonly name: string;
  /** Input channels (with the skip connection's, in the decoder). */
  readonly cin: number;
  /** Output channels. */
  readonly cout: number;
  /** Self-attention after the residual branch. */
  readonly attention: boolean;
  /** Side of the block's (square) activations. */
  readonly resolution: number;
  /** Dropout in the residual branch (Lu & Song 2024 allow it only at resolutions <= 16). */
  readonly dropout: boolean;
}

/** The settings every block of one network shares. */
export interface BlockContext {
  readonly embWidth: number;
  readonly normGroups: number;
  readonly norm: AdaptiveNorm;
  readonly dropout: number;
  readonly attentionHeads: number;
}

const SKIP_SCALE = Math.SQRT1_2;

export function blockSpecs(b: BlockSpec, ctx: BlockContext): ParamSpecs {
  return {
    ...convSpecs(`${b.name}.conv0`, 3, b.cin, b.cout),
    ...affineSpecs(b.name, ctx.embWidth, b.cout),
    // A small residual branch at init keeps the block close to identity.
    ...convSpecs(`${b.name}.conv1`, 3, b.cout, b.cout, 0.1),
    ...(b.cin !== b.cout ? convSpecs(`${b.name}.skip`, 1, b.cin, b.cout) : {}),
    ...(b.attention ? { ...linearSpecs(`${b.name}.attn.qkv`, b.cout, 3 * b.cout), ...linearSpecs(`${b.name}.attn.proj`, b.cout, b.cout, 0.1) } : {}),
  };
}

/** h [B, H, W, cin] -> [B, H, W, cout]; emb [B, embWidth]; masks come from `dropoutRng` when given. */
export function block<T>(o: TensorOps<T>, p: Record<string, T>, h: T, emb: T, b: BlockSpec, ctx: BlockContext, dropoutRng?: Rng): T {
  const n = b.name;
  let a = conv(o, silu(o, groupNorm(o, h, ctx.normGroups)), p[`${n}.conv0.weight`], p[`${n}.conv0.bias`]);
  a = silu(o, conditionedNorm(o, a, emb, p[`${n}.affine.weight`], p[`${n}.affine.bias`], ctx.normGroups, ctx.norm));
  if (b.dropout && ctx.dropout > 0 && dropoutRng) a = dropout(o, a, ctx.dropout, dropoutRng);
  a = conv(o, a, p[`${n}.conv1.weight`], p[`${n}.conv1.bias`]);
  const skip = b.cin === b.cout ? h : conv(o, h, p[`${n}.skip.weight`], p[`${n}.skip.bias`]);
  const out = o.mul(o.add(skip, a), o.fill([], SKIP_SCALE));
  return b.attention ? selfAttention(o, p, out, `${n}.attn`, ctx) : out;
}

/** Multi-head softmax self-attention over the H W positions, as a residual branch. */
export function selfAttention<T>(o: TensorOps<T>, p: Record<string, T>, h: T, name: string, ctx: BlockContext): T {
  const [B, H, W, C] = o.shape(h);
  const heads = ctx.attentionHeads;
  const d = C / heads;
  const N = H * W;
  const qkv = linear(o, groupNorm(o, h, ctx.normGroups), p[`${name}.qkv.weight`], p[`${name}.qkv.bias`]);
  // Heads move into the batch axis, so one batched matmul serves them all.
  const part = (i: number) =>
    o.reshape(o.transpose(o.reshape(o.slice(qkv, [0, 0, 0, i * C], [B, H, W, C]), [B, N, heads, d]), [0, 2, 1, 3]), [B * heads, N, d]);
  const a = attention(o, part(0), part(1), part(2));
  const merged = o.reshape(o.transpose(o.reshape(a, [B, heads, N, d]), [0, 2, 1, 3]), [B, H, W, C]);
  const proj = linear(o, merged, p[`${name}.proj.weight`], p[`${name}.proj.bias`]);
  return o.mul(o.add(h, proj), o.fill([], SKIP_SCALE));
}
