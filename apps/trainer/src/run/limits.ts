/**
 * What a command would allocate, checked before it allocates: a checkpoint's claimed model against
 * the tensors it stores, a training batch against the memory one step needs, a sample count
 * against the memory its output needs. Each check fails with the numbers, not after minutes or an
 * "out of bounds" abort.
 */
import { totalmem } from 'node:os';
import type { HostParams, ModelConfig, RunInfo } from '@scm/core';
import type { BackendName } from '../options/args.js';
import { UsageError } from '../options/errors.js';

const GiB = 1024 ** 3;
/** wasm32 addresses 4 GiB; past it tfjs-wasm aborts with "memory access out of bounds". */
const WASM_BYTES = 4 * GiB;
/** The most sample memory one scm sample call holds (and writes). */
export const MAX_SAMPLE_BYTES = GiB;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * A lower bound on a model's parameter count from its config: the square weights of its blocks
 * alone (MLP: fc0 and fc1 of width^2; U-Net: two 3x3 convolutions per encoder block). 0 when the
 * config is malformed; building the model reports that.
 */
export function minParamCount(m: ModelConfig): number {
  if (m.kind === 'mlp') return isCount(m.width) && isCount(m.blocks) ? m.blocks * 2 * m.width ** 2 : 0;
  if (m.kind !== 'unet' || !isCount(m.baseChannels) || !isCount(m.blocksPerLevel) || !Array.isArray(m.channelMult)) return 0;
  return m.channelMult.reduce((sum, mult) => sum + (isCount(mult) ? m.blocksPerLevel * 2 * 9 * (m.baseChannels * mult) ** 2 : 0), 0);
}

export const storedCount = (params: HostParams) => Object.values(params).reduce((sum, t) => sum + t.data.length, 0);

/**
 * Activation floats one example keeps for the backward pass, per unit of activation width (MLP:
 * width x (blocks + 1); U-Net: pixels x channels x (blocks + 1), summed over levels). Measured on
 * wasm for the default models: the MLP teacher (128 x 4) needs about 200 KB an example (batch
 * 10000 ran in 2.2 GB, 20000 aborted at the 4 GiB wall); the MNIST U-Net teacher about 29 MB
 * (batch 96 ran in 2.8 GB, 256 ran out of bounds).
 */
const FLOATS_PER_UNIT = { mlp: 80, unet: 200 } as const;
/** sCT and sCD steps run the network twice, once in forward-mode (JVP) pairs. */
const CONSISTENCY_FACTOR = 2;

/** Estimated bytes of one training step per example. */
export function stepBytesPerExample(info: Pick<RunInfo, 'model' | 'train'>): number {
  const m = info.model;
  const units =
    m.kind === 'mlp'
      ? m.width * (m.blocks + 1)
      : m.channelMult.reduce((sum, mult, l) => sum + ((m.blocksPerLevel + 1) * m.baseChannels * mult * m.imageSize ** 2) / 4 ** l, 0);
  return units * FLOATS_PER_UNIT[m.kind] * 4 * (info.train.mode === 'teacher' ? 1 : CONSISTENCY_FACTOR);
}

const gb = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

/** Refuses a batch whose step would not fit the backend's memory. */
export function checkBatchFits(info: Pick<RunInfo, 'model' | 'train'>, backend: BackendName): void {
  const perExample = stepBytesPerExample(info);
  const [limit, where] = backend === 'wasm' ? [WASM_BYTES, 'the 4 GiB the wasm backend can address'] : [totalmem(), `this machine's ${gb(totalmem())} of memory`];
  const need = perExample * info.train.batch;
  if (need > limit) {
    throw new UsageError(
      `--batch ${info.train.batch} needs about ${gb(need)} for one step of this model, more than ${where}: ` +
        `use a batch of at most about ${Math.floor(limit / perExample)}`,
    );
  }
}

/**
 * Refuses a sample count whose output would not fit MAX_SAMPLE_BYTES: `--n` of sample, or the fixed
 * `--batch` of an exported sampler, whose every input and output is that many samples.
 */
export function checkSampleCount(n: number, sampleShape: readonly number[], option = '--n'): void {
  const bytes = n * sampleShape.reduce((a, b) => a * b, 1) * 4;
  if (bytes > MAX_SAMPLE_BYTES) {
    const most = Math.floor(MAX_SAMPLE_BYTES / (bytes / n));
    throw new UsageError(`${option} ${n} would hold ${gb(bytes)} of samples; one call draws at most ${most} samples of this run (${gb(MAX_SAMPLE_BYTES)})`);
  }
}

/**
 * The most network evaluations one sample may take, as consistency `--steps` or a teacher's `--nfe`.
 * Consistency models sample in 1 to 4 steps and teacher ODEs settle within a few hundred
 * evaluations, so more is a slip of the keyboard; an exported sampler unrolls every step into its graph.
 */
export const MAX_EVALUATIONS = 1000;

/** Refuses --steps or --nfe above MAX_EVALUATIONS. */
export function checkEvaluations(option: '--steps' | '--nfe', value: number | undefined): void {
  if (value !== undefined && value > MAX_EVALUATIONS) {
    throw new UsageError(`${option} ${value} is more than the ${MAX_EVALUATIONS} network evaluations a sample may take`);
  }
}
