/**
 * bench/toy2d: teacher, sCD and sCT on checkerboard and moons with fixed seeds, evaluated against
 * fresh data; then the stabilisers of PAPER.md §4 switched off one at a time. Writes
 * bench/results/toy2d.{json,md}. Run: npm run bench:toy2d (after npm run build). Takes about an hour on 2 cores.
 * SCALE=0.1 npm run bench:toy2d runs a tenth of the steps (a smoke run).
 */
import {
  checkerboardSupportFraction,
  createMlp,
  defaultTrainConfig,
  energyDistance,
  generate,
  initState,
  makeOptimizer,
  Rng,
  slicedWasserstein2,
  toHost,
  toy2dSource,
  trainLoop,
  type DataSource,
  type GenerateOptions,
  type MlpConfig,
  type Model,
  type TensorOps,
  type TrainConfig,
  type TrainState,
  type HostParams,
} from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import { markdownTable, writeResults } from '../lib.js';

const SCALE = Number(process.env.SCALE ?? 1);
const steps = (n: number) => Math.max(10, Math.round(n * SCALE));
const TEACHER_STEPS = steps(4000);
const STUDENT_STEPS = steps(2000);
const EVAL_N = 5000;
const BATCH = 256;
const SIGMA_D = 0.5;

type Tensor = unknown;
const o = (await createTfjsOps({ backend: 'wasm' })) as TensorOps<Tensor>;

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

async function train(model: Model, data: DataSource, config: TrainConfig, init?: HostParams, teacher?: { model: Model; params: Record<string, Tensor> }) {
  const ctx = { model, config, data, optimizer: makeOptimizer(config), teacher };
  const t0 = performance.now();
  let diverged = false;
  const state: TrainState<Tensor> = await trainLoop(o, ctx, initState(o, model, config, init), {
    until: config.steps,
    logEvery: Math.max(1, Math.floor(config.steps / 10)),
    checkpointEvery: config.steps,
    onLog: (e) => {
      if (!Number.isFinite(e.loss)) diverged = true;
      process.stderr.write(`  ${config.mode} step ${e.step}/${config.steps} loss ${e.loss.toFixed(4)} ${e.stepsPerSec.toFixed(1)} steps/s\n`);
    },
  });
  return { state, seconds: (performance.now() - t0) / 1000, diverged: diverged || state.skipped > config.steps / 10 };
}

async function evaluate(label: string, model: Model, params: Record<string, Tensor>, data: DataSource, ref: Float32Array, opts: Omit<GenerateOptions, 'n' | 'seed'>) {
  const samples = await generate(o, model, params, SIGMA_D, { ...opts, n: EVAL_N, seed: 7 });
  const m = metrics(data, samples, ref);
  const nfe = opts.sampler === 'consistency' ? (typeof opts.steps === 'number' ? opts.steps : 1) : opts.nfe;
  return { label, nfe, ...m, finite: samples.every(Number.isFinite) };
}

const rows: Awaited<ReturnType<typeof evaluate>>[] = [];
const record: Record<string, unknown>[] = [];

async function pipeline(dataName: string, arch: Partial<MlpConfig>, tag: string, ablation?: Partial<TrainConfig>, reuseTeacher?: { model: Model; ema: HostParams }) {
  const data = toy2dSource(dataName, { sigmaD: SIGMA_D });
  const ref = data.toData(data.sample(new Rng(99), EVAL_N).x);
  const model = createMlp({ sigmaD: SIGMA_D, ...arch });
  let teacherModel = reuseTeacher?.model;
  let teacherEma = reuseTeacher?.ema;
  if (!teacherModel || !teacherEma) {
    const t = await train(model, data, defaultTrainConfig('teacher', { steps: TEACHER_STEPS, batch: BATCH, seed: 1, lr: { kind: 'constant', lr: 2e-3 } }));
    teacherModel = model;
    teacherEma = await toHost(o, t.state.ema);
    const params = t.state.ema;
    record.push({ data: dataName, run: `${tag} teacher`, seconds: t.seconds, diverged: t.diverged });
    if (!reuseTeacher) {
      const self = await evaluate(`data vs data`, model, params, data, ref, { sampler: 'consistency', steps: 1 });
      // The baseline row compares two independent data samples, not the model.
      const base = metrics(data, data.fromData(data.toData(data.sample(new Rng(5), EVAL_N).x)), ref);
      rows.push({ ...self, label: `${dataName}: data vs data`, nfe: 0, ...base, finite: true });
      for (const nfe of [1, 2, 4, 8]) rows.push(await evaluate(`${dataName} ${tag}: teacher DDIM`, model, params, data, ref, { sampler: 'ddim', nfe }));
      rows.push(await evaluate(`${dataName} ${tag}: teacher Heun`, model, params, data, ref, { sampler: 'heun', nfe: 35 }));
    }
  }
  const teacherParams = Object.fromEntries(Object.entries(teacherEma).map(([k, v]) => [k, o.fromArray(v.data, v.shape)]));
  for (const mode of ablation ? (['scd'] as const) : (['scd', 'sct'] as const)) {
    const cfg = defaultTrainConfig(mode, { steps: STUDENT_STEPS, batch: BATCH, seed: 2, tangentWarmup: Math.round(STUDENT_STEPS / 4), ...ablation });
    const s = await train(model, data, cfg, teacherEma, { model: teacherModel, params: teacherParams });
    record.push({ data: dataName, run: `${tag} ${mode}`, seconds: s.seconds, diverged: s.diverged, skipped: s.state.skipped });
    for (const k of [1, 2]) rows.push({ ...(await evaluate(`${dataName} ${tag}: ${mode.toUpperCase()}${s.diverged ? ' (diverged)' : ''}`, model, s.state.ema, data, ref, { sampler: 'consistency', steps: k })) });
  }
  return { model: teacherModel, ema: teacherEma };
}

const baseArch: Partial<MlpConfig> = {};
const cb = await pipeline('checkerboard', baseArch, 'baseline');
await pipeline('moons', baseArch, 'baseline');
// Stabilisers off one at a time (checkerboard, sCD). Architecture ablations retrain their own teacher.
await pipeline('checkerboard', { timeEmbedding: 'fourier', cNoise: 'log-tan', fourierScale: 16 }, 'fourier16+log-tan', {});
await pipeline('checkerboard', { norm: 'adagn' }, 'adagn', {});
await pipeline('checkerboard', baseArch, 'no tangent normalisation', { tangentNormalize: false }, cb);
await pipeline('checkerboard', baseArch, 'no tangent warmup', { tangentWarmup: 0 }, cb);

const f = (v: number | undefined, d = 4) => (v === undefined ? '' : Number.isFinite(v) ? v.toFixed(d) : String(v));
const md = [
  '# bench/toy2d',
  '',
  `MLP width 128, 4 blocks, batch ${BATCH}, tfjs wasm. Teacher ${TEACHER_STEPS} steps (lr 2e-3), students ${STUDENT_STEPS} steps (lr 2e-4, tangent warmup ${Math.round(STUDENT_STEPS / 4)}), ${EVAL_N} samples against ${EVAL_N} fresh data points. sliced W2 is the squared distance (lower is better); energy distance likewise; support = fraction inside the checkerboard.`,
  '',
  markdownTable(['run', 'NFE', 'sliced W2²', 'energy dist.', 'in support'], rows.map((r) => [r.label, r.nfe ?? '', f(r.sw2), f(r.energy), f(r.support, 3)])),
  '',
  '## Training runs',
  '',
  markdownTable(['data', 'run', 'seconds', 'diverged', 'skipped steps'], record.map((r) => [String(r.data), String(r.run), f(r.seconds as number, 0), String(r.diverged), String(r.skipped ?? '')])),
].join('\n');
writeResults('toy2d', { scale: SCALE, teacherSteps: TEACHER_STEPS, studentSteps: STUDENT_STEPS, rows, runs: record }, md);
console.log(md);
