/**
 * A chart's frame on a Canvas: the box, ticks with their labels on both axes, the axis labels and
 * a title above, and the maps from data to pixels (linear, or log10 on y). Tick values are "nice"
 * (1, 2 or 5 times a power of ten) so the labels stay short.
 */
import { ADVANCE, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import { INK, type Canvas, type Rgb } from './canvas.js';

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface AxesSpec {
  readonly title: string;
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
  readonly xLabel?: string;
  readonly logY?: boolean;
  /** Faint lines across the box at every tick, and a darker one through 0. */
  readonly grid?: boolean;
}

export interface Axes {
  readonly box: Box;
  toX(v: number): number;
  toY(v: number): number;
}

/** Room a frame leaves around its box for tick labels (left, bottom) and the title (top). */
export const MARGIN = { left: 8 * ADVANCE + 6, right: 12, top: GLYPH_HEIGHT + 12, bottom: 2 * GLYPH_HEIGHT + 16 } as const;
const TICK = 4;
const GRID: Rgb = [232, 232, 232];
const ZERO: Rgb = [200, 200, 200];

/** About `count` round values spanning [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = power * ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10);
  const ticks: number[] = [];
  // toPrecision drops float residue (0.30000000000000004); + 0 turns -0 into 0.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)) + 0);
  return ticks;
}

/** Powers of ten within [lo, hi] (lo > 0), with 2x and 5x between them where fewer than three fit. */
export function logTicks(lo: number, hi: number): number[] {
  const inRange = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const powers: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) powers.push(10 ** e);
  const main = powers.filter(inRange);
  return main.length >= 3 ? main : powers.flatMap((p) => [p, 2 * p, 5 * p]).filter(inRange);
}

/** A tick label: plain decimals where they are short, else "2.5E-4". */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-2 && a < 1e5) return String(Number(v.toPrecision(4)));
  const [mantissa, exponent] = v.toExponential(2).split('e');
  return `${String(Number(mantissa))}E${Number(exponent)}`;
}

/** Draws the frame of `spec` around `box` and returns its maps from data to pixels. */
export function drawAxes(canvas: Canvas, box: Box, spec: AxesSpec): Axes {
  const { x: bx, y: by, width, height } = box;
  const yMap = (v: number) => (spec.logY ? Math.log10(v) : v);
  const [ylo, yhi] = [yMap(spec.y[0]), yMap(spec.y[1])];
  const toX = (v: number) => bx + ((v - spec.x[0]) / (spec.x[1] - spec.x[0] || 1)) * (width - 1);
  const toY = (v: number) => by + height - 1 - ((yMap(v) - ylo) / (yhi - ylo || 1)) * (height - 1);
  const xTicks = niceTicks(spec.x[0], spec.x[1], Math.max(2, Math.floor(width / 70)));
  const yTicks = spec.logY ? logTicks(spec.y[0], spec.y[1]) : niceTicks(spec.y[0], spec.y[1], Math.max(2, Math.floor(height / 45)));
  if (spec.grid) {
    for (const t of xTicks) canvas.line(toX(t), by, toX(t), by + height - 1, t === 0 ? ZERO : GRID);
    for (const t of yTicks) canvas.line(bx, toY(t), bx + width - 1, toY(t), t === 0 ? ZERO : GRID);
  }
  const bottom = by + height - 1;
  const right = bx + width - 1;
  canvas.line(bx, by, right, by, INK);
  canvas.line(bx, bottom, right, bottom, INK);
  canvas.line(bx, by, bx, bottom, INK);
  canvas.line(right, by, right, bottom, INK);
  for (const t of xTicks) {
    const px = Math.round(toX(t));
    canvas.line(px, bottom, px, bottom + TICK, INK);
    const label = formatTick(t);
    canvas.text(label, px - textWidth(label) / 2, bottom + TICK + 3);
  }
  for (const t of yTicks) {
    const py = Math.round(toY(t));
    canvas.line(bx - TICK, py, bx, py, INK);
    const label = formatTick(t);
    canvas.text(label, bx - TICK - 3 - textWidth(label), py - Math.floor(GLYPH_HEIGHT / 2));
  }
  if (spec.xLabel) canvas.text(spec.xLabel, bx + width / 2 - textWidth(spec.xLabel) / 2, bottom + TICK + GLYPH_HEIGHT + 8);
  canvas.text(spec.title, bx + width / 2 - textWidth(spec.title) / 2, by - GLYPH_HEIGHT - 6);
  return { box, toX, toY };
}
