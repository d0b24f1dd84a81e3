/**
 * Scatter plots of 2-D points as PNG: white background, a framed square with ticks and a title,
 * a faint grid at the ticks, dark translucent points (so dense regions read darker). Axes are
 * fixed to [-3, 3]^2, which holds every toy distribution, unless more than 1% of the points fall
 * outside: then they fit the points.
 */
import { drawAxes, MARGIN, type Box } from './axes.js';
import { Canvas, type Rgb } from './canvas.js';

export interface ScatterOptions {
  /** Width and height in pixels. Default 512. */
  readonly size?: number;
  /** [min, max] of both axes, or 'auto' (default): [-3, 3] unless the points need more room. */
  readonly range?: readonly [number, number] | 'auto';
  /** Above the plot; default: the number of points. */
  readonly title?: string;
}

export const DEFAULT_RANGE: readonly [number, number] = [-3, 3];
const POINT_ALPHA = 0.45;
const POINT_RGB: Rgb = [25, 35, 70];
const DOT = [[0, 0], [1, 0], [0, 1], [1, 1]] as const;

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

/** The plotted square inside a `size` x `size` picture, leaving the frame's margins around it. */
export function scatterBox(size: number): Box {
  const side = size - Math.max(MARGIN.left + MARGIN.right, MARGIN.top + MARGIN.bottom);
  return { x: MARGIN.left, y: MARGIN.top, width: side, height: side };
}

/** Encodes a scatter plot of interleaved (x, y) points as PNG bytes. */
export function scatterPng(points: Float32Array, options: ScatterOptions = {}): Buffer {
  const size = options.size ?? 512;
  const range = plotRange(points, options.range);
  const canvas = new Canvas(size, size);
  const box = scatterBox(size);
  let finite = 0;
  for (let i = 0; i + 1 < points.length; i += 2) if (Number.isFinite(points[i]) && Number.isFinite(points[i + 1])) finite++;
  const { toX, toY } = drawAxes(canvas, box, { title: options.title ?? `${finite} points`, x: range, y: range, grid: true });
  const inside = (x: number, y: number) => x > box.x && y > box.y && x < box.x + box.width - 1 && y < box.y + box.height - 1;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const cx = Math.floor(toX(x));
    const cy = Math.floor(toY(y));
    for (const [dx, dy] of DOT) if (inside(cx + dx, cy + dy)) canvas.blend(cx + dx, cy + dy, POINT_RGB, POINT_ALPHA);
  }
  return canvas.encode();
}
