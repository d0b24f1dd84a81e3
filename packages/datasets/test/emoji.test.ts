import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@scm/core';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../src/decode-image.js';
import { emojiImageInto } from '../src/emoji-files.js';
import { stratifiedHeldOutSplit } from '../src/held-out.js';
import { datasetByName, datasetChannels, datasetClassNames, DATASET_NAMES, EMOJI_CLASS_NAMES, emojiSource } from '../src/index.js';
import { imageKeys, stdOf } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'scm-emoji-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Decoding the 1906 PNGs is done once per test file (memoised per style and size).
const train = emojiSource({ split: 'train' });
const test = emojiSource({ split: 'test', conditional: true });

/** Noto Emoji 16.0.0 per class, in label order (emoji.json, skin-tone variants and Component left out). */
const PER_CLASS = [169, 386, 159, 131, 218, 85, 264, 224, 270];

describe('emoji pixels', () => {
  it('composite alpha over white, then area-average, in sRGB values, as a hand computation says', () => {
    // 4x4 RGBA -> 2x2: each output pixel is the mean of one 2x2 block after compositing.
    const blocks: number[][][] = [
      [[255, 0, 0, 255], [0, 0, 255, 0], [0, 255, 0, 51], [100, 100, 100, 255]], // mixed
      [[9, 9, 9, 0], [9, 9, 9, 0], [9, 9, 9, 0], [9, 9, 9, 0]], // transparent: white whatever its colour
      [[0, 0, 0, 255], [0, 0, 0, 255], [0, 0, 0, 255], [0, 0, 0, 255]], // opaque black
      [[0, 0, 0, 128], [0, 0, 0, 128], [0, 0, 0, 128], [0, 0, 0, 128]], // half-transparent black
    ];
    const image = new PNG({ width: 4, height: 4 });
    blocks.forEach((block, b) => {
      block.forEach((px, k) => {
        const x = 2 * (b % 2) + (k % 2);
        const y = 2 * Math.floor(b / 2) + Math.floor(k / 2);
        image.data.set(px, (y * 4 + x) * 4);
      });
    });
    const file = join(root, 'synthetic.png');
    writeFileSync(file, PNG.sync.write(image));
    const out = new Float32Array(2 * 2 * 3);
    emojiImageInto(decodeImageFile(file), 2, out, 0);
    // Block 0, red: 255, white 255, 0.2 * 0 + 0.8 * 255 = 204, 100; green: 0, 255, 0.2 * 255 + 0.8 * 255 = 255, 100;
    // blue: 0, 255, 204, 100. Half-transparent black: (1 - 128/255) * 255 = 127.
    const level = (v: number) => v / 127.5 - 1;
    const expected = [
      [level((255 + 255 + 204 + 100) / 4), level((0 + 255 + 255 + 100) / 4), level((0 + 255 + 204 + 100) / 4)],
      [1, 1, 1],
      [-1, -1, -1],
      [level(127), level(127), level(127)],
    ].flat();
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });
});

describe('emojiSource', () => {
  it('holds out 10% of each class: 1715 / 191 RGB images at 32x32 in nine categories', () => {
    expect(train.sampleShape).toEqual([32, 32, 3]);
    expect([train.n, test.n]).toEqual([1715, 191]);
    expect(train.classNames).toEqual(EMOJI_CLASS_NAMES);
    expect(EMOJI_CLASS_NAMES).toHaveLength(9);
    const counts = (labels: Int32Array) => EMOJI_CLASS_NAMES.map((_, c) => labels.filter((l) => l === c).length);
    const heldOut = counts(test.all().labels!);
    expect(heldOut).toEqual(PER_CLASS.map((n) => Math.round(n / 10)));
    expect(counts(train.all().labels!)).toEqual(PER_CLASS.map((n, c) => n - heldOut[c]));
    expect(test.numClasses).toBe(9);
    expect(train.numClasses).toBe(0);
  });

  it('splits the same way every time, disjoint, with classes interleaved in each split', () => {
    const all = [...train.poolIndices, ...test.poolIndices].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1906 }, (_, i) => i));
    expect(emojiSource({ split: 'test' }).poolIndices).toEqual(test.poolIndices);
    // Pinned: a different split would change which images every committed emoji model trained on.
    expect(test.names.slice(0, 5)).toEqual(['information_desk_person', 'ring', 'massage', 'fire_engine', 'sheep']);
    expect(new Set([...train.names, ...test.names]).size).toBe(1906);
    expect(new Set(test.all().labels!.subarray(0, 20)).size).toBeGreaterThan(4);
  });

  it('has white backgrounds and scales by the training std (about 0.62) to sigmaD', () => {
    const data = test.toData(test.all().x);
    expect(data.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(-1 - 1e-6);
    expect(data.reduce((a, b) => Math.max(a, b))).toBeCloseTo(1, 6);
    // Every image's top-left pixel is background: emoji leave their corners transparent.
    const corners = Array.from({ length: test.n }, (_, i) => data.subarray(i * 3072, i * 3072 + 3));
    expect(corners.filter((c) => c.every((v) => v > 0.99)).length).toBeGreaterThan(0.9 * test.n);
    expect(train.dataStd).toBeCloseTo(0.6159, 4);
    expect(test.dataStd).toBe(train.dataStd);
    expect(stdOf(train.toData(train.all().x))).toBeCloseTo(train.dataStd, 5);
    expect(Math.abs(stdOf(train.sample(new Rng(1), 1000).x) - 0.5)).toBeLessThan(0.02);
  });

  it('samples with the labels its split gives each image', () => {
    const { x, labels } = test.sample(new Rng(3), 32);
    const all = test.all();
    const labelOf = new Map(imageKeys(all.x, test.n).map((k, i) => [k, all.labels![i]]));
    imageKeys(x, 32).forEach((k, i) => expect(labelOf.get(k)).toBe(labels![i]));
  });

  it('checks its options', () => {
    expect(() => emojiSource({ split: 'train', style: 'apple' as never })).toThrow('emojiSource: style must be "google" or "twitter", got "apple"');
    expect(() => emojiSource({ split: 'val' as never })).toThrow('emoji: split must be "train" or "test", got "val"');
    expect(() => emojiSource({ split: 'train', size: 65 })).toThrow('emoji: size must be a whole number of pixels from 1 to 64 (the images are 64x64), got 65');
  });
});

describe('emoji by name', () => {
  it('"emoji" is Noto Emoji, "emoji:twitter" Twemoji: the same emoji and split, other pictures', () => {
    expect(DATASET_NAMES).toContain('emoji');
    expect(datasetChannels('emoji:twitter')).toBe(3);
    expect(datasetChannels('mnist')).toBe(1);
    expect(datasetClassNames('emoji')).toEqual(EMOJI_CLASS_NAMES);
    const twitter = datasetByName('emoji:twitter', { split: 'test' });
    expect(twitter.name).toBe('emoji:twitter');
    expect(twitter.poolIndices).toEqual(test.poolIndices);
    expect(twitter.all().x).not.toEqual(test.all().x);
    expect(datasetByName('emoji', { split: 'test' }).all().x).toEqual(test.all().x);
  });
});

describe('stratifiedHeldOutSplit', () => {
  it('holds out round(10%) of every class, small ones included, and nothing twice', () => {
    const sizes = [3, 5, 15, 25, 100];
    const labels = Int32Array.from(sizes.flatMap((n, c) => new Array<number>(n).fill(c)));
    const { train: tr, test: te } = stratifiedHeldOutSplit(labels, sizes.length);
    const perClass = (indices: Int32Array) => sizes.map((_, c) => Array.from(indices).filter((i) => labels[i] === c).length);
    expect(perClass(te)).toEqual([0, 1, 2, 3, 10]);
    expect(perClass(tr)).toEqual([3, 4, 13, 22, 90]);
    expect([...tr, ...te].sort((a, b) => a - b)).toEqual(Array.from(labels, (_, i) => i));
  });
});
