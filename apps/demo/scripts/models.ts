/**
 * The page's build step: reads a run folder of a class-conditional sCD (or sCT) student
 * (config.json + checkpoint.safetensors, as the trainer writes them) and writes into public/:
 *   models/mnist-scd-1step.onnx, -2step.onnx   whole samplers: noise, label and guidance in, pixels out
 *   models/mnist-scd-ema.safetensors           the EMA weights alone, for the tfjs path
 *   models/mnist-scd.json                      the manifest (src/public-files.ts)
 *   ort/, tfjs-wasm/                           the runtimes' wasm binaries, so nothing comes from a CDN
 *
 *   node --import tsx scripts/models.ts [RUN_DIR]    (default: models/mnist-scd at the repository root)
 *
 * Until that run is committed, the default falls back to a stand-in with random weights
 * (scripts/dev-model.ts), loudly; the page shows a banner saying so.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, decodeCheckpoint, encodeSafetensors, type DataConfig, type HostParams } from '@scm/core';
import { datasetByName } from '@scm/datasets';
import { exportSampler } from '@scm/onnx';
import { MANIFEST_PATH, ORT_WASM_DIR, ORT_WASM_FILES, samplerFile, STEPS, TFJS_WASM_DIR, WEIGHTS_FILE, type DemoManifest } from '../src/public-files.js';
import { CHECKPOINT_FILE, DEV_MODEL_DIR, ensureDevModel } from './dev-model.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_RUN = join(REPO_ROOT, 'models', 'mnist-scd');
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/** tfjs picks one by what the browser offers (SIMD, threads under cross-origin isolation). */
const TFJS_WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

export class ModelsError extends Error {
  override readonly name = 'ModelsError';
}

/** The run folder to build from: the one given, else the committed model, else the stand-in. */
export async function resolveRun(given?: string): Promise<string> {
  if (given !== undefined) return resolve(given);
  if (existsSync(DEFAULT_RUN)) return DEFAULT_RUN;
  process.stderr.write(
    `scripts/models.ts: WARNING: no trained model at ${DEFAULT_RUN}; using the stand-in with RANDOM weights at ${DEV_MODEL_DIR}.\n` +
      '  Its digits are noise. Pass a run folder (scripts/models.ts RUN_DIR) to build from a trained student.\n',
  );
  return ensureDevModel();
}

async function readRun(dir: string) {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new ModelsError(`${dir} is not a run folder: it has no ${CHECKPOINT_FILE}`);
  let run: ReturnType<typeof decodeCheckpoint>;
  try {
    run = decodeCheckpoint(await readFile(path));
  } catch (e) {
    throw new ModelsError(`${path} is corrupt or not an scm checkpoint: ${(e as Error).message}`);
  }
  const { model, train } = run.meta;
  if (train.mode === 'teacher') throw new ModelsError(`${dir} is a diffusion teacher run: the page samples in 1 or 2 steps, which needs an sCD or sCT student`);
  if (model.kind !== 'unet' || model.numClasses === 0) {
    throw new ModelsError(`${dir} holds a ${model.kind} model with ${model.numClasses} classes: the page needs a class-conditional U-Net`);
  }
  return { ...run, config: model };
}

/** Writes every file the page fetches; returns the manifest. */
export async function writeModels(runDir: string, publicDir = PUBLIC_DIR): Promise<DemoManifest> {
  const { meta, state, config } = await readRun(runDir);
  const model = createModel(config);
  const sigmaD = meta.train.sigmaD;
  // Model units = pixels in [-1, 1] times sigmaD / std(data), as in training.
  const dataTransform = { scale: sigmaD / dataStdOf(meta.data, sigmaD, config.imageSize), mean: new Array<number>(config.channels).fill(0) };

  const modelsDir = join(publicDir, dirname(MANIFEST_PATH));
  await mkdir(modelsDir, { recursive: true });
  for (const steps of STEPS) {
    await writeFile(join(modelsDir, samplerFile(steps)), exportSampler(model, state.ema, { steps, sigmaD, dataTransform }));
  }
  await writeFile(join(modelsDir, WEIGHTS_FILE), weightsFile(state.ema));
  await copyRuntimes(publicDir);

  const manifest: DemoManifest = {
    model: config,
    sigmaD,
    guidanceMax: config.guidanceInput ? meta.train.guidanceMax : 1,
    dataTransform,
    classNames: Array.from({ length: config.numClasses }, (_, i) => String(i)),
    files: { sampler: { 1: samplerFile(1), 2: samplerFile(2) }, weights: WEIGHTS_FILE },
    source: { run: relative(REPO_ROOT, runDir) || '.', step: meta.step, standIn: resolve(runDir) === resolve(DEV_MODEL_DIR) },
  };
  // Written last: its presence means the files it names are complete (see ensureModels).
  await writeFile(join(publicDir, MANIFEST_PATH), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** For vite builds: writes the models from the default run into `publicDir` where no build step has yet. */
export async function ensureModels(publicDir: string): Promise<void> {
  if (!existsSync(join(publicDir, MANIFEST_PATH))) await writeModels(await resolveRun(), publicDir);
}

/** The std the trainer recorded for image runs; for runs that lack it, recomputed from the dataset as training computed it. */
function dataStdOf(data: DataConfig & { readonly dataStd?: unknown }, sigmaD: number, size: number): number {
  if (data.dataStd === undefined) return datasetByName(data.name, { split: 'train', sigmaD, size }).dataStd;
  if (typeof data.dataStd !== 'number' || !(data.dataStd > 0)) throw new ModelsError(`the run records dataStd ${JSON.stringify(data.dataStd)}, not a positive number`);
  return data.dataStd;
}

function weightsFile(params: HostParams): Uint8Array {
  const tensors = Object.fromEntries(Object.entries(params).map(([name, t]) => [name, { dtype: 'F32' as const, shape: t.shape, data: t.data }]));
  return encodeSafetensors(tensors, {});
}

async function copyRuntimes(publicDir: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const tfjsWasm = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const copies: [string, string][] = [
    ...ORT_WASM_FILES.map((file): [string, string] => [require.resolve(`onnxruntime-web/${file}`), join(publicDir, ORT_WASM_DIR, file)]),
    ...TFJS_WASM_FILES.map((file): [string, string] => [join(tfjsWasm, file), join(publicDir, TFJS_WASM_DIR, file)]),
  ];
  for (const [from, to] of copies) {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const manifest = await writeModels(await resolveRun(process.argv[2]));
    process.stdout.write(`models of ${manifest.source.run} (step ${manifest.source.step}) written to ${PUBLIC_DIR}\n`);
  } catch (e) {
    if (!(e instanceof ModelsError)) throw e;
    process.stderr.write(`scripts/models.ts: ${e.message}\n`);
    process.exitCode = 1;
  }
}
