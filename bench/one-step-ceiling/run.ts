/**
 * bench/one-step-ceiling: can the quick start's network draw the checkerboard in one step at all?
 * The sCD student is set beside the same network fit directly to the teacher's ODE, as in Luhman &
 * Luhman 2021: f(x_t, t) regressed onto the teacher's ODE endpoints from fixed draws of x_t (a fine
 * Heun solve, since sCD learns the exact ODE), starting from the teacher's EMA weights as sCD does.
 * One fit learns the 1-step map alone (t = t_max); the other the consistency function at times
 * across (0, t_max], the whole of what sCD must learn. Each is scored as the quick start scores its
 * 1-step samples and by its RMSE to the teacher's endpoints from held-out draws. A fit that draws clean cells says the network has the capacity, so what the
 * sCD student lacks lies in its training. Last, sCD continues from the fit of all times, to see
 * whether the paper's objective keeps a student that close to the teacher's ODE.
 *
 * Run: npm start (for runs/quickstart), then npm run bench:one-step-ceiling [-- RUN_DIR], RUN_DIR
 * being the quick start's output folder. Writes bench/results/one-step-ceiling.{json,md} and the
 * fits' 1-step plots; about 30 minutes on 2 cores, the fits on TensorFlow.js wasm (eager, one core).
 * SCALE=0.02 is a smoke run whose results go to bench/results/tmp/.
 */
import {
  adam,
  checkerboardSupportFraction,
  cosineLr,
  createModel,
  defaultTrainConfig,
  denoise,
  edmGrid,
  energyDistance,
  generate,
  heunSample,
  lrAt,
  modelField,
  Rng,
  scalarTensors,
  teacherGrid,
  tMaxFor,
  toDevice,
  toHost,
  toy2dSource,
  train,
  valueAndGrad,
  type GenerateOptions,
  type HostParams,
  type Model,
  type TensorOps,
} from '@scm/core';
import { createOnnxEngine, type OrtModule } from '@scm/onnx';
import { createTfjsOps } from '@scm/tfjs';
import * as ort from 'onnxruntime-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { QUICKSTART } from '../../apps/trainer/src/commands/quickstart.js';
import { scatterPng } from '../../apps/trainer/src/drawing/plot.js';
import { loadRun } from '../../apps/trainer/src/run/run-folder.js';
import { markdownTable, resultsDir, SCALE, smoke, writeResults } from '../lib.js';

const PAIRS = Math.round(50_000 * SCALE);
const STEPS = Math.max(20, Math.round(10_000 * SCALE));
const CHECKPOINTS = [1000, 2000, 5000, 10_000].map((s) => Math.max(1, Math.round(s * SCALE)));
/** Lengths of the sCD runs started from the fit of all times: a short one and the quick start's. */
const SCD_STEPS = [500, QUICKSTART.distillSteps].map((s) => Math.max(10, Math.round(s * SCALE)));
const BATCH = 256;
const LR = 1e-3;
const EVAL_N = 5000;
const HELD_OUT = 2000;
/**
 * Steps of the EDM grid the targets' Heun solver walks (2n - 1 NFE). sCD learns the teacher's exact
 * ODE, and the quick start's 18 (35 NFE) land about as far from it at t_max as the student does (the
 * report's heun35Rmse); 100 land several times closer to a 400-step solve than that.
 */
const ODE_STEPS = 100;
/** Distinct times of the all-times fit (and its held-out pairs). */
const TIME_COUNT = 16;
const CHUNK = 10_000;
const runDir = process.argv[2] ?? 'runs/quickstart';

type T = object;
const o = (await createTfjsOps()) as unknown as TensorOps<T>;
const teacherRun = await loadRun(join(runDir, 'teacher'), 'teacher run');
const studentRun = await loadRun(join(runDir, 'scd'), 'student run');
const sigmaD = teacherRun.meta.train.sigmaD;
const tMax = tMaxFor(sigmaD);
const model = createModel(teacherRun.meta.model);
if (JSON.stringify(studentRun.meta.model) !== JSON.stringify(teacherRun.meta.model)) throw new Error('the student and the teacher must share the network for this comparison');
const data = toy2dSource(teacherRun.meta.data.name, { sigmaD });
if (data.name !== 'checkerboard') throw new Error(`the quick start's data is the checkerboard, this run has ${data.name}`);
const ref = data.toData(data.sample(new Rng(99), EVAL_N).x);

const teacherParams = toDevice(o, teacherRun.state.ema);
const teacherField = modelField(o, model, teacherParams, sigmaD);

/** Training or held-out pairs: x_t (unscaled), its time, and the teacher's ODE endpoint from it. */
interface Pairs {
  readonly n: number;
  readonly x: Float32Array;
  readonly t: Float32Array;
  readonly y: Float32Array;
  /** Each distinct time and the index range of its pairs (pairs are grouped by time). */
  readonly groups: { t: number; from: number; to: number }[];
}

/**
 * perTime pairs at each time: x = sigma_d z at t_max (what the 1-step sampler feeds the network),
 * x_t = cos(t) x0 + sin(t) sigma_d z below it, and the teacher's Heun endpoint from x_t: from t_max
 * on the EDM grid of ODE_STEPS steps, from t on that grid's times below t.
 */
function teacherPairs(times: readonly number[], perTime: number, seed: number): Pairs {
  const n = times.length * perTime;
  const pairs: Pairs = { n, x: new Float32Array(n * 2), t: new Float32Array(n), y: new Float32Array(n * 2), groups: [] };
  const rng = new Rng(seed);
  const full = edmGrid(ODE_STEPS, sigmaD);
  times.forEach((t, k) => {
    const from = k * perTime;
    pairs.groups.push({ t, from, to: from + perTime });
    const z = rng.normal(perTime * 2);
    const x0 = data.sample(rng, perTime).x;
    const atMax = t >= tMax;
    const x = z.map((v, i) => (atMax ? sigmaD * v : Math.cos(t) * x0[i] + Math.sin(t) * sigmaD * v));
    const grid = atMax ? full : [t, ...full.filter((s) => s < t)];
    for (let i = 0; i < perTime; i += CHUNK) {
      const m = Math.min(CHUNK, perTime - i);
      const y = o.tidy(() => heunSample(o, teacherField, o.fromArray(x.subarray(i * 2, (i + m) * 2), [m, 2]), grid, sigmaD));
      pairs.y.set(o.readSync(y) as Float32Array, (from + i) * 2);
      o.dispose(y);
    }
    pairs.x.set(x, from * 2);
    pairs.t.fill(t, from, from + perTime);
  });
  return pairs;
}

/** The consistency map f(x, t) = cos(t) x - sin(t) sigma_d F(x / sigma_d, t), one time per example. */
function consistency<U>(ops: TensorOps<U>, params: Record<string, U>, x: U, t: Float32Array): U {
  const tt = ops.fromArray(t, [t.length]);
  return denoise(ops, x, modelField(ops, model, params, sigmaD)(x, tt), tt, sigmaD);
}

/** RMSE per point of f against the teacher's endpoints, for each time of `held`. */
function rmseByTime(params: Record<string, T>, held: Pairs): { t: number; rmse: number }[] {
  const out = o.tidy(() => consistency(o, params, o.fromArray(held.x, [held.n, 2]), held.t));
  const y = o.readSync(out) as Float32Array;
  o.dispose(out);
  return held.groups.map(({ t, from, to }) => {
    let err = 0;
    for (let i = from * 2; i < to * 2; i++) err += (y[i] - held.y[i]) ** 2;
    return { t, rmse: Math.sqrt(err / (to - from)) };
  });
}

interface Row {
  readonly run: string;
  readonly nfe: number;
  readonly support: number;
  readonly energy: number;
  /** RMSE per point against the teacher's endpoints from held-out noise at t_max (the 1-step map). */
  readonly rmse?: number;
  /** The same, averaged over the held-out times of the all-times fit. */
  readonly rmseAllTimes?: number;
  readonly seconds?: number;
}

async function scoreSamples(params: Record<string, T>, opts: GenerateOptions) {
  const pts = data.toData(await generate(o, model, params, sigmaD, opts));
  return { support: checkerboardSupportFraction(pts), energy: energyDistance(pts, ref, 2, { maxPoints: 3000, seed: 2 }) };
}

const began = performance.now();
/** Times of the all-times fit: uniform in (0, t_max], t_max last. */
const TIMES = Array.from({ length: TIME_COUNT }, (_, k) => (tMax * (k + 1)) / TIME_COUNT);
const heldOneStep = teacherPairs([tMax], HELD_OUT, 12);
// How far the quick start's Heun-35 lands from the targets' solution of the same ODE.
const heun35 = o.tidy(() => heunSample(o, teacherField, o.fromArray(heldOneStep.x, [heldOneStep.n, 2]), teacherGrid('heun', 35, sigmaD), sigmaD));
const heun35Rmse = Math.sqrt((o.readSync(heun35) as Float32Array).reduce((a, v, i) => a + (v - heldOneStep.y[i]) ** 2, 0) / heldOneStep.n);
o.dispose(heun35);
const heldAll = teacherPairs(TIMES, Math.round(HELD_OUT / TIME_COUNT), 13);
const fits = {
  'the 1-step map': teacherPairs([tMax], PAIRS, 11),
  'all times': teacherPairs(TIMES, Math.round(PAIRS / TIME_COUNT), 14),
};
const pairSeconds = (performance.now() - began) / 1000;
process.stderr.write(`teacher endpoints in ${pairSeconds.toFixed(0)} s\n`);

const mean = (v: { rmse: number }[]) => v.reduce((a, b) => a + b.rmse, 0) / v.length;
const oneStepOpts: GenerateOptions = { sampler: 'consistency', steps: 1, n: EVAL_N, seed: 0 };
const rows: Row[] = [];
const byTime: Record<string, { t: number; rmse: number }[]> = {};
async function scoreFit(run: string, params: Record<string, T>, seconds?: number) {
  byTime[run] = rmseByTime(params, heldAll);
  rows.push({ run, nfe: 1, ...(await scoreSamples(params, oneStepOpts)), rmse: rmseByTime(params, heldOneStep)[0].rmse, rmseAllTimes: mean(byTime[run]), ...(seconds === undefined ? {} : { seconds }) });
  process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
}
for (const nfe of [35, 2 * ODE_STEPS - 1]) rows.push({ run: 'teacher, Heun', nfe, ...(await scoreSamples(teacherParams, { sampler: 'heun', nfe, n: EVAL_N, seed: 0 })) });
const student = toDevice(o, studentRun.state.ema);
await scoreFit(`sCD student (${studentRun.meta.step} steps)`, student);
o.dispose(Object.values(student));

// The direct fits: mean squared error of f(x_t, t) against the teacher's endpoint, Adam with cosine decay.
const plotDir = join(resultsDir, smoke ? 'tmp/one-step-ceiling' : 'one-step-ceiling');
mkdirSync(plotDir, { recursive: true });
const finished: Record<string, HostParams> = {};
for (const [what, pairs] of Object.entries(fits)) {
  const optimizer = adam();
  let params = toDevice(o, teacherRun.state.ema);
  let opt = optimizer.init(o, params);
  const lr = cosineLr({ lr: LR, decaySteps: STEPS });
  const rng = new Rng(5);
  const fitBegan = performance.now();
  for (let step = 1; step <= STEPS; step++) {
    const picked = Array.from(rng.uniform(BATCH), (u) => Math.floor(u * pairs.n));
    const pick = (v: Float32Array, width: number) => Float32Array.from({ length: BATCH * width }, (_, i) => v[picked[Math.floor(i / width)] * width + (i % width)]);
    const x = o.fromArray(pick(pairs.x, 2), [BATCH, 2]);
    const y = o.fromArray(pick(pairs.y, 2), [BATCH, 2]);
    const t = pick(pairs.t, 1);
    const { value, grads } = valueAndGrad(o, (tape, p) => {
      const diff = tape.sub(consistency(tape, p, tape.lift(x), t), tape.lift(y));
      return tape.mean(tape.mul(diff, diff));
    }, params);
    const scalars = scalarTensors(o, optimizer.scalars(step, lrAt(lr, step)));
    const next = optimizer.apply(o, params, grads, opt, scalars);
    o.dispose([...Object.values(params), ...Object.values(opt), ...Object.values(grads), ...Object.values(scalars), x, y, value]);
    params = next.params;
    opt = next.state;
    if (!CHECKPOINTS.includes(step)) continue;
    await scoreFit(`direct fit of ${what}, ${step} steps`, params, (performance.now() - fitBegan) / 1000);
    if (step === STEPS) {
      // The host copy is what sCD starts from below.
      finished[what] = await toHost(o, params);
      const name = what === 'all times' ? 'direct-fit-all-times-1step.png' : 'direct-fit-1step.png';
      writeFileSync(join(plotDir, name), scatterPng(data.toData(await generate(o, model, params, sigmaD, { ...oneStepOpts, n: 10_000 }))));
    }
  }
  o.dispose([...Object.values(params), ...Object.values(opt)]);
}

// sCD from the fit of all times, the quick start's rate and batch, at full tangent (r = 1) from the first
// step: whether the paper's objective holds a student this close to the teacher's ODE or leads it away.
const engine = await createOnnxEngine({ ort: ort as unknown as OrtModule, sessionOptions: { intraOpNumThreads: availableParallelism(), logSeverityLevel: 3 } });
for (const steps of SCD_STEPS) {
  const config = defaultTrainConfig('scd', { steps, batch: QUICKSTART.batch, seed: 2, lr: cosineLr({ lr: QUICKSTART.distillLr, decaySteps: steps }), tangentWarmup: 0 });
  const scdBegan = performance.now();
  const state = await train(engine, { model, data, config, init: finished['all times'], teacher: { model, params: teacherRun.state.ema } });
  const seconds = (performance.now() - scdBegan) / 1000;
  const device = toDevice(o, state.ema as HostParams);
  await scoreFit(`sCD from the fit of all times, ${steps} steps`, device, seconds);
  o.dispose(Object.values(device));
}
const totalSeconds = (performance.now() - began) / 1000;

const f = (v: number | undefined, d: number) => (v === undefined ? '' : v.toFixed(d));
// The by-time table shows the student and the finished fits; every checkpoint is in the JSON.
const runs = Object.keys(byTime).filter((r) => !r.startsWith('direct fit') || r.endsWith(`, ${STEPS} steps`));
const md = [
  '# bench/one-step-ceiling',
  '',
  `The quick start's teacher and sCD student (\`${runDir}\`, the same ${teacherRun.meta.model.kind} network) and that network fit directly to the ` +
    "teacher's ODE: f(x_t, t) = cos(t) x_t - sin(t) sigma_d F regressed onto the teacher's endpoints from x_t (Heun on the EDM grid of " +
    `${ODE_STEPS} steps, ${2 * ODE_STEPS - 1} NFE from t_max; the quick start's Heun 35 lands ${f(heun35Rmse, 4)} from it at t_max), either at t_max only ` +
    `(the 1-step map, ${PAIRS} noise draws) or at ${TIME_COUNT} times evenly spaced in (0, t_max] (the consistency function sCD learns, ` +
    `${PAIRS} pairs in all), from the teacher's EMA weights as sCD starts, batch ${BATCH}, Adam lr ${LR} with cosine decay over ${STEPS} steps, ` +
    `on ${o.name} (eager). Samples are scored as the quick start scores them: ${EVAL_N} 1-step samples (seed 0), in support = fraction inside ` +
    `the cells, energy distance to ${EVAL_N} fresh data points. RMSE (model units, per point; a cell is about 0.22 wide) is against the teacher's ` +
    `endpoints from held-out draws: ${HELD_OUT} noise draws at t_max, and ${Math.round(HELD_OUT / TIME_COUNT)} per time for the mean over times. ` +
    `Computing the teacher's endpoints took ${f(pairSeconds, 0)} s. The last rows continue from the fit of all times with sCD (the quick start's ` +
    `batch ${QUICKSTART.batch} and lr ${QUICKSTART.distillLr} with cosine decay, tangent r = 1 from the first step, EMA weights) on ${engine.name}.`,
  '',
  markdownTable(
    ['run', 'NFE', 'in support', 'energy dist.', 'RMSE at t_max', 'RMSE, mean over times', 'training seconds'],
    rows.map((r) => [r.run, r.nfe, f(r.support, 3), f(r.energy, 5), f(r.rmse, 4), f(r.rmseAllTimes, 4), f(r.seconds, 0)]),
  ),
  '',
  '## RMSE to the teacher by time',
  '',
  `${Math.round(HELD_OUT / TIME_COUNT)} held-out draws per time: the few points that land across a cell edge dominate an RMSE, so single rows are noisy ` +
    `(compare the t_max row with the ${HELD_OUT}-draw column above).`,
  '',
  markdownTable(['t', ...runs], TIMES.map((t, i) => [t.toFixed(3), ...runs.map((r) => byTime[r][i].rmse.toFixed(4))])),
  '',
  `Whole benchmark: ${f(totalSeconds / 60, 1)} minutes.`,
].join('\n');
writeResults(smoke ? 'tmp/one-step-ceiling' : 'one-step-ceiling', { scale: SCALE, run: runDir, pairs: PAIRS, odeSteps: ODE_STEPS, heun35Rmse, times: TIMES, steps: STEPS, batch: BATCH, lr: LR, backend: o.name, pairSeconds, rows, rmseByTime: byTime, totalSeconds }, md);
console.log(md);
