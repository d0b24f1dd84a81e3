/**
 * How models see time, classes and guidance, against values written out here: the Fourier time
 * embedding of the ablation (frequencies fixed by a seed and scaled by fourierScale, angles 2 pi f t),
 * the positional embedding of c_noise = log(sigma_d tan t), the one-hot labels with their null class,
 * and the initial scale of the class embedding (unit variance per one-hot row).
 */
import { describe, expect, it } from 'vitest';
import { createMlp, createModel, defaultMlpConfig, oneHotLabels, Rng, toDevice } from '../src/index.js';
import { drawParams } from '../src/nn/params.js';
import { blockSpecs } from '../src/models/unet-blocks.js';
import { conditioningEmbedding, defaultTrunkConfig, type ConditioningConfig } from '../src/models/conditioning.js';
import { fourierFrequencies, timeEmbedding, type TimeConfig } from '../src/models/time.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const t = [0.2, 0.9, 1.5];

describe('time embeddings', () => {
  const time: TimeConfig = { cNoise: 'identity', embedding: 'fourier', channels: 6, fourierScale: 2.5, sigmaD: 0.5 };

  it('Fourier frequencies are the seed stream normals times fourierScale', () => {
    const want = new Rng(3).normal(3);
    const got = fourierFrequencies(new Rng(3), time);
    expect(got).toHaveLength(3);
    got.forEach((f, j) => expect(f).toBe(Math.fround(want[j] * 2.5)));
  });

  it('the Fourier embedding is [cos(2 pi f t), sin(2 pi f t)] of c_noise(t)', () => {
    const freqs = Float32Array.from([0.3, -1.2, 2]);
    for (const cNoise of ['identity', 'log-tan'] as const) {
      const got = o.readSync(timeEmbedding(o, o.fromArray(t, [3]), { ...time, cNoise }, freqs));
      t.forEach((ti, i) => {
        const x = cNoise === 'identity' ? ti : Math.log(0.5 * Math.tan(ti));
        const angles = Array.from(freqs, (f) => x * Math.fround(2 * Math.PI * f));
        const want = [...angles.map(Math.cos), ...angles.map(Math.sin)];
        want.forEach((w, j) => expect(got[i * 6 + j], `${cNoise} t=${ti} channel ${j}`).toBeCloseTo(w, 6));
      });
    }
  });

  it('the positional embedding ignores the Fourier frequencies', () => {
    const got = o.readSync(timeEmbedding(o, o.fromArray(t, [3]), { ...time, embedding: 'positional', cNoise: 'log-tan', sigmaD: 0.7 }, Float32Array.from([9, 9, 9])));
    t.forEach((ti, i) => {
      const x = Math.log(0.7 * Math.tan(ti));
      const freqs = [0, 1, 2].map((j) => (1 / 10000) ** (j / 3));
      const want = [...freqs.map((f) => Math.cos(x * Math.fround(f))), ...freqs.map((f) => Math.sin(x * Math.fround(f)))];
      want.forEach((w, j) => expect(got[i * 6 + j], `t=${ti} channel ${j}`).toBeCloseTo(w, 6));
    });
  });
});

describe('the conditioning embedding of a Fourier-time model', () => {
  it('is silu(map.1(silu(map.0(Fourier features of t)))), frequencies fixed by its seed and scaled by fourierScale', () => {
    const c: ConditioningConfig = { ...defaultTrunkConfig, embChannels: 4, timeEmbedding: 'fourier', fourierScale: 3 };
    const width = 3;
    const emb = conditioningEmbedding('m', c, width);
    const rng = new Rng(8);
    const host = Object.fromEntries(Object.entries(drawParams(new Rng(1), emb.paramSpecs())).map(([k, v]) => [k, { shape: v.shape, data: rng.normal(v.data.length) }]));
    const got = o.readSync(emb.apply(o, toDevice(o, host), o.fromArray(t, [3]), {}));
    // The frequencies are not parameters: the same seed (0x5eed) gives them to every model.
    const freqs = new Rng(0x5eed).normal(2).map((v) => v * 3);
    const silu = (v: number) => v / (1 + Math.exp(-v));
    const dense = (x: number[], name: string, fout: number) =>
      Array.from({ length: fout }, (_, j) => x.reduce((s, v, k) => s + v * host[`${name}.weight`].data[k * fout + j], host[`${name}.bias`].data[j]));
    t.forEach((ti, i) => {
      const angles = Array.from(freqs, (f) => ti * Math.fround(2 * Math.PI * f));
      const features = [...angles.map(Math.cos), ...angles.map(Math.sin)];
      const want = dense(dense(features, 'map.0', width).map(silu), 'map.1', width).map(silu);
      want.forEach((w, j) => expect(got[i * width + j], `t=${ti} channel ${j}`).toBeCloseTo(w, 6));
    });
  });

  it('class embedding rows start with unit variance and no bias; guidance gets a biased layer', () => {
    const c: ConditioningConfig = { ...defaultTrunkConfig, embChannels: 4, numClasses: 3, guidanceInput: true };
    const p = drawParams(new Rng(2), conditioningEmbedding('m', c, 256).paramSpecs());
    expect(Object.keys(p).sort()).toEqual(['class.weight', 'guidance.bias', 'guidance.weight', 'map.0.bias', 'map.0.weight', 'map.1.bias', 'map.1.weight']);
    expect(p['class.weight'].shape).toEqual([4, 256]);
    const w = p['class.weight'].data;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    // 1024 draws: the sample std is within 0.1 of 1 by more than 4 standard errors (1 / sqrt(2048)).
    expect(Math.abs(std - 1)).toBeLessThan(0.1);
  });
});

describe('oneHotLabels', () => {
  it('puts -1 and numClasses in the null column and everything else at its index', () => {
    expect(Array.from(oneHotLabels([2, -1, 0, 3], 3))).toEqual([0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('names a label outside the classes', () => {
    expect(() => oneHotLabels([4], 3)).toThrow('label 4 is outside 0..2 (or -1 for none)');
    expect(() => oneHotLabels([1.5], 3)).toThrow('label 1.5 is outside 0..2 (or -1 for none)');
  });
});

describe('configs and parameter names', () => {
  it('the defaults are sCM\'s stable choices (PAPER.md §4)', () => {
    expect(defaultTrunkConfig).toMatchObject({ norm: 'double', cNoise: 'identity', timeEmbedding: 'positional', dropout: 0, numClasses: 0, guidanceInput: false });
    expect(createMlp().config).toMatchObject({ kind: 'mlp', norm: 'double', cNoise: 'identity', timeEmbedding: 'positional' });
  });

  it('an MLP is rebuilt from its config and from the exported default config', () => {
    const mlp = createMlp({ dim: 3, width: 8, blocks: 2, normGroups: 2 });
    expect(mlp.sampleShape).toEqual([3]);
    const rebuilt = createModel(JSON.parse(JSON.stringify(mlp.config)));
    expect(rebuilt.config).toEqual(mlp.config);
    expect(createModel(defaultMlpConfig).sampleShape).toEqual([2]);
  });

  it('an MLP has exactly its blocks\' parameters; an unconditional embedding has no class or guidance layers', () => {
    const names = Object.keys(createMlp({ dim: 2, width: 8, blocks: 2, normGroups: 2 }).init(new Rng(1)));
    expect(names.filter((k) => k.startsWith('blocks.')).map((k) => k.split('.')[1])).toEqual(expect.arrayContaining(['0', '1']));
    expect(new Set(names.filter((k) => k.startsWith('blocks.')).map((k) => k.split('.')[1]))).toEqual(new Set(['0', '1']));
    const plain = drawParams(new Rng(2), conditioningEmbedding('m', { ...defaultTrunkConfig, embChannels: 4 }, 8).paramSpecs());
    expect(Object.keys(plain).sort()).toEqual(['map.0.bias', 'map.0.weight', 'map.1.bias', 'map.1.weight']);
  });

  it('a U-Net block has a skip conv only when its channels change, and qkv of 3 x cout', () => {
    const ctx = { embWidth: 4, normGroups: 2, norm: 'double', dropout: 0, attentionHeads: 1 } as const;
    const same = drawParams(new Rng(1), blockSpecs({ name: 'b', cin: 8, cout: 8, attention: true, resolution: 4, dropout: false }, ctx));
    expect(Object.keys(same).some((k) => k.startsWith('b.skip'))).toBe(false);
    expect(same['b.attn.qkv.weight'].shape).toEqual([8, 24]);
    const changed = drawParams(new Rng(1), blockSpecs({ name: 'b', cin: 4, cout: 8, attention: false, resolution: 4, dropout: false }, ctx));
    expect(changed['b.skip.weight'].shape).toEqual([1, 1, 4, 8]);
  });
});
