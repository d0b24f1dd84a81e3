/**
 * One U-Net residual block against a host float64 forward pass written here from PAPER.md §4 and the
 * block's documentation: GroupNorm -> SiLU -> conv3x3, adaptive (double or AdaGN) normalisation from
 * the embedding, SiLU, dropout, conv3x3, a 1x1 skip conv when the channels change, the 1/sqrt(2)
 * residual sum, then multi-head self-attention as a residual branch. Every parameter is random (none
 * left at its zero or small init), so each term shows in the output.
 */
import { describe, expect, it } from 'vitest';
import { Rng, toDevice, type HostParams } from '../src/index.js';
import { drawParams } from '../src/nn/params.js';
import { block, blockSpecs, type BlockContext, type BlockSpec } from '../src/models/unet-blocks.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const [B, H, W, E] = [2, 3, 4, 5];

/** An NHWC image as nested arrays [b][y][x][c]. */
type Image = number[][][][];
type Host = Record<string, { shape: readonly number[]; data: number[] }>;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const silu = (x: Image): Image => x.map((b) => b.map((r) => r.map((px) => px.map((v) => v * sigmoid(v)))));
const channels = (x: Image) => x[0][0][0].length;
const flatten = (x: Image) => x.flat(3);

function groupNorm(x: Image, groups: number): Image {
  const size = channels(x) / groups;
  return x.map((img) => {
    const stats = Array.from({ length: groups }, (_, g) => {
      const vs = img.flatMap((r) => r.flatMap((px) => px.slice(g * size, (g + 1) * size)));
      const mu = vs.reduce((a, v) => a + v, 0) / vs.length;
      return [mu, vs.reduce((a, v) => a + (v - mu) ** 2, 0) / vs.length];
    });
    return img.map((r) => r.map((px) => px.map((v, c) => (v - stats[Math.floor(c / size)][0]) / Math.sqrt(stats[Math.floor(c / size)][1] + 1e-5))));
  });
}

/** A stride-1 'same' convolution with HWIO weights plus bias (odd k: k >> 1 zeros on each side). */
function conv(x: Image, p: Host, name: string): Image {
  const [k, , cin, cout] = p[`${name}.weight`].shape;
  const w = p[`${name}.weight`].data;
  const bias = p[`${name}.bias`].data;
  const pad = k >> 1;
  return x.map((img) =>
    img.map((row, y) =>
      row.map((_, xx) =>
        Array.from({ length: cout }, (_, co) => {
          let s = bias[co];
          for (let a = 0; a < k; a++) {
            for (let b = 0; b < k; b++) {
              const [yy, xs] = [y + a - pad, xx + b - pad];
              if (yy < 0 || yy >= H || xs < 0 || xs >= W) continue;
              for (let ci = 0; ci < cin; ci++) s += img[yy][xs][ci] * w[((a * k + b) * cin + ci) * cout + co];
            }
          }
          return s;
        }),
      ),
    ),
  );
}

const linearRow = (row: number[], p: Host, name: string): number[] => {
  const w = p[`${name}.weight`];
  const fout = w.shape[1];
  return Array.from({ length: fout }, (_, j) => row.reduce((a, v, k) => a + v * w.data[k * fout + j], p[`${name}.bias`].data[j]));
};
const pixelNorm = (row: number[]) => row.map((v) => v / Math.sqrt(row.reduce((a, u) => a + u * u, 0) / row.length + 1e-8));

function hostBlock(p: Host, h: Image, emb: number[][], spec: BlockSpec, ctx: BlockContext, dropoutSeed?: number): Image {
  const n = spec.name;
  let a = conv(silu(groupNorm(h, ctx.normGroups)), p, `${n}.conv0`);
  const normed = groupNorm(a, ctx.normGroups);
  a = silu(
    normed.map((img, e) => {
      const ss = linearRow(emb[e], p, `${n}.affine`);
      const [scale, shift] = [ss.slice(0, spec.cout), ss.slice(spec.cout)];
      const [s, b] = ctx.norm === 'double' ? [pixelNorm(scale), pixelNorm(shift)] : [scale.map((v) => 1 + v), shift];
      return img.map((r) => r.map((px) => px.map((v, c) => v * s[c] + b[c])));
    }),
  );
  if (dropoutSeed !== undefined && spec.dropout && ctx.dropout > 0) {
    // The mask is a float32 array: its kept entries are 1 / (1 - rate) rounded to float32.
    const u = new Rng(dropoutSeed).uniform(B * H * W * spec.cout);
    const keep = Math.fround(1 / (1 - ctx.dropout));
    let i = 0;
    a = a.map((img) => img.map((r) => r.map((px) => px.map((v) => (u[i++] >= ctx.dropout ? v * keep : 0)))));
  }
  a = conv(a, p, `${n}.conv1`);
  const skip = spec.cin === spec.cout ? h : conv(h, p, `${n}.skip`);
  const out = skip.map((img, e) => img.map((r, y) => r.map((px, x) => px.map((v, c) => (v + a[e][y][x][c]) * Math.SQRT1_2))));
  return spec.attention ? hostAttention(p, out, `${n}.attn`, ctx) : out;
}

function hostAttention(p: Host, h: Image, name: string, ctx: BlockContext): Image {
  const C = channels(h);
  const d = C / ctx.attentionHeads;
  const normed = groupNorm(h, ctx.normGroups);
  return h.map((img, e) => {
    const pixels = normed[e].flat(1);
    const qkv = pixels.map((px) => linearRow(px, p, `${name}.qkv`));
    const merged = pixels.map((_, i) =>
      Array.from({ length: C }, (_, c) => {
        const head = Math.floor(c / d);
        const q = qkv[i].slice(head * d, head * d + d);
        const logits = qkv.map((row) => q.reduce((s, qj, j) => s + qj * row[C + head * d + j], 0) / Math.sqrt(d));
        const m = Math.max(...logits);
        const weights = logits.map((l) => Math.exp(l - m));
        const total = weights.reduce((s, v) => s + v, 0);
        return qkv.reduce((s, row, j) => s + (weights[j] / total) * row[2 * C + c], 0);
      }),
    );
    return img.map((r, y) => r.map((px, x) => {
      const proj = linearRow(merged[y * W + x], p, `${name}.proj`);
      return px.map((v, c) => (v + proj[c]) * Math.SQRT1_2);
    }));
  });
}

function randomize(p: HostParams, seed: number): Host {
  const rng = new Rng(seed);
  return Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, { shape: v.shape, data: Array.from(rng.normal64(v.data.length), (z) => Math.fround(0.4 * z)) }]),
  );
}

function image(rng: Rng, c: number): Image {
  const z = rng.normal64(B * H * W * c);
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: H }, (_, y) => Array.from({ length: W }, (_, x) => Array.from(z.subarray(((b * H + y) * W + x) * c, ((b * H + y) * W + x) * c + c)))),
  );
}

describe('U-Net block against a host float64 forward pass', () => {
  it.each<[string, Partial<BlockSpec>, Partial<BlockContext>, number | undefined]>([
    ['channels 4 -> 8 (1x1 skip conv), double norm', {}, {}, undefined],
    ['channels 8 -> 8 (identity skip), AdaGN', { cin: 8 }, { norm: 'adagn' }, undefined],
    ['self-attention with 2 heads', { attention: true }, { attentionHeads: 2 }, undefined],
    ['self-attention with 1 head over 8 channels', { cin: 8, attention: true }, {}, undefined],
    ['dropout 0.4 from a mask stream', { dropout: true }, { dropout: 0.4 }, 17],
    ['dropout switched off for this block', { dropout: false }, { dropout: 0.4 }, 17],
    ['dropout without a mask stream (evaluation)', { dropout: true }, { dropout: 0.4 }, undefined],
  ])('%s', (_label, specOverrides, ctxOverrides, dropoutSeed) => {
    const spec: BlockSpec = { name: 'blk', cin: 4, cout: 8, attention: false, resolution: 4, dropout: false, ...specOverrides };
    const ctx: BlockContext = { embWidth: E, normGroups: 2, norm: 'double', dropout: 0, attentionHeads: 1, ...ctxOverrides };
    const host = randomize(drawParams(new Rng(1), blockSpecs(spec, ctx)), 2);
    const expectedNames = ['conv0', 'affine', 'conv1', ...(spec.cin !== spec.cout ? ['skip'] : []), ...(spec.attention ? ['attn.qkv', 'attn.proj'] : [])];
    expect(Object.keys(host).sort()).toEqual(expectedNames.flatMap((k) => [`blk.${k}.bias`, `blk.${k}.weight`]).sort());
    const params = toDevice(o, Object.fromEntries(Object.entries(host).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])));
    const rng = new Rng(3);
    const h = image(rng, spec.cin);
    const emb = Array.from({ length: B }, () => Array.from(rng.normal64(E)));
    const got = o.readSync(
      block(o, params, o.fromArray(flatten(h), [B, H, W, spec.cin]), o.fromArray(emb.flat(), [B, E]), spec, ctx, dropoutSeed === undefined ? undefined : new Rng(dropoutSeed)),
    );
    const want = flatten(hostBlock(host, h, emb, spec, ctx, dropoutSeed));
    expect(got.length).toBe(B * H * W * spec.cout);
    const scale = Math.max(...want.map(Math.abs));
    Array.from(got).forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}`).toBeLessThan(1e-10 * scale));
  });
});
