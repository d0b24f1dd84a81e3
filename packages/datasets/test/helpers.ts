import { expect } from 'vitest';
import type { ImageSource } from '../src/index.js';

export function stdOf(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  let squares = 0;
  for (let i = 0; i < x.length; i++) squares += (x[i] - mean) ** 2;
  return Math.sqrt(squares / x.length);
}

/** Count, shape, values in [-1, 1] reaching both ends, labels 0..9 with each class 5% to 15%. */
export function expectSplitBasics(source: ImageSource, n: number, size: number): void {
  expect(source.n).toBe(n);
  expect(source.sampleShape).toEqual([size, size, 1]);
  const { x, labels, n: count } = source.all();
  expect(count).toBe(n);
  expect(x.length).toBe(n * size * size);
  const data = source.toData(x);
  // The affine description of toData (what exported graphs apply) agrees with toData itself.
  const { scale, mean } = source.affine!;
  for (let i = 0; i < 1000; i++) expect(x[i] / scale + mean[0]).toBeCloseTo(data[i], 6);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  expect(min).toBeCloseTo(-1, 6);
  expect(max).toBeCloseTo(1, 6);
  const perClass = new Array(10).fill(0);
  for (const label of labels!) perClass[label]++;
  expect(perClass.reduce((a, b) => a + b)).toBe(n);
  // The pool itself is uneven (MNIST: 863 fives, 1127 ones per 10,000).
  for (const c of perClass) {
    expect(c).toBeGreaterThan(0.05 * n);
    expect(c).toBeLessThan(0.15 * n);
  }
}

/** One string per image of [n, ...] data, equal exactly when the images' bytes are equal. */
export function imageKeys(x: Float32Array, n: number): string[] {
  const bytes = (x.length / n) * 4;
  return Array.from({ length: n }, (_, i) => Buffer.from(x.buffer, x.byteOffset + i * bytes, bytes).toString('base64'));
}
