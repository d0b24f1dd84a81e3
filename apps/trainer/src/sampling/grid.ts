/**
 * Pictures and arrays of image samples: the preview grid a training run writes at every checkpoint
 * (fixed noise and labels, so the grids of successive checkpoints compare), grids for scm sample,
 * and .npy output (samples [n, H, W, C] float32 in [-1, 1], labels int32 [n]).
 */
import { join } from 'node:path';
import type { TrainMode } from '@scm/core';
import { encodeGridPng, encodeNpy } from '@scm/datasets';
import type { Ops } from '../backends/backend.js';
import { writeAtomic } from '../run/atomic-file.js';
import { ensureFolder } from '../run/run-folder.js';
import { drawSamples, type Sampleable, type SamplerChoice } from './sampling.js';

/** samples.png is the latest grid; samples/step-000500.png keeps each checkpoint's. */
export const PREVIEW_FILE = 'samples.png';
export const PREVIEW_FOLDER = 'samples';
/** Noise seed of every preview grid. */
export const PREVIEW_SEED = 0;
const PREVIEW_COLUMNS = 10;
const PREVIEW_MAX_ROWS = 10;
const PREVIEW_UNCONDITIONAL = 64;

/**
 * Previews of image teachers use Heun at 15 NFE (8 steps) rather than scm sample's 35: a
 * checkpoint's grid should cost seconds, not minutes, on a CPU. Students use 2 consistency steps.
 */
export function previewSampler(mode: TrainMode): SamplerChoice {
  return mode === 'teacher' ? { sampler: 'heun', nfe: 15 } : { sampler: 'consistency', steps: 2 };
}

/** Conditional: one row per class (the first 10 classes), 10 samples each; else 64 samples in 8 columns. */
export function previewLayout(numClasses: number): { n: number; cols: number; labels?: Int32Array } {
  if (numClasses === 0) return { n: PREVIEW_UNCONDITIONAL, cols: Math.round(Math.sqrt(PREVIEW_UNCONDITIONAL)) };
  const rows = Math.min(numClasses, PREVIEW_MAX_ROWS);
  const n = rows * PREVIEW_COLUMNS;
  return { n, cols: PREVIEW_COLUMNS, labels: Int32Array.from({ length: n }, (_, i) => Math.floor(i / PREVIEW_COLUMNS)) };
}

export const previewStepFile = (step: number) => join(PREVIEW_FOLDER, `step-${String(step).padStart(6, '0')}.png`);

/** Clipped copy in [-1, 1] (NaN stays NaN: it shows, black, in a grid). */
export function clipUnit(x: Float32Array): Float32Array {
  return x.map((v) => (v < -1 ? -1 : v > 1 ? 1 : v));
}

/** A grid PNG of n images in data units [n, H, W, C]; `cols` defaults to a near-square layout. */
export function gridPng(images: Float32Array, n: number, shape: readonly number[], cols = Math.ceil(Math.sqrt(n))): Uint8Array {
  const [height, width, channels] = shape;
  return encodeGridPng(images, n, height, width, channels, cols);
}

/**
 * Writes the preview grid of an image run's EMA weights to samples.png and samples/step-N.png: the
 * same noise (seed 0) and labels (class c in row c) at every checkpoint.
 */
export async function writeImagePreview(o: Ops, dir: string, s: Sampleable, mode: TrainMode, step: number): Promise<void> {
  const layout = previewLayout(s.model.numClasses);
  const images = await drawSamples(o, s, {
    ...previewSampler(mode),
    n: layout.n,
    seed: PREVIEW_SEED,
    ...(layout.labels ? { labels: layout.labels } : {}),
  });
  const png = gridPng(images, layout.n, s.model.sampleShape, layout.cols);
  await ensureFolder(join(dir, PREVIEW_FOLDER));
  await writeAtomic(join(dir, previewStepFile(step)), png);
  await writeAtomic(join(dir, PREVIEW_FILE), png);
}

/** "s.npy" -> "s.labels.npy". */
export function labelsPath(npyPath: string): string {
  return npyPath.replace(/\.npy$/i, '') + '.labels.npy';
}

/** The .npy files of n samples ([n, ...sampleShape] float32; images clipped to [-1, 1]) and their labels. */
export function npyFiles(out: string, samples: Float32Array, n: number, sampleShape: readonly number[], labels?: Int32Array): Array<[string, Uint8Array]> {
  const image = sampleShape.length > 1;
  const files: Array<[string, Uint8Array]> = [[out, encodeNpy(image ? clipUnit(samples) : samples, [n, ...sampleShape])]];
  if (labels) files.push([labelsPath(out), encodeNpy(labels, [n])]);
  return files;
}
