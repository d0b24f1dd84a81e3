import { describe, expect, it } from 'vitest';
import { philox4x32, Rng, type RngState } from '../src/random/index.js';
import { centralMoment, chiSquareCritical, chiSquareUniform, correlation, ksCritical, ksStatistic, mean, normalCdf } from './helpers/stats.js';

const hex = (words: ArrayLike<number>): string =>
  Array.from(words, (w) => (w >>> 0).toString(16).padStart(8, '0')).join(' ');
const words = (text: string): number[] => text.split(' ').map((h) => parseInt(h, 16));

// Random123 tests/kat_vectors, "philox4x32 10" lines: counter, key, expected output.
const KAT: [string, string, string][] = [
  ['00000000 00000000 00000000 00000000', '00000000 00000000', '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
  ['ffffffff ffffffff ffffffff ffffffff', 'ffffffff ffffffff', '408f276d 41c83b0e a20bc7c6 6d5451fd'],
  ['243f6a88 85a308d3 13198a2e 03707344', 'a4093822 299f31d0', 'd16cfe09 94fdcceb 5001e420 24126ea1'],
];

/** Philox4x32-10 written directly from the paper with BigInt products: no 16-bit splitting. */
function philoxBigInt(counter: number[], key: number[]): number[] {
  const mask = 0xffffffffn;
  let [c0, c1, c2, c3] = counter.map(BigInt);
  let [k0, k1] = key.map(BigInt);
  for (let round = 0; round < 10; round++) {
    const p0 = 0xd2511f53n * c0;
    const p1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & mask, (p0 >> 32n) ^ c3 ^ k1, p0 & mask];
    k0 = (k0 + 0x9e3779b9n) & mask;
    k1 = (k1 + 0xbb67ae85n) & mask;
  }
  return [c0, c1, c2, c3].map(Number);
}

const stateAt = (key: number[], counter: number[], offset = 0): RngState => ({
  algorithm: 'philox4x32-10',
  key,
  counter,
  offset,
});

const N = 200_000;

describe('philox4x32', () => {
  it('matches the Random123 known-answer vectors', () => {
    for (const [counter, key, expected] of KAT) {
      expect(hex(philox4x32(words(counter), words(key)))).toBe(expected);
    }
  });

  it('agrees with a BigInt implementation on varied inputs', () => {
    let x = 0x12345678;
    const next = (): number => {
      // xorshift32: an input generator independent of the code under test.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let trial = 0; trial < 200; trial++) {
      const counter = [next(), next(), next(), next()];
      const key = [next(), next()];
      expect(Array.from(philox4x32(counter, key))).toEqual(philoxBigInt(counter, key));
    }
  });
});

describe('Rng stream layout', () => {
  it('reads the Random123 blocks for key = seed from counter 0, top bits first', () => {
    const [w0, w1, w2, w3] = words(KAT[0][2]);
    expect(Array.from(new Rng(0).uniform(4))).toEqual([w0, w1, w2, w3].map((w) => Math.floor(w / 256) / 2 ** 24));
    const expected64 = (Math.floor(w0 / 32) * 2 ** 26 + Math.floor(w1 / 64)) / 2 ** 53;
    expect(new Rng(0).uniform64(1)[0]).toBe(expected64);
  });

  it('maps a bigint seed to (low word, high word) of the key and restores counters exactly', () => {
    const [counter, key, expected] = KAT[2];
    const seed = (BigInt(words(key)[1]) << 32n) | BigInt(words(key)[0]);
    expect(new Rng(seed).state().key).toEqual(words(key));
    const rng = Rng.fromState(stateAt(words(key), words(counter)));
    const out = words(expected);
    expect(Array.from(rng.uniform(4))).toEqual(out.map((w) => Math.floor(w / 256) / 2 ** 24));
  });

  it('carries the counter across words', () => {
    const rng = Rng.fromState(stateAt([7, 9], [0xffffffff, 0xffffffff, 0, 0], 3));
    rng.uniform(1);
    expect(rng.state()).toEqual(stateAt([7, 9], [0, 0, 1, 0], 0));
    const expected = philoxBigInt([0, 0, 1, 0], [7, 9])[0];
    expect(rng.uniform(1)[0]).toBe(Math.floor(expected / 256) / 2 ** 24);
  });

  it('computes Box-Muller on the first four words', () => {
    const [w0, w1, w2, w3] = words(KAT[0][2]);
    const u = (a: number, b: number): number => (Math.floor(a / 32) * 2 ** 26 + Math.floor(b / 64)) / 2 ** 53;
    const r = Math.sqrt(-2 * Math.log(1 - u(w0, w1)));
    const theta = 2 * Math.PI * u(w2, w3);
    const z = new Rng(0).normal64(2);
    expect(z[0]).toBeCloseTo(r * Math.cos(theta), 14);
    expect(z[1]).toBeCloseTo(r * Math.sin(theta), 14);
  });
});

describe('Rng determinism and state', () => {
  it('gives the same draws for the same seed, number or bigint, and different ones otherwise', () => {
    expect(new Rng(42).uniform(100)).toEqual(new Rng(42).uniform(100));
    expect(new Rng(42n).normal(100)).toEqual(new Rng(42).normal(100));
    expect(new Rng(43).uniform(100)).not.toEqual(new Rng(42).uniform(100));
    expect(new Rng(2 ** 32).uniform(100)).not.toEqual(new Rng(0).uniform(100));
  });

  it('rejects seeds it cannot represent exactly', () => {
    for (const bad of [-1, 0.5, Number.NaN, 2 ** 53]) expect(() => new Rng(bad)).toThrow(/seed must be an integer/);
    expect(() => new Rng(1n << 64n)).toThrow(/bigint seed/);
    expect(() => new Rng(-1n)).toThrow(/bigint seed/);
  });

  it('consumes whole words, so draws do not depend on how they are chunked', () => {
    const a = new Rng(5);
    const chunked = [...a.uniform(3), ...a.uniform(5), ...a.uniform64(2)];
    const b = new Rng(5);
    expect(chunked).toEqual([...b.uniform(8), ...b.uniform64(2)]);
  });

  it('draws normals in whole pairs and rounds the float64 draws to float32', () => {
    const a = new Rng(11);
    const b = new Rng(11);
    const odd = a.normal64(3);
    const even = b.normal64(4);
    expect(Array.from(odd)).toEqual(Array.from(even.subarray(0, 3)));
    expect(a.uniform(4)).toEqual(b.uniform(4));
    const z32 = new Rng(3).normal(1001);
    const z64 = new Rng(3).normal64(1001);
    expect(Array.from(z32)).toEqual(Array.from(z64, Math.fround));
  });

  it('restores a JSON round-tripped state to the exact same stream, mid-block', () => {
    const rng = new Rng(2024);
    rng.uniform(7);
    rng.normal(3);
    const saved = JSON.parse(JSON.stringify(rng.state())) as RngState;
    expect(saved.offset).not.toBe(0);
    const later = [...rng.uniform(10), ...rng.normal64(5), ...rng.randint(9, 1000), ...rng.permutation(6)];
    const restored = Rng.fromState(saved);
    expect([...restored.uniform(10), ...restored.normal64(5), ...restored.randint(9, 1000), ...restored.permutation(6)]).toEqual(
      later,
    );
  });

  it('names the problem in a malformed state', () => {
    const good = new Rng(1).state();
    expect(() => Rng.fromState({ ...good, algorithm: 'mt19937' } as unknown as RngState)).toThrow(/algorithm must be/);
    expect(() => Rng.fromState({ ...good, key: [1] })).toThrow(/key must be 2 uint32 words/);
    expect(() => Rng.fromState({ ...good, counter: [0, 0, 0, 2 ** 32] })).toThrow(/counter must be 4 uint32 words/);
    expect(() => Rng.fromState({ ...good, offset: 4 })).toThrow(/offset must be an integer in 0..3/);
    expect(() => Rng.fromState(null as unknown as RngState)).toThrow(/must be an object/);
  });
});

describe('Rng distributions', () => {
  it('uniform: mean and variance within 5 standard errors, KS and chi-square pass', () => {
    for (const u of [new Rng(1).uniform(N), new Rng(2).uniform64(N)]) {
      expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
      // Var(U) = 1/12; Var of the sample variance ~ (mu4 - sigma^4) / n with mu4 = 1/80.
      expect(Math.abs(mean(u) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
      expect(Math.abs(centralMoment(u, 2) - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N));
      expect(ksStatistic(u, (x) => x)).toBeLessThan(ksCritical(N));
      const buckets = new Float64Array(100);
      for (const x of u) buckets[Math.floor(x * 100)]++;
      expect(chiSquareUniform(buckets)).toBeLessThan(chiSquareCritical(99));
    }
  });

  it('normal: mean, variance and kurtosis within 5 standard errors, KS passes', () => {
    for (const z of [new Rng(3).normal(N), new Rng(4).normal64(N)]) {
      expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(N));
      expect(Math.abs(centralMoment(z, 2) - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
      // E z^4 = 3, Var z^4 = 105 - 9.
      expect(Math.abs(centralMoment(z, 4) - 3)).toBeLessThan(5 * Math.sqrt(96 / N));
      expect(ksStatistic(z, normalCdf)).toBeLessThan(ksCritical(N));
    }
  });

  it('randint: in range and uniform, including a bound where plain modulo would be biased', () => {
    const r = new Rng(5).randint(N, 7);
    const counts = new Float64Array(7);
    for (const v of r) counts[v]++;
    expect(counts.reduce((a, b) => a + b)).toBe(N);
    expect(chiSquareUniform(counts)).toBeLessThan(chiSquareCritical(6));

    // high = 3 * 2^29: word % high lands below 2^29 with probability 3/8, not 1/3.
    const high = 3 * 2 ** 29;
    const big = new Rng(6).randint(N, high);
    expect(big.every((v) => v >= 0 && v < high)).toBe(true);
    const low = big.filter((v) => v < 2 ** 29).length / N;
    expect(Math.abs(low - 1 / 3)).toBeLessThan(5 * Math.sqrt((1 / 3) * (2 / 3) / N));

    expect(new Rng(7).randint(10, 1).every((v) => v === 0)).toBe(true);
    expect(new Rng(7).randint(1000, 2 ** 31).some((v) => v > 2 ** 30)).toBe(true);
    for (const bad of [0, 1.5, 2 ** 31 + 1]) expect(() => new Rng(7).randint(3, bad)).toThrow(/high must be/);
    expect(() => new Rng(7).uniform(-1)).toThrow(/n must be a non-negative integer/);
  });

  it('permutation: a permutation, each of the 24 orderings of 4 equally likely', () => {
    const p = new Rng(8).permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(new Rng(8).permutation(0))).toEqual([]);
    expect(Array.from(new Rng(8).permutation(1))).toEqual([0]);

    const rng = new Rng(9);
    const counts = new Map<string, number>();
    const trials = 48_000;
    for (let t = 0; t < trials; t++) {
      const key = rng.permutation(4).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expect(chiSquareUniform([...counts.values()])).toBeLessThan(chiSquareCritical(23));
  });
});

describe('Rng child streams', () => {
  it('split keys the child with the next two words and advances the parent by them', () => {
    const parent = new Rng(0);
    const child = parent.split();
    expect(hex(child.state().key)).toBe(KAT[0][2].slice(0, 17));
    expect(parent.state()).toEqual(stateAt([0, 0], [0, 0, 0, 0], 2));
    expect(parent.split().state().key).not.toEqual(child.state().key);
  });

  it('split streams are deterministic and uncorrelated with their parent and siblings', () => {
    const parent = new Rng(10);
    const a = parent.split();
    const b = parent.split();
    const again = new Rng(10).split();
    expect(again.uniform(50)).toEqual(a.uniform(50));
    const za = a.normal64(N);
    const zb = b.normal64(N);
    const zp = parent.normal64(N);
    const bound = 5 / Math.sqrt(N);
    expect(Math.abs(correlation(za, zb))).toBeLessThan(bound);
    expect(Math.abs(correlation(za, zp))).toBeLessThan(bound);
  });

  it('fork depends only on the key and the label, not on the position, and leaves the parent alone', () => {
    const parent = new Rng(12);
    const before = parent.state();
    const first = parent.fork('data').uniform(20);
    expect(parent.state()).toEqual(before);
    parent.uniform(13);
    expect(parent.fork('data').uniform(20)).toEqual(first);
    expect(new Rng(13).fork('data').uniform(20)).not.toEqual(first);
  });

  it('fork gives distinct, uncorrelated streams for distinct labels', () => {
    const parent = new Rng(14);
    const labels: (string | number)[] = ['data', 'noise', '', 'ab', 'ab\0', 1, '1', 0, 2 ** 32, 'é'];
    const keys = labels.map((label) => parent.fork(label).state().key.join(','));
    expect(new Set([...keys, parent.state().key.join(',')]).size).toBe(labels.length + 1);
    const bound = 5 / Math.sqrt(N);
    expect(Math.abs(correlation(parent.fork('data').normal64(N), parent.fork('noise').normal64(N)))).toBeLessThan(bound);
    expect(Math.abs(correlation(parent.fork(0).normal64(N), parent.normal64(N)))).toBeLessThan(bound);
    expect(() => parent.fork(-1)).toThrow(/non-negative safe integer/);
  });
});
