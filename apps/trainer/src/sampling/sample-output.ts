/**
 * What scm sample writes, by the extension of --out: 2-D runs .csv (x,y rows) or .png (scatter
 * plot); image runs .png (a grid); both .npy (float32 [n, ...sample shape]; images in [-1, 1]) with
 * the labels of a class-conditional run in FILE.labels.npy (int32 [n]).
 */
import { lstat, readFile, unlink } from 'node:fs/promises';
import { extname } from 'node:path';
import { decodeNpy } from '@scm/datasets';
import { describeError, RunError, UsageError } from '../options/errors.js';
import { MAX_SAMPLE_BYTES } from '../run/limits.js';
import { gridPng, labelsPath, npyFiles } from './grid.js';
import { scatterPng } from '../drawing/plot.js';
import { writeAllAtomic, writeAtomic } from '../run/atomic-file.js';
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
 * What stands at `labels`, the labels path of a .npy --out: 'ours' is labels scm wrote beside the
 * samples (int32 [m], with `out` beside it), 'foreign' any other file or link, 'none' nothing (or a
 * folder, which a write refuses by name and a removal leaves alone).
 */
async function labelsFileAt(out: string, labels: string): Promise<'none' | 'ours' | 'foreign'> {
  const st = await lstat(labels).catch(() => undefined);
  if (!st || st.isDirectory()) return 'none';
  if (!st.isFile() || st.size > MAX_SAMPLE_BYTES || !(await lstat(out).catch(() => undefined))?.isFile()) return 'foreign';
  try {
    const { data, shape } = decodeNpy(new Uint8Array(await readFile(labels)));
    return data instanceof Int32Array && shape.length === 1 ? 'ours' : 'foreign';
  } catch {
    return 'foreign';
  }
}

/**
 * Plans a .npy --out and its labels as one pair, before any sampling: refuses to replace a labels
 * file scm did not write (unless `force`), and returns the stale labels an unconditional draw must
 * remove, so that samples never sit beside labels of another draw.
 */
export async function planSampleFiles(out: string, conditional: boolean, force: boolean): Promise<{ stale?: string }> {
  if (extname(out).toLowerCase() !== '.npy') return {};
  const labels = labelsPath(out);
  const found = await labelsFileAt(out, labels);
  if (conditional && found === 'foreign' && !force) {
    throw new RunError(`${labels} exists and is not labels scm wrote beside ${out}: pass --force to replace it, or choose another --out`);
  }
  return !conditional && found === 'ours' ? { stale: labels } : {};
}

/**
 * Writes the samples (data units) to `out`, and the labels beside a .npy; returns the files written.
 * `cols`: an image grid's columns (default near-square). `stale`: planSampleFiles' labels to remove
 * once the samples are in place.
 */
export async function writeSamples(
  out: string,
  samples: Float32Array,
  n: number,
  sampleShape: readonly number[],
  labels?: Int32Array,
  cols?: number,
  stale?: string,
): Promise<string[]> {
  const format = extname(out).toLowerCase();
  const image = sampleShape.length > 1;
  if (format === '.npy') {
    const files = npyFiles(out, samples, n, sampleShape, labels);
    await writeAllAtomic(files);
    if (stale) {
      await unlink(stale).catch((e) => {
        throw new RunError(`wrote ${out} but could not remove ${stale}, the labels of an earlier draw (${describeError(e)}): remove it by hand`);
      });
    }
    return files.map(([path]) => path);
  }
  if (format === '.png') await writeAtomic(out, image ? gridPng(samples, n, sampleShape, cols) : scatterPng(samples));
  else await writeAtomic(out, toCsv(samples));
  return [out];
}

export { labelsPath };
