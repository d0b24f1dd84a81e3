/**
 * Dropout as the models apply it: inverted dropout whose mask keeps an entry when its uniform draw
 * is at least the rate (so a draw equal to the rate is kept), scales kept entries by 1 / (1 - rate),
 * and is skipped without a mask stream (evaluation) in the MLP as in the U-Net blocks.
 */
import { describe, expect, it } from 'vitest';
import { createMlp, Rng, toDevice } from '../src/index.js';
import { dropout } from '../src/models/dropout.js';
import { drawParams } from '../src/nn/params.js';
import { block, blockSpecs, type BlockContext, type BlockSpec } from '../src/models/unet-blocks.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();

describe('dropout', () => {
  it('keeps the entries whose draw is at least the rate, a draw equal to it included, scaled by 1 / (1 - rate)', () => {
    const u = new Rng(4).uniform(6);
    // The rate is one of the draws itself, so the boundary case occurs.
    const rate = u[2];
    const x = o.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    const got = o.readSync(dropout(o, x, rate, new Rng(4)));
    expect(o.shape(dropout(o, x, rate, new Rng(4)))).toEqual([2, 3]);
    const keep = Math.fround(1 / (1 - rate));
    expect(Array.from(got)).toEqual(Array.from(u, (v, i) => (v >= rate ? (i + 1) * keep : 0)));
    expect(got[2]).toBe(3 * keep);
    expect(Array.from(u).some((v) => v < rate)).toBe(true);
  });
});

describe('MLP dropout and sizes', () => {
  const base = { dim: 2, width: 4, blocks: 2, embChannels: 4, normGroups: 2, logvarChannels: 4 } as const;
  const x = o.fromArray([0.3, -1.2, 1.5, 0.2], [2, 2]);
  const t = o.fromArray([0.4, 1.3], [2]);

  /** Random params (the output layer is zero at init, which would hide every block). */
  function params(model: ReturnType<typeof createMlp>) {
    const rng = new Rng(5);
    return toDevice(o, Object.fromEntries(Object.entries(model.init(new Rng(1))).map(([k, v]) => [k, { shape: v.shape, data: rng.normal(v.data.length) }])));
  }

  it('without a mask stream a dropout model computes what the same model without dropout does', () => {
    const plain = createMlp(base);
    const dropped = createMlp({ ...base, dropout: 0.3 });
    const p = params(plain);
    const want = o.readSync(plain.F(o, p, x, t));
    expect(o.readSync(dropped.F(o, p, x, t))).toEqual(want);
    expect(o.readSync(dropped.F(o, p, x, t, { dropoutRng: new Rng(2) }))).not.toEqual(want);
    // Rate 0 draws no masks: the stream is left where it was.
    const rng = new Rng(3);
    expect(o.readSync(plain.F(o, p, x, t, { dropoutRng: rng }))).toEqual(want);
    expect(rng.uniform(1)[0]).toBe(new Rng(3).uniform(1)[0]);
  });

  it('takes the smallest sizes: one block, one group, one dimension', () => {
    const tiny = createMlp({ dim: 1, width: 2, blocks: 1, embChannels: 2, normGroups: 1, logvarChannels: 2 });
    const p = toDevice(o, tiny.init(new Rng(1)));
    expect(o.shape(tiny.F(o, p, o.fromArray([0.5, -0.5], [2, 1]), t))).toEqual([2, 1]);
    expect(o.shape(tiny.logvar(o, p, t))).toEqual([2]);
  });
});

describe('U-Net block dropout at rate 0', () => {
  it('draws no masks from the stream it is given', () => {
    const spec: BlockSpec = { name: 'b', cin: 4, cout: 4, attention: false, resolution: 4, dropout: true };
    const ctx: BlockContext = { embWidth: 3, normGroups: 2, norm: 'double', dropout: 0, attentionHeads: 1 };
    const p = toDevice(o, drawParams(new Rng(1), blockSpecs(spec, ctx)));
    const rng = new Rng(6);
    const h = o.fromArray(new Rng(2).normal(2 * 2 * 2 * 4), [2, 2, 2, 4]);
    const emb = o.fromArray(new Rng(3).normal(2 * 3), [2, 3]);
    expect(o.readSync(block(o, p, h, emb, spec, ctx, rng))).toEqual(o.readSync(block(o, p, h, emb, spec, ctx)));
    expect(rng.uniform(1)[0]).toBe(new Rng(6).uniform(1)[0]);
  });
});
