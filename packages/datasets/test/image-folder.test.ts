import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@scm/core';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { imageFolderSource } from '../src/index.js';
import { stdOf } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'scm-datasets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
/** A fresh folder holding `files` (path relative to it -> bytes). */
function folder(files: Record<string, Uint8Array | string>): string {
  const dir = join(root, `case${folders++}`);
  mkdirSync(dir);
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

type Rgb = [number, number, number];
/** A width x height image whose pixel (x, y) has colour at(x, y), alpha 255, as RGBA bytes. */
function rgba(width: number, height: number, at: (x: number, y: number) => Rgb): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...at(x, y), 255], (y * width + x) * 4);
  }
  return data;
}
function png(width: number, height: number, at: (x: number, y: number) => Rgb): Uint8Array {
  const image = new PNG({ width, height });
  image.data = Buffer.from(rgba(width, height, at));
  return PNG.sync.write(image);
}
function jpg(width: number, height: number, at: (x: number, y: number) => Rgb): Uint8Array {
  return jpeg.encode({ width, height, data: rgba(width, height, at) }, 100).data;
}
const grey = (v: number): Rgb => [v, v, v];
const flat = (v: number) => () => grey(v);
const toUnit = (byte: number) => byte / 127.5 - 1;

describe('imageFolderSource: resizing and scaling', () => {
  it('averages 2x2 blocks when a 4x4 image becomes 2x2', () => {
    const value = (x: number, y: number) => 16 * (4 * y + x);
    const dir = folder({ 'a.png': png(4, 4, (x, y) => grey(value(x, y))) });
    const source = imageFolderSource(dir, { size: 2, channels: 1 });
    expect(source.sampleShape).toEqual([2, 2, 1]);
    const block = (bx: number, by: number) =>
      (value(2 * bx, 2 * by) + value(2 * bx + 1, 2 * by) + value(2 * bx, 2 * by + 1) + value(2 * bx + 1, 2 * by + 1)) / 4;
    const expected = [block(0, 0), block(1, 0), block(0, 1), block(1, 1)].map(toUnit);
    const data = source.toData(source.all().x);
    expected.forEach((v, i) => expect(data[i]).toBeCloseTo(v, 5));
    // Model units are the [-1, 1] data times sigmaD / std.
    expect(source.dataStd).toBeCloseTo(stdOf(Float32Array.from(expected)), 5);
    expect(source.all().x[0]).toBeCloseTo(expected[0] * (0.5 / source.dataStd), 5);
  });

  it('crops the centred square of a wide image, covering half pixels by area', () => {
    // Columns 0..4 hold 0, 50, 100, 150, 200; the centred 2x2 square spans x in [1.5, 3.5).
    const source = imageFolderSource(folder({ 'wide.png': png(5, 2, (x) => grey(50 * x)) }), { size: 2, channels: 1 });
    const data = source.toData(source.all().x);
    expect(Array.from(data)).toEqual([75, 125, 75, 125].map((v) => expect.closeTo(toUnit(v), 5)));
  });

  it('weights fractional coverage when 3x3 shrinks to 2x2', () => {
    const value = (x: number, y: number) => 20 * (3 * y + x) + 10;
    const source = imageFolderSource(folder({ 'a.png': png(3, 3, (x, y) => grey(value(x, y))) }), { size: 2, channels: 1 });
    // Output (0, 0) covers [0, 1.5)^2: weights 1, 0.5, 0.5, 0.25 over 2.25.
    const topLeft = (value(0, 0) + 0.5 * value(1, 0) + 0.5 * value(0, 1) + 0.25 * value(1, 1)) / 2.25;
    expect(source.toData(source.all().x)[0]).toBeCloseTo(toUnit(topLeft), 5);
  });

  it('keeps RGB or takes BT.601 luma, from PNG and JPEG alike', () => {
    const red: Rgb = [255, 0, 0];
    const blue: Rgb = [0, 0, 255];
    const dir = folder({ 'red.png': png(3, 3, () => red), 'blue.jpg': jpg(8, 8, () => blue) });
    const rgb = imageFolderSource(dir, { size: 2 });
    expect(rgb.sampleShape).toEqual([2, 2, 3]);
    // Sorted order: blue.jpg, then red.png. JPEG is lossy: allow two levels.
    const data = rgb.toData(rgb.all().x);
    [-1, -1, 1].forEach((v, c) => expect(Math.abs(data[c] - v)).toBeLessThan(2 / 127.5));
    expect(Array.from(data.subarray(12, 15))).toEqual([1, -1, -1].map((v) => expect.closeTo(v, 5)));
    const luma = imageFolderSource(dir, { size: 2, channels: 1 }).all();
    const lumaData = imageFolderSource(dir, { size: 2, channels: 1 }).toData(luma.x);
    expect(lumaData[4]).toBeCloseTo(toUnit(0.299 * 255), 5);
    expect(Math.abs(lumaData[0] - toUnit(0.114 * 255))).toBeLessThan(2 / 127.5);
  });

  it('uses same-sized images as they are without size, rectangular included', () => {
    const dir = folder({ 'a.png': png(3, 2, (x, y) => grey(40 * (x + y))), 'b.png': png(3, 2, flat(255)) });
    const source = imageFolderSource(dir, { channels: 1 });
    expect(source.sampleShape).toEqual([2, 3, 1]);
    const data = source.toData(source.all().x);
    expect(Array.from(data.subarray(0, 6))).toEqual([0, 40, 80, 40, 80, 120].map((v) => expect.closeTo(toUnit(v), 5)));
  });

  it('samples deterministically in model units with std about sigmaD', () => {
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`img${i}.png`, png(4, 4, (x, y) => grey((37 * i + 11 * x + 5 * y) % 256))]));
    const source = imageFolderSource(folder(files), { size: 4, sigmaD: 0.8 });
    const a = source.sample(new Rng(5), 3000);
    expect(a.x).toEqual(source.sample(new Rng(5), 3000).x);
    expect(a.labels).toBeUndefined();
    expect(source.numClasses).toBe(0);
    expect(Math.abs(stdOf(a.x) - 0.8)).toBeLessThan(0.03);
    const round = source.fromData(source.toData(a.x));
    for (let i = 0; i < 100; i++) expect(round[i]).toBeCloseTo(a.x[i], 5);
  });
});

describe('imageFolderSource: files and classes', () => {
  it('takes sorted class folders as labels and recurses into them', () => {
    const dir = folder({
      'dog/b.png': png(2, 2, flat(200)),
      'cat/x.jpg': jpg(2, 2, flat(10)),
      'cat/nested/y.png': png(2, 2, flat(20)),
      'dog/a.png': png(2, 2, flat(100)),
      'dog/readme.txt': 'not an image',
      'LICENSE': 'text',
    });
    const source = imageFolderSource(dir, { classes: 'subfolders', channels: 1 });
    expect(source.classNames).toEqual(['cat', 'dog']);
    expect(source.numClasses).toBe(2);
    expect(source.files.map((f) => f.slice(dir.length + 1))).toEqual(['cat/nested/y.png', 'cat/x.jpg', 'dog/a.png', 'dog/b.png']);
    expect(Array.from(source.all().labels!)).toEqual([0, 0, 1, 1]);
    expect(source.ignoredFiles.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['LICENSE', 'dog/readme.txt']);
    const batch = source.sample(new Rng(1), 50);
    const data = source.toData(batch.x);
    // Cat images are dark (10, 20), dog images bright (100, 200): each label matches its image.
    batch.labels!.forEach((label, i) => expect(data[i * 4] > toUnit(60)).toBe(label === 1));

    const unlabelled = imageFolderSource(dir, { channels: 1 });
    expect(unlabelled.n).toBe(4);
    expect(unlabelled.numClasses).toBe(0);
    expect(unlabelled.all().labels).toBeUndefined();
  });

  it('names the folder when it holds no images', () => {
    const empty = folder({});
    expect(() => imageFolderSource(empty)).toThrow(`no images (.png, .jpg, .jpeg) found in ${empty}`);
    const textOnly = folder({ 'notes.txt': 'x', 'sub/data.csv': '1,2' });
    expect(() => imageFolderSource(textOnly)).toThrow(`no images (.png, .jpg, .jpeg) found in ${textOnly}`);
    expect(() => imageFolderSource(join(root, 'missing'))).toThrow(/image folder .*missing does not exist or is not a folder/);
  });

  it('names a class folder with no images and an image outside the class folders', () => {
    const dir = folder({ 'cat/a.png': png(2, 2, flat(1)), 'dog/notes.txt': 'x' });
    expect(() => imageFolderSource(dir, { classes: 'subfolders' })).toThrow(`class folder ${join(dir, 'dog')} has no images`);
    const loose = folder({ 'cat/a.png': png(2, 2, flat(1)), 'b.png': png(2, 2, flat(1)) });
    expect(() => imageFolderSource(loose, { classes: 'subfolders' })).toThrow(`${join(loose, 'b.png')} lies outside any class folder`);
  });

  it('names the file that cannot be decoded', () => {
    const good = png(2, 2, flat(1));
    const truncatedPng = folder({ 'a.png': good, 'b.png': good.subarray(0, 40) });
    expect(() => imageFolderSource(truncatedPng)).toThrow(`cannot decode image ${join(truncatedPng, 'b.png')}: `);
    const notImage = folder({ 'a.png': good, 'fake.jpg': 'hello, I am text' });
    expect(() => imageFolderSource(notImage)).toThrow(`cannot decode image ${join(notImage, 'fake.jpg')}: it is neither a PNG nor a JPEG file`);
    const truncatedJpeg = folder({ 'a.png': good, 'c.jpeg': jpg(16, 16, flat(90)).subarray(0, 200) });
    expect(() => imageFolderSource(truncatedJpeg)).toThrow(`cannot decode image ${join(truncatedJpeg, 'c.jpeg')}: `);
  });

  it('names two files of different sizes when no size is given', () => {
    const dir = folder({ 'a.png': png(4, 4, flat(1)), 'b.png': png(4, 4, flat(9)), 'c.png': png(6, 4, flat(5)) });
    expect(() => imageFolderSource(dir)).toThrow(
      `images differ in size: ${join(dir, 'a.png')} is 4x4 but ${join(dir, 'c.png')} is 6x4 (width x height); pass size`,
    );
    expect(imageFolderSource(dir, { size: 4 }).n).toBe(3);
  });

  it('rejects constant data and bad options', () => {
    const constant = folder({ 'a.png': png(2, 2, flat(7)), 'b.png': png(2, 2, flat(7)) });
    expect(() => imageFolderSource(constant)).toThrow(/every pixel has the same value/);
    const dir = folder({ 'a.png': png(2, 2, (x) => grey(9 * x)) });
    expect(() => imageFolderSource(dir, { channels: 4 as 3 })).toThrow('channels must be 1 or 3, got 4');
    expect(() => imageFolderSource(dir, { size: 0 })).toThrow('size must be a positive integer, got 0');
    expect(() => imageFolderSource(dir, { classes: 'folders' as 'none' })).toThrow(/classes must be "subfolders" or "none"/);
  });
});
