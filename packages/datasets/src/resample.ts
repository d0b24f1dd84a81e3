/**
 * RGBA bytes to the channels a dataset wants, center-cropped and resized, as data in [-1, 1].
 *
 * Resizing is area averaging (a box filter with fractional coverage): each output pixel is the
 * mean of the source area it covers. That is the right low-pass filter for the common case of
 * shrinking photos, is exact for whole-number factors (a 2x2 block becomes its mean), and needs
 * no tuning. Enlarging with it repeats pixels (nearest-neighbour-like blocks).
 * Cropping happens in source coordinates: the centred square of side min(width, height) is
 * mapped onto size x size, the same as "shorter side to size, then center crop" but without
 * rounding the longer side to whole pixels first.
 */
import type { Rgba } from './decode-image.js';

/** RGBA values 0..255 of an image: bytes as decoded, or floats once composited. */
export interface RgbaValues {
  readonly width: number;
  readonly height: number;
  /** [height, width, 4]. */
  readonly data: ArrayLike<number>;
}

/** ITU-R BT.601 luma, the weights of PIL's convert('L'). */
const LUMA = [0.299, 0.587, 0.114];

export interface Window {
  /** Left and top of the source area, in source pixels (may be fractional). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The centred square of an image, the area that ends up in a square sample. */
export function centerSquare(width: number, height: number): Window {
  const side = Math.min(width, height);
  return { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side };
}

/**
 * `image` with its alpha composited over an opaque grey level `background` (0..255 in every
 * channel): c' = a c + (1 - a) background with a = alpha / 255, on the file's sRGB-encoded values
 * as browsers composite. Floats, so the averaging that follows rounds nothing.
 */
export function compositeOver(image: Rgba, background: number): RgbaValues {
  const data = new Float32Array(image.data.length);
  for (let at = 0; at < data.length; at += 4) {
    const a = image.data[at + 3] / 255;
    for (let c = 0; c < 3; c++) data[at + c] = a * image.data[at + c] + (1 - a) * background;
    data[at + 3] = 255;
  }
  return { width: image.width, height: image.height, data };
}

/**
 * Writes the window of `image`, resized to outWidth x outHeight with `channels` (1: luma, 3: RGB;
 * alpha is dropped, as PIL's convert('RGB') does), into out[offset...] as [outHeight, outWidth, channels].
 */
export function resampleInto(
  image: RgbaValues,
  window: Window,
  outWidth: number,
  outHeight: number,
  channels: 1 | 3,
  out: Float32Array,
  offset: number,
): void {
  const columns = areaWeights(window.x, window.width, outWidth);
  const rows = areaWeights(window.y, window.height, outHeight);
  const pixel = new Float64Array(channels);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      pixel.fill(0);
      for (const [sy, wy] of rows[oy]) {
        for (const [sx, wx] of columns[ox]) {
          const at = (sy * image.width + sx) * 4;
          const w = wy * wx;
          if (channels === 1) {
            pixel[0] += w * (LUMA[0] * image.data[at] + LUMA[1] * image.data[at + 1] + LUMA[2] * image.data[at + 2]);
          } else {
            for (let c = 0; c < 3; c++) pixel[c] += w * image.data[at + c];
          }
        }
      }
      const to = offset + (oy * outWidth + ox) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = pixel[c] / 127.5 - 1;
    }
  }
}

/**
 * For each of `count` outputs spanning source [start, start + length): the source pixels it
 * overlaps and the fraction of the output's span each covers (the fractions sum to 1).
 */
function areaWeights(start: number, length: number, count: number): Array<Array<[number, number]>> {
  const step = length / count;
  return Array.from({ length: count }, (_, j) => {
    // (j * length) / count, not j * step: the last output then ends exactly at start + length
    // and never reaches a pixel past the image.
    const from = start + (j * length) / count;
    const to = start + ((j + 1) * length) / count;
    const weights: Array<[number, number]> = [];
    for (let k = Math.floor(from); k < to; k++) {
      const overlap = Math.min(to, k + 1) - Math.max(from, k);
      if (overlap > 0) weights.push([k, overlap / step]);
    }
    return weights;
  });
}
