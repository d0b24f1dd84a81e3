import { describe, expect, it } from 'vitest';
import { createModel, createUnet, jvp, oneHotLabels, Rng, valueAndGrad, type HostParams, type TensorOps, type UnetConfig } from '../src/index.js';
import { attention, groupNorm, linear } from '../src/nn/functional.js';
import { linearParams } from '../src/nn/params.js';
import { selfAttention, type BlockContext } from '../src/models/unet-blocks.js';
import { ReferenceOps, assertClose, centralDifference, tinyUnetConfig } from '../src/testing/index.js';
import { dot } from '../src/testing/numeric.js';

const o = new ReferenceOps();
const B = 3;
const S = 8;
const C = 2;
const tiny = tinyUnetConfig;
type Unet = ReturnType<typeof createUnet>;

/** Float64 copies of the initial params with the zero-initialised output conv and logvar head made random. */
function randomisedParams(model: Unet, seed: number): Record<string, { shape: readonly number[]; data: Float64Array }> {
  const rng = new Rng(seed);
  const init: HostParams = model.init(rng);
  return Object.fromEntries(
    Object.entries(init).map(([k, v]) => {
      const data = Float64Array.from(v.data);
      if (k.startsWith('out.') || k.startsWith('logvar.')) data.set(rng.normal64(data.length).map((z) => 0.3 * z));
      return [k, { shape: v.shape, data }];
    }),
  );
}

const upload = (p: Record<string, { shape: readonly number[]; data: Float64Array }>) =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, o.fromArray(v.data, v.shape)]));

function inputs(seed: number) {
  const rng = new Rng(seed);
  return {
    x: rng.normal64(B * S * S * C),
    t: rng.uniform64(B).map((u) => 0.1 + 1.3 * u),
    labels: o.fromArray(oneHotLabels([0, 2, -1], 3), [B, 4]),
    guidance: o.fromArray([1, 1.5, 2], [B]),
  };
}

interface LossInputs<T> {
  x: T;
  t: T;
  labels: T;
  guidance: T;
  /** Random weights of the output elements, so every output enters the loss differently. */
  w: T;
}

/** A scalar that depends on every parameter: a weighted mean of F plus a t-weighted mean of u(t). */
function loss<T>(model: Unet, ops: TensorOps<T>, p: Record<string, T>, d: LossInputs<T>): T {
  const f = model.F(ops, p, d.x, d.t, { labels: d.labels, guidance: d.guidance });
  return ops.add(ops.mean(ops.mul(f, d.w)), ops.mean(ops.mul(model.logvar(ops, p, d.t), d.t)));
}

const mapValues = <A, R>(r: LossInputs<A>, f: (v: A) => R): LossInputs<R> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v as A)])) as unknown as LossInputs<R>;

/**
 * Built inside each test, never at module or describe level: Stryker (9.6) counts code that runs while
 * test files load as static and does not activate its mutants in time, so every mutant of createUnet
 * would survive however strict the assertions.
 */
function fixture() {
  const model = createUnet(tiny);
  const host = randomisedParams(model, 1);
  const { x, t, labels, guidance } = inputs(2);
  return { model, host, params: upload(host), x, t, labels, guidance, X: o.fromArray(x, [B, S, S, C]), Tt: o.fromArray(t, [B]) };
}

describe('U-Net (tiny: 8x8, channels [8, 16], attention at 4x4 with 2 heads)', () => {

  it('has the EDM layout: shapes of the output, the logvar head and the params', () => {
    const { model, host, params, labels, guidance, X, Tt } = fixture();
    expect(model.sampleShape).toEqual([S, S, C]);
    expect(o.shape(model.F(o, params, X, Tt, { labels, guidance }))).toEqual([B, S, S, C]);
    expect(o.shape(model.logvar(o, params, Tt))).toEqual([B]);
    const shapes = Object.fromEntries(Object.entries(host).map(([k, v]) => [k, v.shape]));
    expect(shapes['enc.in.weight']).toEqual([3, 3, C, 8]);
    expect(shapes['enc.1.block.0.skip.weight']).toEqual([1, 1, 8, 16]);
    expect(shapes['enc.1.block.0.attn.qkv.weight']).toEqual([16, 48]);
    expect(shapes['mid.0.attn.proj.weight']).toEqual([16, 16]);
    expect(shapes['mid.1.attn.qkv.weight']).toBeUndefined();
    // Decoder blocks read the concatenation of the running activation and one encoder activation.
    expect(shapes['dec.1.block.0.conv0.weight']).toEqual([3, 3, 32, 16]);
    expect(shapes['dec.1.block.1.conv0.weight']).toEqual([3, 3, 24, 16]);
    expect(shapes['dec.0.up.weight']).toEqual([3, 3, 16, 16]);
    expect(shapes['dec.0.block.1.conv0.weight']).toEqual([3, 3, 16, 8]);
    expect(shapes['dec.0.block.0.affine.weight']).toEqual([32, 16]);
    expect(shapes['class.weight']).toEqual([4, 32]);
    expect(shapes['guidance.weight']).toEqual([8, 32]);
    expect(shapes['out.weight']).toEqual([3, 3, 8, C]);
    expect(shapes['logvar.weight']).toEqual([8, 1]);
  });

  it('outputs zero and u(t) = 0 at init', () => {
    const { model, labels, guidance, X, Tt } = fixture();
    const p = upload(Object.fromEntries(Object.entries(model.init(new Rng(5))).map(([k, v]) => [k, { shape: v.shape, data: Float64Array.from(v.data) }])));
    expect(o.readSync(model.F(o, p, X, Tt, { labels, guidance })).every((v) => v === 0)).toBe(true);
    expect(o.readSync(model.logvar(o, p, Tt)).every((v) => v === 0)).toBe(true);
  });

  it('its JVP in (x, t), params lifted, matches float64 central differences', () => {
    const { model, params, x, t, labels, guidance, X, Tt } = fixture();
    const rng = new Rng(3);
    const vx = rng.normal64(x.length);
    const vt = rng.normal64(B);
    const f = ([xs, ts]: readonly Float64Array[]) =>
      o.readSync(model.F(o, params, o.fromArray(xs, [B, S, S, C]), o.fromArray(ts, [B]), { labels, guidance }));
    const fd = centralDifference(f, [x, t], [vx, vt]);
    const { tangent } = jvp(
      o,
      (d, xd, td) => model.F(d, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, d.lift(v)])), xd, td, { labels: d.lift(labels), guidance: d.lift(guidance) }),
      [X, Tt],
      [o.fromArray(vx, [B, S, S, C]), o.fromArray(vt, [B])],
    );
    assertClose(o.readSync(tangent), fd, 1e-6, 'U-Net JVP');
  });

  it('the gradient of a scalar loss matches central differences along each group of parameters', () => {
    const { model, host, params, x, labels, guidance, X, Tt } = fixture();
    const rng = new Rng(4);
    const data = { x: X, t: Tt, labels, guidance, w: o.fromArray(rng.normal64(x.length), [B, S, S, C]) };
    const { grads } = valueAndGrad(o, (tape, p) => loss(model, tape, p, mapValues(data, (v) => tape.lift(v))), params);
    const names = Object.keys(host);
    const values = names.map((k) => host[k].data);
    const f = (xs: readonly Float64Array[]) => o.readSync(loss(model, o, Object.fromEntries(names.map((k, i) => [k, o.fromArray(xs[i], host[k].shape)])), data));
    // One random direction per group (embedding, encoder, middle, decoder, output, logvar head) keeps it fast.
    const groups = [...new Set(names.map((k) => k.split('.')[0]))];
    expect(groups).toEqual(expect.arrayContaining(['map', 'class', 'guidance', 'enc', 'mid', 'dec', 'out', 'logvar']));
    for (const group of groups) {
      const size = names.reduce((n, k, i) => n + (k.split('.')[0] === group ? values[i].length : 0), 0);
      // Unit-length directions keep the finite-difference step, and so its truncation error, small.
      const vs = names.map((k, i) => (k.split('.')[0] === group ? rng.normal64(values[i].length).map((z) => z / Math.sqrt(size)) : null));
      const fd = centralDifference(f, values, vs);
      const directional = names.reduce((s, k, i) => s + (vs[i] ? dot(o.readSync(grads[k]), vs[i] as Float64Array) : 0), 0);
      assertClose([directional], fd, 1e-6, `gradient along the ${group} params`);
    }
  });

  it('class labels and the guidance scale change the output', () => {
    const { model, params, labels, guidance, X, Tt } = fixture();
    const base = o.readSync(model.F(o, params, X, Tt, { labels, guidance }));
    const relabelled = o.fromArray(oneHotLabels([1, 0, 2], 3), [B, 4]);
    expect(o.readSync(model.F(o, params, X, Tt, { labels: relabelled, guidance }))).not.toEqual(base);
    expect(o.readSync(model.F(o, params, X, Tt, { labels, guidance: o.fromArray([3, 3, 3], [B]) }))).not.toEqual(base);
    expect(() => model.F(o, params, X, Tt, { guidance })).toThrow(/unet: this model is class-conditional/);
  });

  it('dropout masks from the same Rng state give identical outputs, and only then', () => {
    const { params, labels, guidance, X, Tt } = fixture();
    const dropped = createUnet({ ...tiny, dropout: 0.5 });
    const state = new Rng(9).state();
    const run = (dropoutRng?: Rng) => o.readSync(dropped.F(o, params, X, Tt, { labels, guidance, dropoutRng }));
    const a = run(Rng.fromState(state));
    expect(run(Rng.fromState(state))).toEqual(a);
    expect(run(new Rng(10))).not.toEqual(a);
    expect(run()).not.toEqual(a);
  });

  it('multi-head attention attends within each head over its own channel slice', () => {
    const [Bh, H, W, Ch, heads] = [2, 2, 3, 8, 2];
    const ctx: BlockContext = { embWidth: 1, normGroups: 2, norm: 'double', dropout: 0, attentionHeads: heads };
    const rng = new Rng(6);
    const hp = { ...linearParams(rng, 'a.qkv', Ch, 3 * Ch), ...linearParams(rng, 'a.proj', Ch, Ch) };
    const p = Object.fromEntries(Object.entries(hp).map(([k, v]) => [k, o.fromArray(v.data, v.shape)]));
    const h = o.fromArray(rng.normal64(Bh * H * W * Ch), [Bh, H, W, Ch]);
    const qkv = o.reshape(linear(o, groupNorm(o, h, 2), p['a.qkv.weight'], p['a.qkv.bias']), [Bh, H * W, 3 * Ch]);
    const d = Ch / heads;
    const part = (i: number, head: number) => o.slice(qkv, [0, 0, i * Ch + head * d], [Bh, H * W, d]);
    const perHead = Array.from({ length: heads }, (_, head) => attention(o, part(0, head), part(1, head), part(2, head)));
    const proj = linear(o, o.reshape(o.concat(perHead, -1), [Bh, H, W, Ch]), p['a.proj.weight'], p['a.proj.bias']);
    const expected = o.mul(o.add(h, proj), o.fill([], Math.SQRT1_2));
    assertClose(o.readSync(selfAttention(o, p, h, 'a', ctx)), o.readSync(expected), 1e-12, 'multi-head attention');
  });
});

describe('U-Net config', () => {
  it('the registry builds it from a JSON round trip of its config', () => {
    const model = createUnet(tiny);
    const config = JSON.parse(JSON.stringify(model.config));
    const rebuilt = createModel(config);
    expect(rebuilt.config).toEqual(model.config);
    const a = model.init(new Rng(7));
    const b = rebuilt.init(new Rng(7));
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(b[k].data).toEqual(a[k].data);
  });

  it('the default fits MNIST: 28 -> 14 -> 7 with attention at 7', () => {
    const m = createUnet();
    expect(m.sampleShape).toEqual([28, 28, 1]);
    expect(m.config.attentionResolutions).toEqual([7]);
  });

  it.each<[Partial<UnetConfig>, RegExp]>([
    [{ imageSize: 28, channelMult: [1, 2, 2, 2] }, /imageSize 28 is not divisible by 2\^3 = 8/],
    [{ attentionResolutions: [5] }, /attention resolution 5 is not a level resolution \(28, 14, 7\)/],
    [{ baseChannels: 12 }, /12 channels .* not divisible by normGroups 8/],
    [{ attentionHeads: 3 }, /attends over 64 channels, which attentionHeads 3 does not divide/],
    [{ channelMult: [] }, /channelMult must be a non-empty list/],
    [{ dropout: 1 }, /dropout must be in \[0, 1\)/],
    [{ blocksPerLevel: 0 }, /blocksPerLevel must be a positive integer/],
    [{ widht: 3 } as Partial<UnetConfig>, /unknown option "widht"/],
  ])('rejects %o', (overrides, message) => {
    expect(() => createUnet(overrides)).toThrow(message);
  });
});
