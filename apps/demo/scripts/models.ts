/**
 * The page's build step: copies model folders, by default the installed @scm/model-mnist's and
 * @scm/model-emoji's, into public/models/<name>/ (config.json, the EMA weights, the 1- and 2-step
 * ONNX samplers) with public/models/index.json listing them in the order of the page's tabs, and the
 * runtimes' wasm binaries into public/ort/ and public/tfjs-wasm/, so nothing comes from a CDN.
 *
 *   node --import tsx scripts/models.ts [MODEL_DIR...]    (folders written by scm package)
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSpec, type ModelSpec } from '@scm/core';
import emoji from '@scm/model-emoji';
import mnist from '@scm/model-mnist';
import { isModelName, modelDir, MODELS_DIR, MODELS_INDEX, ORT_WASM_DIR, ORT_WASM_FILES, TFJS_WASM_DIR } from '../src/public-files.js';

export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
/** The installed model packages' folders: grey digits first (the page's first grid), then colour. */
export const MODEL_PACKAGE_DIRS = [mnist, emoji].map((m) => fileURLToPath(m.url));
const CONFIG = 'config.json';

/** tfjs picks one by what the browser offers (SIMD, threads under cross-origin isolation). */
const TFJS_WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

export class ModelsError extends Error {
  override readonly name = 'ModelsError';
}

/** The model's spec, checked for what the page draws: class-conditional images in 1 or 2 steps. */
async function readSpec(source: string): Promise<ModelSpec> {
  let spec: ModelSpec;
  try {
    spec = checkSpec(JSON.parse(await readFile(join(source, CONFIG), 'utf8'))).spec;
  } catch (e) {
    throw new ModelsError(`${source} is not a model folder (scm package writes one): ${(e as Error).message}`);
  }
  if (!isModelName(spec.name)) throw new ModelsError(`${source} names its model ${JSON.stringify(spec.name)}: the page needs a folder name (lower case, digits, . _ -)`);
  const { model, train } = spec.run;
  if (train.mode === 'teacher') throw new ModelsError(`${source} holds a diffusion teacher: the page samples in 1 or 2 steps, which needs an sCD or sCT student`);
  if (model.kind !== 'unet' || model.numClasses === 0) throw new ModelsError(`${source} holds a ${model.kind} model with ${model.numClasses} classes: the page needs a class-conditional U-Net`);
  for (const steps of ['1', '2']) if (!spec.samplers?.[steps]) throw new ModelsError(`${source} ships no ${steps}-step sampler`);
  return spec;
}

/** Copies the models' files, their index and the runtimes into `publicDir`; returns the models' specs. */
export async function writeModels(sources: readonly string[] = MODEL_PACKAGE_DIRS, publicDir = PUBLIC_DIR): Promise<ModelSpec[]> {
  if (sources.length === 0) throw new ModelsError('no model folder given');
  const specs = await Promise.all(sources.map(readSpec));
  const names = specs.map((spec) => spec.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new ModelsError(`two of the folders hold a model named "${twice}": the page keeps one folder per name`);
  // Models of an earlier build, left here, would ship in dist/ though the page lists them nowhere.
  await rm(join(publicDir, MODELS_DIR), { recursive: true, force: true });
  for (const [i, spec] of specs.entries()) {
    const target = join(publicDir, modelDir(spec.name));
    await mkdir(target, { recursive: true });
    for (const file of [CONFIG, spec.weights, ...Object.values(spec.samplers ?? {})]) await copyFile(join(sources[i], file), join(target, file));
  }
  await copyRuntimes(publicDir);
  // Written last: its presence means the folders it lists are complete (see ensureModels).
  await writeFile(join(publicDir, MODELS_INDEX), `${JSON.stringify(names)}\n`);
  return specs;
}

/** For vite builds: writes the default models into `publicDir` where no build step has yet. */
export async function ensureModels(publicDir: string): Promise<void> {
  if (!existsSync(join(publicDir, MODELS_INDEX))) await writeModels(MODEL_PACKAGE_DIRS, publicDir);
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
    const folders = process.argv.slice(2);
    for (const spec of await writeModels(folders.length > 0 ? folders : undefined)) {
      process.stdout.write(`model "${spec.name}" (step ${spec.run.step}) written to ${join(PUBLIC_DIR, modelDir(spec.name))}\n`);
    }
  } catch (e) {
    if (!(e instanceof ModelsError)) throw e;
    process.stderr.write(`scripts/models.ts: ${e.message}\n`);
    process.exitCode = 1;
  }
}
