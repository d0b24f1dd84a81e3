/**
 * The page's build step: copies a model folder, by default the installed @scm/model-mnist's, into
 * public/models/mnist/ (config.json, the EMA weights, the 1- and 2-step ONNX samplers), and the
 * runtimes' wasm binaries into public/ort/ and public/tfjs-wasm/, so nothing comes from a CDN.
 *
 *   node --import tsx scripts/models.ts [MODEL_DIR]    (a folder written by scm package)
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSpec, type ModelSpec } from '@scm/core';
import mnist from '@scm/model-mnist';
import { MODEL_DIR, ORT_WASM_DIR, ORT_WASM_FILES, TFJS_WASM_DIR } from '../src/public-files.js';

export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
/** The installed model package's folder. */
export const MODEL_PACKAGE_DIR = fileURLToPath(mnist.url);
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
  const { model, train } = spec.run;
  if (train.mode === 'teacher') throw new ModelsError(`${source} holds a diffusion teacher: the page samples in 1 or 2 steps, which needs an sCD or sCT student`);
  if (model.kind !== 'unet' || model.numClasses === 0) throw new ModelsError(`${source} holds a ${model.kind} model with ${model.numClasses} classes: the page needs a class-conditional U-Net`);
  for (const steps of ['1', '2']) if (!spec.samplers?.[steps]) throw new ModelsError(`${source} ships no ${steps}-step sampler`);
  return spec;
}

/** Copies the model's files and the runtimes into `publicDir`; returns the model's spec. */
export async function writeModels(source = MODEL_PACKAGE_DIR, publicDir = PUBLIC_DIR): Promise<ModelSpec> {
  const spec = await readSpec(source);
  const target = join(publicDir, MODEL_DIR);
  await mkdir(target, { recursive: true });
  for (const file of [spec.weights, ...Object.values(spec.samplers ?? {})]) await copyFile(join(source, file), join(target, file));
  await copyRuntimes(publicDir);
  // Written last: its presence means the files it names are complete (see ensureModels).
  await writeFile(join(target, CONFIG), await readFile(join(source, CONFIG)));
  return spec;
}

/** For vite builds: writes the default model into `publicDir` where no build step has yet. */
export async function ensureModels(publicDir: string): Promise<void> {
  if (!existsSync(join(publicDir, MODEL_DIR, CONFIG))) await writeModels(MODEL_PACKAGE_DIR, publicDir);
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
    const spec = await writeModels(process.argv[2]);
    process.stdout.write(`model "${spec.name}" (step ${spec.run.step}) written to ${join(PUBLIC_DIR, MODEL_DIR)}\n`);
  } catch (e) {
    if (!(e instanceof ModelsError)) throw e;
    process.stderr.write(`scripts/models.ts: ${e.message}\n`);
    process.exitCode = 1;
  }
}
