/**
 * scm package: a consistency run as the model folder of an npm model package (@scm/model-mnist):
 * config.json (core's ModelSpec), the EMA weights alone as float32 safetensors, the 1- and 2-step
 * samplers as ONNX and the run's sample grids. core's loadPipeline reads the folder; the packages
 * under packages/model-* are built by this command from models/, and a test rebuilds them to check.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createModel, encodeModelWeights, MODEL_FORMAT, T_MID, type ModelSpec } from '@scm/core';
import { datasetClassNames, DATASET_NAMES } from '@scm/datasets';
import { optNumber, requireStr, str, type CommandHelp, type OptionSpecs, type OptionValues } from '../options/args.js';
import { writeAtomic, writeJson } from '../run/atomic-file.js';
import { RunError, UsageError } from '../options/errors.js';
import { isImageData } from '../data/images.js';
import type { Io } from '../options/io.js';
import { exportRunSampler } from '../export/onnx-export.js';
import { loadOnnx } from '../backends/onnx.js';
import { ensureFolder, loadRun } from '../run/run-folder.js';
import { checkConditioning, checkMidT, MID_T_HELP, optMidT } from '../sampling/sampling.js';

/** The step counts a package ships samplers for: what sCD and sCT students are distilled and evaluated at. */
const SHIPPED_STEPS = [1, 2] as const;
export const CONFIG_NAME = 'config.json';
export const WEIGHTS_NAME = 'model.safetensors';
export const samplerName = (steps: number) => `sampler-${steps}step.onnx`;
/** The run's grids that a model card shows (see models/<name>/README.md). */
const GRID = /^grid-.*\.png$/;

const OPTIONS: OptionSpecs = {
  run: { type: 'string', value: 'DIR', help: 'the consistency (sCD/sCT) run folder to package (its EMA weights)' },
  out: { type: 'string', value: 'DIR', help: 'the model folder to write: new, empty, or one this command wrote before (its files are replaced)' },
  name: { type: 'string', value: 'NAME', help: 'the model\'s name in its config (default: the run folder\'s name)' },
  guidance: { type: 'string', value: 'S', help: 'class-conditional runs: the guidance scale generate() uses when given none (default 1)' },
  'mid-t': { type: 'string', value: 'T', help: `${MID_T_HELP}; recorded, and the 2-step sampler is exported with it` },
};

export const help: CommandHelp = {
  name: 'package',
  summary: 'Write a consistency run as a model package\'s folder: config.json, EMA weights, 1- and 2-step ONNX samplers, grids.',
  usage: '--run DIR --out DIR [--name NAME] [--guidance S] [--mid-t T]',
  options: OPTIONS,
  backends: [],
  seed: false,
  notes: [
    `Writes ${CONFIG_NAME} (format ${MODEL_FORMAT}), ${WEIGHTS_NAME} (EMA only, float32), ${SHIPPED_STEPS.map(samplerName).join(', ')}\n` +
      '(as scm export writes them, with a per-sample "guidance" input where the model takes one) and the run\'s grid-*.png.\n' +
      'Load the folder with @scm/core\'s loadPipeline, or sample it with scm sample --run DIR.',
    'Example: scm package --run models/mnist-scd --name mnist --guidance 1.5 --out packages/model-mnist/model',
  ],
};

/** The folder may hold only what this command writes, so a user's folder is never overwritten. */
async function prepareOut(out: string): Promise<void> {
  const names = await readdir(out).catch(() => [] as string[]);
  const ours = (n: string) => n === CONFIG_NAME || n === WEIGHTS_NAME || GRID.test(n) || /^sampler-\d+step\.onnx$/.test(n);
  const foreign = names.filter((n) => !ours(n));
  if (foreign.length > 0) throw new RunError(`--out ${out} holds files this command does not write (${foreign.slice(0, 3).join(', ')}): choose a new or empty folder`);
  await ensureFolder(out);
}

export async function run(values: OptionValues, io: Io): Promise<void> {
  const dir = requireStr(values, 'run', help.name);
  const out = requireStr(values, 'out', help.name);
  const guidance = optNumber(values, 'guidance');
  const midT = optMidT(values);
  const loaded = await loadRun(dir);
  const { meta } = loaded;
  if (meta.train.mode === 'teacher') throw new UsageError(`${dir} is a diffusion teacher run: package an sCD or sCT student (a teacher needs tens of steps)`);
  const model = createModel(meta.model);
  checkConditioning({ guidance }, { model, info: meta }, dir);
  if (midT !== undefined) checkMidT(midT, 2, meta.train.sigmaD);
  const data = meta.data;
  // A folder run's absolute path is the packager's machine, nothing a user of the model can read.
  const { dir: _machinePath, ...portableData } = data as typeof data & { dir?: string };
  const classNames = model.numClasses > 0 && isImageData(data) && (DATASET_NAMES as readonly string[]).includes(data.name) ? [...datasetClassNames(data.name)] : undefined;
  const spec: ModelSpec = {
    format: MODEL_FORMAT,
    name: str(values, 'name') ?? basename(dir.replace(/[\\/]+$/, '')),
    run: { model: meta.model, train: meta.train, data: portableData, step: meta.step },
    ...(classNames ? { classNames } : {}),
    ...(guidance !== undefined ? { defaultGuidance: guidance } : {}),
    ...(midT !== undefined && midT !== T_MID ? { midT } : {}),
    weights: WEIGHTS_NAME,
    samplers: Object.fromEntries(SHIPPED_STEPS.map((s) => [String(s), samplerName(s)])),
  };
  await prepareOut(out);
  const { checkModel } = await loadOnnx();
  for (const steps of SHIPPED_STEPS) {
    const exported = await exportRunSampler(loaded, { steps, ...(steps >= 2 && midT !== undefined ? { midT } : {}) });
    if (!exported.transformed) throw new RunError(`the data of ${dir} does not map back to data coordinates affinely, so its samplers cannot output them`);
    checkModel(exported.bytes);
    await writeAtomic(join(out, samplerName(steps)), exported.bytes);
  }
  await writeAtomic(join(out, WEIGHTS_NAME), encodeModelWeights(spec, loaded.state.ema));
  for (const grid of (await readdir(dir)).filter((n) => GRID.test(n)).sort()) await writeAtomic(join(out, grid), await readFile(join(dir, grid)));
  // Written last: a folder without it is no model, so an interrupted run never leaves a half model behind a valid config.
  await writeJson(join(out, CONFIG_NAME), spec);
  io.err(`packaged ${dir} (${meta.train.mode}, step ${meta.step}) as "${spec.name}"\n`);
  io.out(`${out}\n`);
}
