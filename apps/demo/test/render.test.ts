import { describe, expect, it } from 'vitest';
import { imageGrid } from '../src/render.js';

/** The RGBA of pixel (x, y). */
const at = (grid: { width: number; data: Uint8ClampedArray }, x: number, y: number) => Array.from(grid.data.subarray((y * grid.width + x) * 4, (y * grid.width + x) * 4 + 4));

describe('imageGrid', () => {
  it('draws an [n, h, w, 3] batch in colour, each image in its tile of a square grid, half-transparent grey gaps between', () => {
    // Two 2x2 images: the first red, green, blue, white; the second all dark cyan.
    const first = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1];
    const second = Array.from({ length: 4 }, () => [0, 0.2, 0.2]).flat();
    const grid = imageGrid(Float32Array.from([...first, ...second]), 2, [2, 2, 3]);
    expect([grid.width, grid.height]).toEqual([5, 2]);
    expect([at(grid, 0, 0), at(grid, 1, 0), at(grid, 0, 1), at(grid, 1, 1)]).toEqual([
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
      [255, 255, 255, 255],
    ]);
    // Half-transparent: the canvas's background shows through.
    expect(at(grid, 2, 0)).toEqual([128, 128, 128, 128]);
    for (const [x, y] of [[3, 0], [4, 0], [3, 1], [4, 1]]) expect(at(grid, x, y)).toEqual([0, 51, 51, 255]);
  });

  it('draws an [n, h, w, 1] batch in grey', () => {
    const grid = imageGrid(Float32Array.of(0, 0.5, 1, 0.25), 4, [1, 1, 1]);
    expect([grid.width, grid.height]).toEqual([3, 3]);
    expect([at(grid, 0, 0), at(grid, 2, 0), at(grid, 0, 2), at(grid, 2, 2)]).toEqual([
      [0, 0, 0, 255],
      [128, 128, 128, 255],
      [255, 255, 255, 255],
      [64, 64, 64, 255],
    ]);
  });

  it('refuses pixels of another shape, naming both sizes', () => {
    // A grey batch handed over as colour: 4 images of 2x2x1 are 16 values, not 48.
    expect(() => imageGrid(new Float32Array(16), 4, [2, 2, 3])).toThrow('a grid of 4 images of 2×2×3 needs 48 values, got 16');
  });
});
