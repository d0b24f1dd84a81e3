/**
 * What `scm sample --run` reads: a run folder, or any model core's loadModel reads (an installed
 * model package by name, a model folder, a URL, a .safetensors file), as a run with its EMA weights
 * only, so the sampling code is the same for both.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_FORMAT, loadModel, Rng, type CheckpointMeta, type LoadProgress } from '@scm/core';
import { describeError, RunError } from '../options/errors.js';
import type { Io } from '../options/io.js';
import { CHECKPOINT_FILE, loadRun, type LoadedRun } from '../run/run-folder.js';

/** A run to sample, and the guidance its model recommends where it records one. */
export interface SampleSource {
  readonly run: LoadedRun;
  readonly defaultGuidance?: number;
}

const isRunFolder = (dir: string) => stat(join(dir, CHECKPOINT_FILE)).then((s) => s.isFile(), () => false);

/** Progress of fetched files, a line each once read (files on disk are read too fast to report). */
function fetchProgress(io: Io): (p: LoadProgress) => void {
  return (p) => {
    if (p.total !== undefined && p.loaded === p.total) io.err(`read ${p.file} (${(p.total / 1024).toFixed(0)} KiB)\n`);
  };
}

/**
 * `source` as a run: a folder with a checkpoint through loadRun (all its checks), anything else
 * through loadModel (a model's spec and lean weights, raw weights standing in for the EMA).
 *
 * @throws RunError naming the source and what is wrong with it.
 */
export async function loadSampleSource(source: string, io: Io): Promise<SampleSource> {
  if (await isRunFolder(source)) return { run: await loadRun(source, 'run', io) };
  let loaded;
  try {
    loaded = await loadModel(source, /^https?:/i.test(source) ? { onProgress: fetchProgress(io) } : {});
  } catch (e) {
    throw new RunError(`--run ${source}: ${describeError(e)}`);
  }
  const { spec, weights } = loaded;
  const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, ...spec.run, skipped: 0, rng: new Rng(0).state() };
  return { run: { dir: source, meta, state: { params: weights, ema: weights, opt: {} } }, ...(spec.defaultGuidance !== undefined ? { defaultGuidance: spec.defaultGuidance } : {}) };
}
