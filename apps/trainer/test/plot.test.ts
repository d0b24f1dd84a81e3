import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { plotRange, scatterBox, scatterPng } from '../src/drawing/plot.js';
import { toCsv } from '../src/sampling/sampling.js';

const pixel = (png: PNG, x: number, y: number) => png.data[4 * (y * png.width + x)];

describe('scatter plot', () => {
  it('keeps [-3, 3]^2 for points inside it and fits points that spill out', () => {
    expect(plotRange(new Float32Array([0, 0, 2.5, -2.9]))).toEqual([-3, 3]);
    const [lo, hi] = plotRange(new Float32Array([0, 0, 10, -10]));
    expect(lo).toBeLessThan(-10);
    expect(hi).toBeGreaterThan(10);
    expect(plotRange(new Float32Array([0, 0, 10, -10]), [-1, 1])).toEqual([-1, 1]);
  });

  it('draws dark points on white, with y up, inside a frame with ticks and a title', () => {
    const png = PNG.sync.read(scatterPng(new Float32Array([1.5, 1.5, 1.5, 1.5, 1.5, 1.5, NaN, 0]), { size: 200, title: 'hello' }));
    expect([png.width, png.height]).toEqual([200, 200]);
    const box = scatterBox(200);
    expect(pixel(png, box.x + 5, box.y + 5)).toBe(255);
    // (1.5, 1.5) in [-3, 3]^2 lies 3/4 of the way across the box and 1/4 of the way down; three overlapping points are dark.
    const side = box.width - 1;
    expect(pixel(png, Math.floor(box.x + 0.75 * side), Math.floor(box.y + 0.25 * side))).toBeLessThan(100);
    const dark = (x0: number, y0: number, x1: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(png, x, y) < 128) n++;
      return n;
    };
    // The title above the box, tick labels left of it and below it.
    expect(dark(box.x, 0, box.x + box.width, box.y - 2)).toBeGreaterThan(10);
    expect(dark(0, box.y, box.x - 5, box.y + box.height)).toBeGreaterThan(10);
    expect(dark(box.x, box.y + box.height + 5, box.x + box.width, 200)).toBeGreaterThan(10);
  });

  it('writes CSV rows that parse back to the float32 values', () => {
    const points = new Float32Array([0.1, -2.5, 1 / 3, 1e-7]);
    const lines = toCsv(points).trim().split('\n');
    expect(lines[0]).toBe('x,y');
    const back = new Float32Array(lines.slice(1).flatMap((l) => l.split(',').map(Number)));
    expect(Array.from(back)).toEqual(Array.from(points));
  });
});
