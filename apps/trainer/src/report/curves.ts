/**
 * Training curves as one PNG (curves.png in a run folder): loss, gradient norm (log scale),
 * learning rate and the cumulative count of skipped steps against the step, in 2x2 panels, from
 * log.jsonl's entries. A run resumed after a crash has its log trimmed to the checkpoint, so the
 * entries are in step order.
 */
import { join } from 'node:path';
import type { LogEntry } from '@scm/core';
import { writeAtomic } from '../run/atomic-file.js';
import { drawAxes, MARGIN, type Box } from '../drawing/axes.js';
import { Canvas, type Rgb } from '../drawing/canvas.js';
import { readLog } from '../run/run-folder.js';

export const CURVES_FILE = 'curves.png';
export const CURVES_SIZE = { width: 960, height: 640 } as const;
const LINE: Rgb = [31, 100, 180];

interface Panel {
  readonly title: string;
  readonly value: (e: LogEntry) => number;
  readonly logY?: boolean;
  /** A count: the scale starts at 0 and shows at least 0..5, so whole numbers tick. */
  readonly count?: boolean;
}

const PANELS: readonly Panel[] = [
  { title: 'loss', value: (e) => e.loss },
  { title: 'grad norm (log scale)', value: (e) => e.gradNorm, logY: true },
  { title: 'learning rate', value: (e) => e.lr },
  { title: 'skipped steps (total)', value: (e) => e.skipped, count: true },
];

/** The panels' boxes: the picture in quarters, each less its frame's margins. */
export function panelBoxes(): Box[] {
  const w = CURVES_SIZE.width / 2;
  const h = CURVES_SIZE.height / 2;
  return [0, 1, 2, 3].map((k) => ({
    x: (k % 2) * w + MARGIN.left,
    y: Math.floor(k / 2) * h + MARGIN.top,
    width: w - MARGIN.left - MARGIN.right,
    height: h - MARGIN.top - MARGIN.bottom,
  }));
}

/** [min, max] padded by 5%, never empty: a flat series (a constant rate, no skips) sits mid-panel. */
function valueRange(values: readonly number[], panel: Panel): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const log = panel.logY === true;
  if (panel.count) return [-0.05 * Math.max(hi, 5), 1.05 * Math.max(hi, 5)];
  if (log) return hi > lo ? [lo / (hi / lo) ** 0.05, hi * (hi / lo) ** 0.05] : [lo / 2, hi * 2];
  if (hi > lo) return [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)];
  const pad = lo === 0 ? 1 : Math.abs(lo) / 2;
  return [lo - pad, hi + pad];
}

function drawPanel(canvas: Canvas, box: Box, panel: Panel, entries: readonly LogEntry[], steps: [number, number]): void {
  const usable = (v: number) => Number.isFinite(v) && (!panel.logY || v > 0);
  const values = entries.map(panel.value).filter(usable);
  if (values.length === 0) {
    drawAxes(canvas, box, { title: `${panel.title}: no finite values`, x: steps, y: [0, 1], xLabel: 'step' });
    return;
  }
  const axes = drawAxes(canvas, box, { title: panel.title, x: steps, y: valueRange(values, panel), xLabel: 'step', logY: panel.logY });
  let last: [number, number] | undefined;
  for (const e of entries) {
    const v = panel.value(e);
    if (!usable(v)) {
      last = undefined;
      continue;
    }
    const point: [number, number] = [axes.toX(e.step), axes.toY(v)];
    if (last) canvas.line(last[0], last[1], point[0], point[1], LINE);
    else for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]) canvas.set(point[0] + dx, point[1] + dy, LINE);
    last = point;
  }
}

/** The curves of log entries as PNG bytes; `entries` must not be empty. */
export function curvesPng(entries: readonly LogEntry[]): Buffer {
  const canvas = new Canvas(CURVES_SIZE.width, CURVES_SIZE.height);
  const steps: [number, number] = [0, Math.max(1, entries[entries.length - 1].step)];
  const boxes = panelBoxes();
  PANELS.forEach((panel, k) => drawPanel(canvas, boxes[k], panel, entries, steps));
  return canvas.encode();
}

/** Writes the curves of `dir`'s log to `out` (default: curves.png in `dir`); false where the log has no entries yet. */
export async function writeCurves(dir: string, out = join(dir, CURVES_FILE)): Promise<boolean> {
  const entries = await readLog(dir);
  if (entries.length === 0) return false;
  await writeAtomic(out, curvesPng(entries));
  return true;
}
