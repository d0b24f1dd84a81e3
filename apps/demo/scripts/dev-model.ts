/**
 * A stand-in for the trained MNIST sCD student, until one exists: a small class-conditional U-Net
 * with a guidance input and random weights, as a run folder (config.json, checkpoint.safetensors)
 * like the trainer writes. Its digits are noise; it exercises every path of the page.
 *
 *   node --import tsx scripts/dev-model.ts [DIR]     (default apps/demo/.dev-model)
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CHECKPOINT_FORMAT,
  createModel,
  defaultTrainConfig,
  defaultUnetConfig,
  encodeCheckpoint,
  Rng,
  type CheckpointMeta,
  type RunInfo,
  type UnetConfig,
} from '@scm/core';

export const DEV_MODEL_DIR = fileURLToPath(new URL('../.dev-model', import.meta.url));
/** A run folder's files, as apps/trainer names them. */
export const CONFIG_FILE = 'config.json';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

const CONFIG: UnetConfig = {
  ...defaultUnetConfig,
  baseChannels: 16,
  channelMult: [1, 2],
  blocksPerLevel: 1,
  attentionResolutions: [14],
  embChannels: 32,
  logvarChannels: 32,
  numClasses: 10,
  guidanceInput: true,
};

/**
 * The output conv starts at zero (so a fresh model outputs exactly zero, a flat grey image); it
 * gets random values here so that images have structure and backends can be told apart from
 * blank output.
 */
const OUTPUT_WEIGHT_STD = 0.3;

export async function writeDevModel(dir = DEV_MODEL_DIR): Promise<void> {
  const model = createModel(CONFIG);
  const rng = new Rng(0x5ca1e);
  const params = model.init(rng.fork('init'));
  const out = params['out.weight'];
  params['out.weight'] = { shape: out.shape, data: rng.fork('out').normal(out.data.length).map((v) => v * OUTPUT_WEIGHT_STD) };
  const info: RunInfo = { model: CONFIG, train: defaultTrainConfig('scd', { guidanceMax: 2 }), data: { name: 'mnist', conditional: true } };
  const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, ...info, step: 0, skipped: 0, rng: rng.state() };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, CONFIG_FILE), `${JSON.stringify(info, null, 2)}\n`);
  await writeFile(join(dir, CHECKPOINT_FILE), encodeCheckpoint(meta, { params, ema: params, opt: {} }));
}

/** The stand-in's folder, written first where it is missing. */
export async function ensureDevModel(): Promise<string> {
  if (!existsSync(join(DEV_MODEL_DIR, CHECKPOINT_FILE))) await writeDevModel();
  return DEV_MODEL_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? DEV_MODEL_DIR;
  await writeDevModel(dir);
  process.stdout.write(`${dir}\n`);
}
