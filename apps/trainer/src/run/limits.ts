/**
 * What a command would allocate, checked before it allocates: a checkpoint's claimed model against
 * the tensors it stores, a training batch against the memory one step needs, a sample count
 * against the memory its output needs. Each check fails with the numbers, not after minutes or an
 * "out of bounds" abort.
 */
import { totalmem } from 'node:os';
import { countParams, createModel, unetBlocks, unetPlan, type BlockSpec, type HostParams, type ModelConfig, type RunInfo } from '@scm/core';
import type { BackendName } from '../options/args.js';
import { UsageError } from '../options/errors.js';

const GiB = 1024 ** 3;
/** wasm32 addresses 4 GiB; past it tfjs-wasm aborts with "memory access out of bounds". */
const WASM_BYTES = 4 * GiB;
/** The most sample memory one scm sample call holds (and writes). */
export const MAX_SAMPLE_BYTES = GiB;

export const storedCount = (params: HostParams) => Object.values(params).reduce((sum, t) => sum + t.data.length, 0);

const MiB = 1024 ** 2;

/** A valid model config's exact parameter count, without drawing (or allocating) the weights. */
export const paramCount = (m: ModelConfig): number => countParams(createModel(m).paramSpecs());

/**
 * Measured by bench/memory (bench/results/memory.json, 2026-12-07), per backend. Bytes a step holds
 * whatever the model: the process and runtime (the wasm heap's own start on wasm). Per parameter:
 * weights, gradients, Adam moments, EMA and their transients and host copies at a checkpoint (mlp
 * 2048x1, 21M parameters: 74 bytes on wasm, 68 on cpu, 95 on onnx), and an sCD teacher's on top.
 * How activation units weigh the layers (see activationUnits): tfjs keeps some 30 tensors of each
 * MLP block's width, ONNX Runtime's planner reuses most (fitted to mlp 16x1, 128x2, 256x6 on onnx);
 * an attention score costs 3/4 of a unit on tfjs, 1.9 on onnx (fitted to the MNIST U-Nets 8x[1,2],
 * attention at 14x14, and 24x[1,2,2], at 7x7). Bytes per unit by model kind and mode, the largest
 * measured rounded up by about a tenth (the estimate / measured of every case is in memory.md): wasm
 * MLP teacher 13.9, sCD 16.9, U-Net teacher 120, sCD 144; cpu MLP 12.9, 15.6, U-Net 102; onnx MLP
 * teacher 11.8, sCD 4.4, U-Net teacher 30, sCT 42, sCD 37. cpu runs tfjs's kernels and takes wasm's
 * factors where it was not measured (sCT, U-Net students, an sCD teacher), as sCT takes the teacher's
 * on wasm's MLP, where the two measured the same.
 */
/** wasm's and cpu's: both run tfjs's kernels, and differ in what the process holds besides. */
const TFJS = {
  perParam: 80,
  teacherPerParam: 12,
  mlp: { outside: 16, block: 30 },
  score: 0.75,
  perUnit: { mlp: { teacher: 15, sct: 15, scd: 18 }, unet: { teacher: 124, sct: 124, scd: 150 } },
} as const;

const MEASURED = {
  wasm: { ...TFJS, fixed: 48 * MiB },
  cpu: { ...TFJS, fixed: 256 * MiB },
  onnx: {
    fixed: 400 * MiB,
    perParam: 116,
    teacherPerParam: 24,
    mlp: { outside: 20, block: 8 },
    score: 1.9,
    perUnit: { mlp: { teacher: 13, sct: 8, scd: 8 }, unet: { teacher: 33, sct: 47, scd: 41 } },
  },
} as const satisfies Record<BackendName, unknown>;

/**
 * Activation units of one example on `backend`, which a step's memory grows with in proportion.
 * MLP: the input width, which on a narrow MLP is most of it (the point and its Fourier features,
 * the time embedding, the logvar head's embedding), and the hidden width, weighted by the tensors
 * the backend keeps of it outside the blocks and in each block. U-Net: pixels x (input + output
 * channels) of every block (3x3 convolutions unfold their input), plus each attention's pixels^2
 * scores per head, weighted for the backend.
 */
function activationUnits(m: ModelConfig, backend: BackendName): number {
  const c = MEASURED[backend];
  const conditioning = m.embChannels + m.logvarChannels + (m.numClasses > 0 ? m.numClasses + 1 : 0) + (m.guidanceInput ? m.embChannels : 0);
  if (m.kind === 'mlp') return conditioning + m.dim + 2 * m.inputFeatures + m.width * (c.mlp.outside + c.mlp.block * m.blocks);
  const plan = unetPlan(m);
  const blocks = unetBlocks(plan);
  const pixels = (side: number) => side * side;
  const block = (b: BlockSpec) => pixels(b.resolution) * (b.cin + b.cout) + (b.attention ? c.score * m.attentionHeads * pixels(b.resolution) ** 2 : 0);
  return (
    conditioning +
    pixels(m.imageSize) * (m.channels + plan.inChannels) +
    blocks.reduce((sum, b) => sum + block(b), 0) +
    plan.decoder.reduce((sum, { up }) => sum + (up ? pixels(up.resolution) * up.channels : 0), 0)
  );
}

/** One training step's memory, as the check estimates it. */
export interface StepMemory {
  readonly params: number;
  /** Bytes that do not grow with the batch: the runtime's and the parameters'. */
  readonly fixed: number;
  readonly perExample: number;
  /** fixed + batch x perExample. */
  readonly bytes: number;
}

/** The estimated peak memory of one training step of `info` on `backend` (see MEASURED). */
export function stepMemory(info: Pick<RunInfo, 'model' | 'train'>, backend: BackendName): StepMemory {
  const c = MEASURED[backend];
  const params = paramCount(info.model);
  const fixed = c.fixed + params * (c.perParam + (info.train.mode === 'scd' ? c.teacherPerParam : 0));
  const perExample = activationUnits(info.model, backend) * c.perUnit[info.model.kind][info.train.mode];
  return { params, fixed, perExample, bytes: fixed + info.train.batch * perExample };
}

/** What a backend's step may use: wasm32's 4 GiB of heap; elsewhere the machine's memory. */
function memoryLimit(backend: BackendName): { bytes: number; where: string } {
  return backend === 'wasm' ? { bytes: WASM_BYTES, where: 'the 4 GiB the wasm backend can address' } : { bytes: totalmem(), where: `this machine's ${gb(totalmem())} of memory` };
}

const gb = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;
const size = (bytes: number) => (bytes >= GiB ? gb(bytes) : bytes >= MiB ? `${Math.ceil(bytes / MiB)} MB` : `${Math.ceil(bytes / 1024)} KB`);

function describeSize(m: ModelConfig, params: number): string {
  const shape = m.kind === 'mlp' ? `mlp width ${m.width} x ${m.blocks} blocks` : `unet ${m.baseChannels}x[${m.channelMult.join(',')}] at ${m.imageSize}x${m.imageSize}`;
  return `${shape}, ${params.toLocaleString('en-US')} parameters`;
}

/**
 * Refuses a run whose step would not fit the backend's memory, before anything of it is allocated:
 * a model too big for any batch, or a batch too big for the model.
 */
export function checkBatchFits(info: Pick<RunInfo, 'model' | 'train'>, backend: BackendName): void {
  const need = stepMemory(info, backend);
  const limit = memoryLimit(backend);
  if (need.bytes <= limit.bytes) return;
  const model = describeSize(info.model, need.params);
  if (need.fixed + need.perExample > limit.bytes) {
    throw new UsageError(`this model (${model}) needs about ${size(need.fixed + need.perExample)} for one step of a single example, more than ${limit.where}: make it smaller`);
  }
  throw new UsageError(
    `--batch ${info.train.batch} needs about ${size(need.bytes)} for one step of this model (${model}: ${size(need.fixed)} fixed ` +
      `and ${size(need.perExample)} an example), more than ${limit.where}: use a batch of at most about ${Math.floor((limit.bytes - need.fixed) / need.perExample)}`,
  );
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
