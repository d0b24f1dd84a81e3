import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { plotRange, scatterPng } from '../src/plot.js';
import { toCsv } from '../src/sampling.js';

const pixel = (png: PNG, x: number, y: number) => png.data[4 * (y * png.width + x)];

describe('scatter plot', () => {
  it('keeps [-3, 3]^2 for points inside it and fits points that spill out', () => {
    expect(plotRange(new Float32Array([0, 0, 2.5, -2.9]))).toEqual([-3, 3]);
    const [lo, hi] = plotRange(new Float32Array([0, 0, 10, -10]));
    expect(lo).toBeLessThan(-10);
    expect(hi).toBeGreaterThan(10);
    expect(plotRange(new Float32Array([0, 0, 10, -10]), [-1, 1])).toEqual([-1, 1]);
  });

  it('draws dark points on white, with y up', () => {
    const png = PNG.sync.read(scatterPng(new Float32Array([1.5, 1.5, 1.5, 1.5, 1.5, 1.5, NaN, 0]), { size: 120 }));
    expect([png.width, png.height]).toEqual([120, 120]);
    expect(pixel(png, 5, 5)).toBe(255);
    // (1.5, 1.5) in [-3, 3]^2 lands at column 90, row 120 - 1 - 90 = 29; three overlapping points are dark.
    expect(pixel(png, 90, 29)).toBeLessThan(100);
  });

  it('writes CSV rows that parse back to the float32 values', () => {
    const points = new Float32Array([0.1, -2.5, 1 / 3, 1e-7]);
    const lines = toCsv(points).trim().split('\n');
    expect(lines[0]).toBe('x,y');
    const back = new Float32Array(lines.slice(1).flatMap((l) => l.split(',').map(Number)));
    expect(Array.from(back)).toEqual(Array.from(points));
  });
});
