/**
 * What scm sample writes, by the extension of --out: 2-D runs .csv (x,y rows) or .png (scatter
 * plot); image runs .png (a grid); both .npy (float32 [n, ...sample shape]; images in [-1, 1]) with
 * the labels of a class-conditional run in FILE.labels.npy (int32 [n]).
 */
import { extname } from 'node:path';
import { UsageError } from './errors.js';
import { gridPng, labelsPath, npyFiles } from './grid.js';
import { scatterPng } from './plot.js';
import { writeAllAtomic, writeAtomic } from './atomic-file.js';
import { toCsv } from './sampling.js';

export const OUTPUT_FORMATS = ['.csv', '.png', '.npy'] as const;
/** scm sample's default --n for image runs (an 8 x 8 grid). */
export const IMAGE_SAMPLE_N = 64;

/** Checks --out's extension against the run's kind (before any sampling). */
export function checkOutput(out: string, image: boolean, dir?: string): void {
  const format = extname(out).toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--out ${out} must end in .csv, .png or .npy`);
  if (image && format === '.csv') throw new UsageError(`--out ${out}: ${dir ?? 'the run'} is an image run; write a .png grid or a .npy array`);
}

/**
 * Writes the samples (data units) to `out`, and the labels beside a .npy; returns the files written.
 * `cols`: an image grid's columns (default near-square).
 */
export async function writeSamples(out: string, samples: Float32Array, n: number, sampleShape: readonly number[], labels?: Int32Array, cols?: number): Promise<string[]> {
  const format = extname(out).toLowerCase();
  const image = sampleShape.length > 1;
  if (format === '.npy') {
    const files = npyFiles(out, samples, n, sampleShape, labels);
    await writeAllAtomic(files);
    return files.map(([path]) => path);
  }
  if (format === '.png') await writeAtomic(out, image ? gridPng(samples, n, sampleShape, cols) : scatterPng(samples));
  else await writeAtomic(out, toCsv(samples));
  return [out];
}

export { labelsPath };
