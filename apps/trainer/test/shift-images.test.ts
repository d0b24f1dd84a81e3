/** The classifier's shift augmentation against a direct reference: a whole-pixel move with edges repeated. */
import { Rng } from '@scm/core';
import { describe, expect, it } from 'vitest';
import { shiftImages } from '../src/evaluation/classifier.js';

/** Pixel (y, x, c) of image [size, size, channels] moved by (dy, dx): the source pixel clamped into the image. */
function moved(image: Float32Array, size: number, channels: number, dy: number, dx: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sy = Math.min(size - 1, Math.max(0, y - dy));
      const sx = Math.min(size - 1, Math.max(0, x - dx));
      for (let c = 0; c < channels; c++) out[(y * size + x) * channels + c] = image[(sy * size + sx) * channels + c];
    }
  }
  return out;
}

describe('shiftImages', () => {
  const size = 5;
  const channels = 2;
  const n = 200;
  const per = size * size * channels;
  // Distinct values everywhere, so each shifted copy matches exactly one offset.
  const x = Float32Array.from({ length: n * per }, (_, i) => i);

  it('moves every image by one offset in [-max, max]^2, edges repeated, and uses every offset', () => {
    const out = shiftImages(x, n, size, channels, 1, new Rng(3));
    const seen = new Set<string>();
    for (let k = 0; k < n; k++) {
      const image = x.subarray(k * per, (k + 1) * per);
      const got = Array.from(out.subarray(k * per, (k + 1) * per));
      const matches: string[] = [];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (Array.from(moved(image, size, channels, dy, dx)).every((v, i) => v === got[i])) matches.push(`${dy},${dx}`);
      expect(matches, `image ${k}`).toHaveLength(1);
      seen.add(matches[0]);
    }
    expect(seen.size).toBe(9);
  });

  it('is a no-op at max 0 and reproducible for a seed', () => {
    expect(shiftImages(x, n, size, channels, 0, new Rng(3))).toBe(x);
    expect(shiftImages(x, n, size, channels, 2, new Rng(4))).toEqual(shiftImages(x, n, size, channels, 2, new Rng(4)));
  });
});
