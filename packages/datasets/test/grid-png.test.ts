import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeGridPng } from '../src/index.js';

/** Image i, pixel (x, y), channel c of a test batch: distinct values in [-1, 1], as stored in float32. */
const value = (i: number, y: number, x: number, c: number) => Math.fround(-1 + 0.1 * i + 0.05 * y + 0.02 * x + 0.3 * c);
const toByte = (v: number) => Math.round((v + 1) * 127.5);

function batch(n: number, height: number, width: number, channels: number): Float32Array {
  const out = new Float32Array(n * height * width * channels);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) out[((i * height + y) * width + x) * channels + c] = value(i, y, x, c);
  return out;
}

describe('encodeGridPng', () => {
  it('tiles grayscale images row by row with 1-pixel grey gaps', () => {
    // 5 images of 2 rows x 3 columns, 3 per row: 2 rows of tiles, 3*3 + 2 wide, 2*2 + 1 high.
    const bytes = encodeGridPng(batch(5, 2, 3, 1), 5, 2, 3, 1, 3);
    expect(Array.from(bytes.subarray(1, 4), (b) => String.fromCharCode(b)).join('')).toBe('PNG');
    expect(bytes[25]).toBe(0); // IHDR colour type: greyscale
    const png = PNG.sync.read(Buffer.from(bytes));
    expect([png.width, png.height]).toEqual([11, 5]);
    const at = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    // Image 4 is the second tile of the second row: left 4, top 3.
    expect(at(4 + 2, 3 + 1)).toBe(toByte(value(4, 1, 2, 0)));
    expect(at(0, 0)).toBe(toByte(value(0, 0, 0, 0)));
    expect(at(3, 0)).toBe(128); // gap column
    expect(at(0, 2)).toBe(128); // gap row
    expect(at(8, 3)).toBe(128); // the empty sixth cell
    expect(png.data[3]).toBe(255); // opaque
  });

  it('writes RGB and clips values outside [-1, 1]', () => {
    const images = batch(2, 1, 2, 3);
    images[0] = 3;
    images[1] = -7;
    const bytes = encodeGridPng(images, 2, 1, 2, 3, 1);
    expect(bytes[25]).toBe(2); // IHDR colour type: RGB
    const png = PNG.sync.read(Buffer.from(bytes));
    expect([png.width, png.height]).toEqual([2, 3]);
    expect(Array.from(png.data.subarray(0, 3))).toEqual([255, 0, toByte(value(0, 0, 0, 2))]);
    // Image 1 sits below a gap row.
    const second = (2 * png.width + 1) * 4;
    expect(Array.from(png.data.subarray(second, second + 3))).toEqual([0, 1, 2].map((c) => toByte(value(1, 0, 1, c))));
  });

  it('rejects sizes that do not match the data', () => {
    expect(() => encodeGridPng(new Float32Array(10), 2, 2, 2, 1, 2)).toThrow('expected 2x2x2x1 = 8 values, got 10');
    expect(() => encodeGridPng(new Float32Array(8), 2, 2, 2, 2, 2)).toThrow('channels must be 1 or 3, got 2');
    expect(() => encodeGridPng(new Float32Array(8), 2, 2, 2, 1, 0)).toThrow('cols must be a positive integer, got 0');
  });
});
