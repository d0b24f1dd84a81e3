/**
 * bench/toy2d: teacher, sCD and sCT on checkerboard and moons with fixed seeds, evaluated against
 * fresh data; then the stabilisers of PAPER.md §4 switched off one at a time. Writes
 * bench/results/toy2d.{json,md}. Run: npm run bench:toy2d (after npm run build). About 15 minutes on
 * 2 cores. SCALE=0.1 npm run bench:toy2d runs a tenth of the steps (a smoke run, results under
 * bench/results/tmp/).
 *
 * The recipe is the quick start's (`scm quickstart`: its model, batch, rates and schedule), so these
 * rows say what a user's first run reaches and what each stabiliser adds to it. Training and sampling
 * run on @scm/onnx's engine through core's driver API (train, sample), as the command line does.
 */
import {
  checkerboardSupportFraction,
  consistencyTimes,
  cosineLr,
  createMlp,
  defaultTrainConfig,
  energyDistance,
  Rng,
  sample,
  slicedWasserstein2,
  T_MID,
  toy2dSource,
  train,
  type DataSource,
  type Engine,
  type GenerateOptions,
  type HostParams,
  type MlpConfig,
  type Model,
  type TrainConfig,
} from '@scm/core';
import { createOnnxEngine, type OrtModule } from '@scm/onnx';
import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { QUICKSTART } from '../../apps/trainer/src/commands/quickstart.js';
import { markdownTable, SCALE, smoke, writeResults } from '../lib.js';

const steps = (n: number) => Math.max(10, Math.round(n * SCALE));
/** The quick start's recipe, read from the command itself so the two cannot drift apart. */
const RECIPE = {
  width: QUICKSTART.width,
  blocks: QUICKSTART.blocks,
  inputFeatures: QUICKSTART.inputFeatures,
  inputFeatureScale: QUICKSTART.inputFeatureScale,
  batch: QUICKSTART.batch,
  teacher: { steps: steps(QUICKSTART.teacherSteps), lr: QUICKSTART.teacherLr },
  student: { steps: steps(QUICKSTART.distillSteps), lr: QUICKSTART.distillLr, tangentWarmup: steps(QUICKSTART.tangentWarmup) },
  /** The quick start's 2-step intermediate time, scored beside the paper's T_MID. */
  midT: QUICKSTART.midT,
};
const EVAL_N = 5000;
const SIGMA_D = 0.5;

const engine: Engine = await createOnnxEngine({ ort: ort as unknown as OrtModule, sessionOptions: { intraOpNumThreads: availableParallelism(), logSeverityLevel: 3 } });

interface Metrics {
  sw2: number;
  energy: number;
  support?: number;
}

function metrics(data: DataSource, samples: Float32Array, ref: Float32Array): Metrics {
  const pts = data.toData(samples);
  const m: Metrics = {
    sw2: slicedWasserstein2(pts, ref, 2, { projections: 256, seed: 1 }),
    energy: energyDistance(pts, ref, 2, { maxPoints: 3000, seed: 2 }),
  };
  if (data.name === 'checkerboard') m.support = checkerboardSupportFraction(pts);
  return m;
}

async function fit(model: Model, data: DataSource, config: TrainConfig, init?: HostParams, teacher?: { model: Model; params: HostParams }) {
  const began = performance.now();
  let diverged = false;
  const state = await train(engine, {
    model,
    data,
    config,
    ...(init ? { init } : {}),
    ...(teacher ? { teacher } : {}),
    onLog: (e) => {
      if (!Number.isFinite(e.loss)) diverged = true;
      process.stderr.write(`  ${config.mode} step ${e.step}/${config.steps} loss ${e.loss.toFixed(4)} ${e.stepsPerSec.toFixed(1)} steps/s\n`);
    },
  });
  return { ema: state.ema as HostParams, skipped: state.skipped, seconds: (performance.now() - began) / 1000, diverged: diverged || state.skipped > config.steps / 10 };
}

async function evaluate(label: string, model: Model, params: HostParams, data: DataSource, ref: Float32Array, opts: Omit<GenerateOptions, 'n' | 'seed'>) {
  const samples = await sample(engine, model, params, SIGMA_D, { ...opts, n: EVAL_N, seed: 7 });
  const nfe = opts.sampler === 'consistency' ? (typeof opts.steps === 'number' ? opts.steps : (opts.steps?.length ?? 1)) : opts.nfe;
  return { label, nfe, ...metrics(data, samples, ref), finite: samples.every(Number.isFinite) };
}

const rows: Awaited<ReturnType<typeof evaluate>>[] = [];
const record: { data: string; run: string; seconds: number; diverged: boolean; skipped?: number }[] = [];

interface Teacher {
  readonly model: Model;
  readonly params: HostParams;
}

/**
 * A teacher (or `reuse`'s) and its students on `dataName`. A teacher trained here has its samplers
 * scored (an architecture ablation needs its own teacher's rows to tell the teacher's share of a
 * failure from the distillation's). Without `ablation` both students are trained; with one, only
 * the sCD student under those settings.
 */
async function pipeline(dataName: string, arch: Partial<MlpConfig>, tag: string, ablation?: Partial<TrainConfig>, reuse?: Teacher): Promise<Teacher> {
  const data = toy2dSource(dataName, { sigmaD: SIGMA_D });
  const ref = data.toData(data.sample(new Rng(99), EVAL_N).x);
  const model = createMlp({ sigmaD: SIGMA_D, width: RECIPE.width, blocks: RECIPE.blocks, inputFeatures: RECIPE.inputFeatures, inputFeatureScale: RECIPE.inputFeatureScale, ...arch });
  let teacher = reuse;
  if (!teacher) {
    const { teacher: t } = RECIPE;
    const run = await fit(model, data, defaultTrainConfig('teacher', { steps: t.steps, batch: RECIPE.batch, seed: 1, lr: cosineLr({ lr: t.lr, decaySteps: t.steps }) }));
    record.push({ data: dataName, run: `${tag} teacher`, seconds: run.seconds, diverged: run.diverged, skipped: run.skipped });
    teacher = { model, params: run.ema };
    if (!ablation) {
      // The baseline row compares two independent data samples, not the model.
      const base = metrics(data, data.fromData(data.toData(data.sample(new Rng(5), EVAL_N).x)), ref);
      rows.push({ label: `${dataName}: data vs data`, nfe: 0, ...base, finite: true });
    }
    for (const nfe of [1, 2, 4, 8]) rows.push(await evaluate(`${dataName} ${tag}: teacher DDIM`, model, teacher.params, data, ref, { sampler: 'ddim', nfe }));
    rows.push(await evaluate(`${dataName} ${tag}: teacher Heun`, model, teacher.params, data, ref, { sampler: 'heun', nfe: 35 }));
  }
  const { student: s } = RECIPE;
  for (const mode of ablation ? (['scd'] as const) : (['scd', 'sct'] as const)) {
    const cfg = defaultTrainConfig(mode, { steps: s.steps, batch: RECIPE.batch, seed: 2, lr: cosineLr({ lr: s.lr, decaySteps: s.steps }), tangentWarmup: s.tangentWarmup, ...ablation });
    const run = await fit(model, data, cfg, teacher.params, teacher);
    record.push({ data: dataName, run: `${tag} ${mode}`, seconds: run.seconds, diverged: run.diverged, skipped: run.skipped });
    const label = `${dataName} ${tag}: ${mode.toUpperCase()}${run.diverged ? ' (diverged)' : ''}`;
    for (const k of [1, 2]) rows.push(await evaluate(label, model, run.ema, data, ref, { sampler: 'consistency', steps: k }));
    rows.push(await evaluate(`${label}, t_mid ${RECIPE.midT}`, model, run.ema, data, ref, { sampler: 'consistency', steps: consistencyTimes(2, SIGMA_D, RECIPE.midT) }));
  }
  return teacher;
}

const began = performance.now();
const cb = await pipeline('checkerboard', {}, 'baseline');
await pipeline('moons', {}, 'baseline');
// Stabilisers off one at a time (checkerboard, sCD). Architecture ablations train their own teacher.
await pipeline('checkerboard', { timeEmbedding: 'fourier', cNoise: 'log-tan', fourierScale: 16 }, 'fourier16+log-tan', {});
await pipeline('checkerboard', { norm: 'adagn' }, 'adagn', {});
await pipeline('checkerboard', {}, 'no tangent normalisation', { tangentNormalize: false }, cb);
await pipeline('checkerboard', {}, 'no tangent warmup', { tangentWarmup: 0 }, cb);
const totalSeconds = (performance.now() - began) / 1000;

const f = (v: number | undefined, d = 4) => (v === undefined ? '' : Number.isFinite(v) ? v.toFixed(d) : String(v));
const { teacher: t, student: s } = RECIPE;
const md = [
  '# bench/toy2d',
  '',
  `The quick start's recipe: MLP width ${RECIPE.width}, ${RECIPE.blocks} blocks, ${RECIPE.inputFeatures} input Fourier features (scale ${RECIPE.inputFeatureScale}), batch ${RECIPE.batch}; teacher ${t.steps} steps (lr ${t.lr}, cosine decay), ` +
    `students ${s.steps} steps (lr ${s.lr}, cosine decay, tangent warmup ${s.tangentWarmup}), trained and sampled on ${engine.name}; ` +
    `students sample 2 steps at the paper's intermediate time ${T_MID} and at the quick start's ${RECIPE.midT} (rows "t_mid"). ` +
    `${EVAL_N} samples (seed 7) against ${EVAL_N} fresh data points. Sliced W2 is the squared distance (lower is better); energy distance likewise ` +
    '(an unbiased estimate, so it can fall below 0); in support = fraction inside the checkerboard\'s cells.',
  '',
  markdownTable(['run', 'NFE', 'sliced W2²', 'energy dist.', 'in support'], rows.map((r) => [r.label, r.nfe ?? '', f(r.sw2), f(r.energy), f(r.support, 3)])),
  '',
  '## Training runs',
  '',
  markdownTable(['data', 'run', 'seconds', 'diverged', 'skipped steps'], record.map((r) => [r.data, r.run, f(r.seconds, 0), String(r.diverged), String(r.skipped ?? '')])),
  '',
  `Whole benchmark: ${f(totalSeconds / 60, 1)} minutes.`,
].join('\n');
writeResults(smoke ? 'tmp/toy2d' : 'toy2d', { scale: SCALE, recipe: RECIPE, engine: engine.name, evalN: EVAL_N, rows, runs: record, totalSeconds }, md);
console.log(md);
