/**
 * Scatter plots of 2-D points as PNG: white background, a faint grid at whole units, dark
 * translucent points (so dense regions read darker). Axes are fixed to [-3, 3]^2, which holds every
 * toy distribution, unless more than 1% of the points fall outside: then they fit the points.
 */
import { PNG } from 'pngjs';

export interface ScatterOptions {
  /** Width and height in pixels. Default 512. */
  readonly size?: number;
  /** [min, max] of both axes, or 'auto' (default): [-3, 3] unless the points need more room. */
  readonly range?: readonly [number, number] | 'auto';
}

export const DEFAULT_RANGE: readonly [number, number] = [-3, 3];
const POINT_ALPHA = 0.45;
const POINT_RGB = [25, 35, 70] as const;
const GRID = 232;
const AXIS = 200;

/** The plotted square: the fixed range when it holds 99% of the points, else one fitted to them. */
export function plotRange(points: Float32Array, range: ScatterOptions['range'] = 'auto'): [number, number] {
  if (range !== 'auto') return [range[0], range[1]];
  const [lo, hi] = DEFAULT_RANGE;
  let outside = 0;
  let finite = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    finite++;
    if (x < lo || x > hi || y < lo || y > hi) outside++;
    min = Math.min(min, x, y);
    max = Math.max(max, x, y);
  }
  if (finite === 0 || outside <= 0.01 * finite) return [lo, hi];
  const pad = 0.05 * (max - min || 1);
  return [min - pad, max + pad];
}

/** Encodes a scatter plot of interleaved (x, y) points as PNG bytes. */
export function scatterPng(points: Float32Array, options: ScatterOptions = {}): Buffer {
  const size = options.size ?? 512;
  const [lo, hi] = plotRange(points, options.range);
  const png = new PNG({ width: size, height: size });
  const px = png.data;
  px.fill(255);
  const scale = size / (hi - lo);
  const toPixel = (v: number) => Math.floor((v - lo) * scale);
  const setGray = (x: number, y: number, g: number) => {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    const i = 4 * (y * size + x);
    px[i] = px[i + 1] = px[i + 2] = Math.min(px[i], g);
  };
  for (let v = Math.ceil(lo); v <= Math.floor(hi); v++) {
    const c = toPixel(v);
    const g = v === 0 ? AXIS : GRID;
    for (let k = 0; k < size; k++) {
      setGray(c, k, g);
      setGray(k, size - 1 - c, g);
    }
  }
  const blend = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    const i = 4 * (y * size + x);
    for (let ch = 0; ch < 3; ch++) px[i + ch] = Math.round(px[i + ch] + POINT_ALPHA * (POINT_RGB[ch] - px[i + ch]));
  };
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const cx = toPixel(x);
    const cy = size - 1 - toPixel(y);
    blend(cx, cy);
    blend(cx + 1, cy);
    blend(cx, cy + 1);
    blend(cx + 1, cy + 1);
  }
  return PNG.sync.write(png);
}
