/**
 * scm export: a consistency run's whole few-step sampler (EMA weights) as one ONNX graph, noise in
 * and samples in data coordinates out; or, with --denoiser, any run's network F_theta.
 */
import { createModel } from '@scm/core';
import {
  BACKENDS,
  commonOptions,
  flag,
  optInteger,
  optNumber,
  parseChoice,
  requireStr,
  str,
  type CommandHelp,
  type OptionSpecs,
  type OptionValues,
} from '../options/args.js';
import { RunError, UsageError } from '../options/errors.js';
import type { Io } from '../options/io.js';
import { describeModelIo, exportRunDenoiser, exportRunSampler, modelIo } from '../export/onnx-export.js';
import { loadOnnx } from '../backends/onnx.js';
import { writeAtomic } from '../run/atomic-file.js';
import { describeMode, loadRun } from '../run/run-folder.js';
import { recipeMidT } from '../recipe/recipe.js';
import { checkConditioning, checkMidT, MID_T_HELP, optMidT } from '../sampling/sampling.js';
import {
  checkModelName,
  CONFIG_FILE,
  DEFAULT_MAX_BATCH,
  defaultModelName,
  inferenceServiceYaml,
  MODEL_FILE,
  modelConfigText,
  tritonTensors,
  VERSION,
  writeTritonRepository,
} from '../export/triton.js';
import { extname, join } from 'node:path';
import { checkEvaluations, checkSampleCount, MAX_EVALUATIONS } from '../run/limits.js';

const FORMATS = ['onnx'] as const;
const DEFAULT_STEPS = 2;

const OPTIONS: OptionSpecs = {
  run: { type: 'string', value: 'DIR', help: 'run folder to export (its EMA weights)' },
  out: { type: 'string', value: 'FILE', help: 'the model file to write, e.g. model.onnx (written to a temporary file beside it and renamed)' },
  format: { type: 'string', value: 'NAME', help: `model format: ${FORMATS.join(', ')} (default onnx)` },
  steps: { type: 'string', value: 'N', help: `consistency sampling steps in the graph (default ${DEFAULT_STEPS}, at most ${MAX_EVALUATIONS})` },
  'mid-t': { type: 'string', value: 'T', help: MID_T_HELP },
  batch: { type: 'string', value: 'B', help: 'a fixed batch size, whose samples fit 1 GiB (default: any batch, the first dimension is "batch")' },
  guidance: {
    type: 'string',
    value: 'S',
    help: 'class-conditional runs: fix the guidance scale in the graph (default: a per-sample "guidance" input)',
  },
  denoiser: { type: 'boolean', help: 'export the network F(x, t [, label] [, guidance]) instead of the sampler (any run, teachers too)' },
  triton: {
    type: 'string',
    value: 'OUTDIR',
    help: `instead of --out: write the sampler as model NAME of the Triton model repository OUTDIR (NAME/${CONFIG_FILE}, NAME/${VERSION}/${MODEL_FILE}) and a KServe InferenceService manifest beside it (NAME.kserve.yaml)`,
  },
  name: { type: 'string', value: 'NAME', help: 'with --triton: the model name (default: the run folder\'s name and the steps, e.g. cb-scd-2step)' },
  'max-batch': { type: 'string', value: 'B', help: `with --triton: max_batch_size, the largest batch Triton forms from requests (default ${DEFAULT_MAX_BATCH})` },
  force: { type: 'boolean', help: 'with --triton: replace model NAME where the repository already holds it' },
};

export const help: CommandHelp = {
  name: 'export',
  summary:
    'Export a consistency (sCD/sCT) run\'s 1-, 2- or N-step sampler on its EMA weights as one ONNX model.\n' +
    'Inputs z0, z1, ... (standard normal noise [batch, ...sample shape], one per step), int64 "label" [batch] for\n' +
    'class-conditional runs (-1: no class) and "guidance" [batch] where the scale is not fixed; output "x", the\n' +
    'samples in data coordinates. Teacher runs have no consistency sampler: export their denoiser with --denoiser.',
  usage: '--run DIR (--out FILE.onnx | --triton OUTDIR [--name NAME] [--max-batch B] [--force]) [--steps N] [--batch B] [--guidance S] | --denoiser',
  options: OPTIONS,
  backends: [],
  seed: false,
  notes: [
    'Prints the model\'s inputs and outputs. scm sample on ONNX Runtime runs the same sampler, feeding it its seed\'s noise.',
    'Example: scm export --run runs/cb-scd --format onnx --steps 2 --out model.onnx',
    'Triton:  scm export --run runs/cb-scd --steps 1 --triton model_repository (then tritonserver --model-repository=model_repository;\n' +
      '         inputs of the batch alone, label and guidance, are sent as [N, 1])',
  ],
};

/** --triton's settings, after refusing what a served model cannot take. */
function tritonOptions(values: OptionValues, dir: string, steps: number) {
  const outDir = str(values, 'triton');
  if (outDir === undefined) {
    for (const f of ['name', 'max-batch', 'force']) if (values[f] !== undefined) throw new UsageError(`--${f} is for --triton`);
    return undefined;
  }
  if (outDir === '') throw new UsageError('--triton needs the model repository\'s folder');
  if (str(values, 'out') !== undefined) throw new UsageError('--triton writes the model into the repository: leave out --out');
  if (flag(values, 'denoiser')) throw new UsageError('--triton serves the sampler, noise in and samples out: leave out --denoiser');
  if (values.batch !== undefined) throw new UsageError('--triton exports any batch, as Triton batches requests itself: cap it with --max-batch, not --batch');
  const name = str(values, 'name');
  return {
    outDir,
    name: name === undefined ? defaultModelName(dir, steps) : checkModelName(name),
    maxBatch: optInteger(values, 'max-batch') ?? DEFAULT_MAX_BATCH,
    force: flag(values, 'force'),
  };
}

export async function run(values: OptionValues, io: Io): Promise<void> {
  const dir = requireStr(values, 'run', help.name);
  const triton = tritonOptions(values, dir, optInteger(values, 'steps') ?? DEFAULT_STEPS);
  const out = triton ? undefined : requireStr(values, 'out', help.name);
  if (out !== undefined && extname(out).toLowerCase() !== '.onnx') throw new UsageError(`--out ${out} must end in .onnx, the format it writes`);
  parseChoice('format', str(values, 'format') ?? 'onnx', FORMATS, '--format');
  const denoiser = flag(values, 'denoiser');
  const steps = optInteger(values, 'steps');
  checkEvaluations('--steps', steps);
  const midTGiven = optMidT(values);
  const batch = optInteger(values, 'batch');
  const guidance = optNumber(values, 'guidance');
  if (denoiser && (steps !== undefined || midTGiven !== undefined)) throw new UsageError('--steps and --mid-t are for the sampler: a --denoiser model is one network evaluation');
  if (denoiser && guidance !== undefined) throw new UsageError('--guidance fixes the sampler\'s scale: a --denoiser model takes guidance as an input');

  const loaded = await loadRun(dir, 'run', io);
  const model = createModel(loaded.meta.model);
  if (batch !== undefined) checkSampleCount(batch, model.sampleShape, '--batch');
  const midT = midTGiven ?? recipeMidT(loaded.meta, steps ?? DEFAULT_STEPS);
  const mode = loaded.meta.train.mode;
  let bytes: Uint8Array;
  let what: string;
  if (denoiser) {
    bytes = await exportRunDenoiser(loaded, { batch });
    what = `the denoiser of ${dir} (${describeMode(mode)}, step ${loaded.meta.step}, EMA weights)`;
  } else {
    if (mode === 'teacher') {
      throw new UsageError(
        `${dir} is a diffusion teacher run: only consistency (sCD/sCT) runs export a sampler` +
          (triton ? ', which is what --triton serves' : '; export its denoiser with --denoiser'),
      );
    }
    checkConditioning({ guidance }, { model, info: loaded.meta }, dir);
    if (midT !== undefined) checkMidT(midT, steps ?? DEFAULT_STEPS, loaded.meta.train.sigmaD);
    const exported = await exportRunSampler(loaded, { steps: steps ?? DEFAULT_STEPS, midT, guidance, batch });
    if (!exported.transformed) {
      throw new RunError(`the data of ${dir} (${loaded.meta.data.name}) does not map back to data coordinates affinely, so the sampler cannot output them`);
    }
    bytes = exported.bytes;
    what = `the ${steps ?? DEFAULT_STEPS}-step consistency sampler${midT !== undefined ? ` (t_mid ${midT})` : ''} of ${dir} (step ${loaded.meta.step}, EMA weights, samples in data coordinates)`;
  }
  (await loadOnnx()).checkModel(bytes);
  let written: string;
  if (triton) {
    const tensors = tritonTensors(await modelIo(bytes));
    const { modelDir, manifest } = await writeTritonRepository(
      triton.outDir,
      triton.name,
      { model: bytes, config: modelConfigText(triton.name, triton.maxBatch, tensors), manifest: inferenceServiceYaml(triton.name) },
      triton.force,
    );
    written = `${join(modelDir, CONFIG_FILE)}\n${join(modelDir, VERSION, MODEL_FILE)}\n${manifest}`;
  } else {
    await writeAtomic(out!, bytes);
    written = out!;
  }
  const shapes = await describeModelIo(bytes);
  io.err(`exported ${what}: ${(bytes.length / 1024).toFixed(1)} KiB${batch !== undefined ? `, batch ${batch}` : ''}${triton ? `, as Triton model ${triton.name}` : ''}\n`);
  io.out(`${written}\ninputs:\n${shapes.inputs.map((l) => `  ${l}\n`).join('')}outputs:\n${shapes.outputs.map((l) => `  ${l}\n`).join('')}`);
}
