/**
 * bench/quickstart-1step: what clears the fold lines from the quick start's 1-step plot, tried on
 * the quick start's own teacher and scored as the quick start scores that plot (issue 30, item 5).
 * The teacher is trained once with the quick start's recipe (4000 steps) and cached under runs/;
 * each variant then distils it on ONNX Runtime, as `npm start` does:
 * - the old recipe (4000 steps of 256, lr 3e-4 with cosine decay, tangent warmup 500, the paper's
 *   time proposal), at three seeds for the spread between seeds;
 * - what the field does against a student's rate-bound noise: a high-then-low rate with a large
 *   final batch, one tangent norm for the batch (TrainConfig.tangentNormOver 'batch'), other tangent
 *   normalisations, a longer EMA, lower and higher rates, a longer run;
 * - the finite-difference JVP (TrainConfig.jvpStep), as a check on the exact one;
 * - float64 arithmetic: core's only float64 engine is the reference ops, far too slow to train
 *   on (measured here), so the bench measures instead how far float32 rounding moves one step's
 *   gradient, against how far a fresh batch moves it;
 * - where the training times are drawn (the log-normal proposal of ln sigma), at 4000 steps and
 *   at the quick start's length, which found the new recipe (TOY2D_RECIPE.distillProposal).
 * Scores: in support and energy distance of 5000 1-step samples at seed 0 against the quick start's
 * reference draw (as `scm eval` computes them), and, since that energy distance is below its own
 * noise here, the energy distance of 40000 samples against 40000 data points, beside the spread of
 * the same statistic between independent data sets of that size.
 *
 * Run: npm run bench:quickstart-1step. Writes bench/results/quickstart-1step.{json,md} and some
 * variants' 1-step plots under bench/results/quickstart-1step/. About 45 minutes on 2 quiet cores.
 * SCALE=0.05 is a smoke run, and VARIANTS=0,5 (indices) an experiment on a few, whose results go to
 * bench/results/tmp/.
 */
import {
  checkerboardSupportFraction,
  CONSISTENCY_PROPOSAL,
  constantLr,
  cosineLr,
  createMlp,
  decodeSafetensors,
  defaultTrainConfig,
  encodeSafetensors,
  energyDistance,
  initState,
  makeOptimizer,
  modelField,
  noisy,
  Rng,
  runLoop,
  sample,
  scmLoss,
  scmTarget,
  TOY2D_RECIPE,
  toDevice,
  toy2dSource,
  train,
  uploadBatch,
  drawBatch,
  valueAndGrad,
  type Engine,
  type HostParams,
  type HostTensor,
  type StepContext,
  type TensorOps,
  type TrainConfig,
  type TrainState,
} from '@scm/core';
import { ReferenceOps } from '@scm/core/testing';
import { createOnnxEngine, type OrtModule } from '@scm/onnx';
import { createTfjsOps } from '@scm/tfjs';
import * as ort from 'onnxruntime-node';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { scatterPng } from '../../apps/trainer/src/drawing/plot.js';
import { QUICKSTART } from '../../apps/trainer/src/commands/quickstart.js';
import { markdownTable, resultsDir, SCALE, smoke, writeResults } from '../lib.js';

const steps = (n: number) => Math.max(10, Math.round(n * SCALE));
const SIGMA_D = 0.5;
/** The quick start's lengths (apps/trainer's QUICKSTART). */
const TEACHER_STEPS = steps(QUICKSTART.teacherSteps);
/** The old recipe's student length, and the quick start's now. */
const STUDENT_STEPS = steps(4000);
const QUICKSTART_STUDENT_STEPS = steps(QUICKSTART.distillSteps);
const EVAL_N = 5000;
/** Points per side of the better-resolved energy distance. */
const BIG_N = smoke ? 4000 : 40_000;
const R = TOY2D_RECIPE;
const only = process.env.VARIANTS?.split(',').map(Number);
// A chosen subset of variants is an experiment: its table goes to tmp/ rather than over the full one.
const name = smoke || only ? 'tmp/quickstart-1step' : 'quickstart-1step';
const cache = join('runs', 'bench-quickstart-1step', `teacher-${TEACHER_STEPS}.safetensors`);

const engine: Engine = await createOnnxEngine({ ort: ort as unknown as OrtModule, sessionOptions: { intraOpNumThreads: availableParallelism(), logSeverityLevel: 3 } });
const data = toy2dSource('checkerboard', { sigmaD: SIGMA_D });
const model = createMlp({ sigmaD: SIGMA_D, width: R.width, blocks: R.blocks, inputFeatures: R.inputFeatures, inputFeatureScale: R.inputFeatureScale });
const log = (s: string) => process.stderr.write(`${s}\n`);
const began = performance.now();

async function teacherWeights(): Promise<{ params: HostParams; seconds?: number }> {
  if (existsSync(cache)) {
    const { tensors } = decodeSafetensors(readFileSync(cache));
    return { params: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])) };
  }
  const t0 = performance.now();
  const config = defaultTrainConfig('teacher', { steps: TEACHER_STEPS, batch: R.batch, seed: 0, lr: cosineLr({ lr: R.teacherLr, decaySteps: TEACHER_STEPS }) });
  const state = await train(engine, { model, data, config, onLog: (e) => log(`  teacher step ${e.step} loss ${e.loss.toFixed(4)} ${e.stepsPerSec.toFixed(1)} steps/s`) });
  const params = state.ema as HostParams;
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(cache, encodeSafetensors(Object.fromEntries(Object.entries(params).map(([k, t]) => [k, { dtype: 'F32', shape: [...t.shape], data: t.data as Float32Array }]))));
  return { params, seconds: (performance.now() - t0) / 1000 };
}
const teacher = await teacherWeights();

/** One phase of a student run: its config (steps = the step the phase ends at). */
type Phase = Partial<TrainConfig> & { readonly steps: number };

/**
 * A student trained in phases on the same run: each phase continues the last one's weights, EMA,
 * optimiser moments and random stream at a batch and rate of its own (ONNX Runtime compiles one
 * step per phase).
 */
async function distil(phases: readonly Phase[]): Promise<{ ema: HostParams; seconds: number }> {
  const o = engine.ops as TensorOps<unknown>;
  const t0 = performance.now();
  let host: TrainState<HostTensor> | undefined;
  const teacherOnOps = toDevice(o, teacher.params);
  for (const phase of phases) {
    const config = defaultTrainConfig('scd', { batch: R.batch, seed: 0, tangentWarmup: steps(R.tangentWarmup), ...phase });
    const ctx: StepContext<unknown> = { model, data, config, optimizer: makeOptimizer(config), teacher: { model, params: teacherOnOps } };
    const initial = host
      ? { step: host.step, skipped: host.skipped, rng: host.rng, params: toDevice(o, host.params), ema: toDevice(o, host.ema), opt: toDevice(o, host.opt) }
      : initState(o, model, config, teacher.params);
    const session = await engine.startTraining(ctx, initial);
    try {
      await runLoop(session.stepper, {
        until: phase.steps,
        logEvery: Math.max(1, Math.floor(STUDENT_STEPS / 8)),
        checkpointEvery: phase.steps,
        onLog: (e) => log(`  sCD step ${e.step} loss ${e.loss.toFixed(4)} ${e.stepsPerSec.toFixed(1)} steps/s`),
      });
      host = await session.hostState();
    } finally {
      await session.close();
    }
  }
  o.dispose(Object.values(teacherOnOps));
  if (!host) throw new Error('a student needs at least one phase');
  return { ema: host.ema as HostParams, seconds: (performance.now() - t0) / 1000 };
}

// The quick start's evaluation draws (scm eval at seed 0): its reference set, and ours for the better-resolved statistic.
const evalRng = new Rng(0);
const reference = data.toData(data.sample(evalRng.fork('eval-reference'), EVAL_N).x);
const bigReference = data.toData(data.sample(new Rng(101), BIG_N).x);

interface Scores {
  readonly support: number;
  readonly energy: number;
  readonly support40k: number;
  readonly energy40k: number;
}

async function score(params: HostParams, opts: { sampler: 'consistency'; steps: number } | { sampler: 'heun'; nfe: number }, plot?: string): Promise<Scores> {
  const pts = data.toData(await sample(engine, model, params, SIGMA_D, { ...opts, n: EVAL_N, seed: 0 }));
  const big = data.toData(await sample(engine, model, params, SIGMA_D, { ...opts, n: BIG_N, seed: 1 }));
  if (plot) writeFileSync(join(plotDir, plot), scatterPng(pts.subarray(0, 2 * EVAL_N), { title: plot.replace(/\.png$/, '') }));
  return {
    support: checkerboardSupportFraction(pts),
    energy: energyDistance(pts, reference, 2, { seed: 0 }),
    support40k: checkerboardSupportFraction(big),
    energy40k: energyDistance(big, bigReference, 2),
  };
}

const plotDir = join(resultsDir, name);
mkdirSync(plotDir, { recursive: true });

// The null spread of both energy distances: independent data sets of each size against the references.
const nullRows = [1, 2, 3].map((k) => ({
  energy: energyDistance(data.toData(data.sample(new Rng(200 + k), EVAL_N).x), reference, 2, { seed: 0 }),
  energy40k: energyDistance(data.toData(data.sample(new Rng(300 + k), BIG_N).x), bigReference, 2),
}));
log(`null energy distances ${JSON.stringify(nullRows)}`);

interface Row extends Scores {
  readonly run: string;
  readonly seconds?: number;
}
const rows: Row[] = [{ run: 'teacher, Heun 35 NFE', ...(await score(teacher.params, { sampler: 'heun', nfe: 35 }, 'teacher-heun35.png')), ...(teacher.seconds ? { seconds: teacher.seconds } : {}) }];
log(JSON.stringify(rows[0]));

/** The paper's proposal, which the old recipe used: ln(sigma) ~ N(-1.0, 1.4^2). */
const PAPER = CONSISTENCY_PROPOSAL;
const NEW = R.distillProposal;
/** One phase of n steps at `lr` with cosine decay over them, and the config fields given. */
const cosineRun = (n: number, extra: Partial<TrainConfig> = {}, lr: number = R.distillLr): Phase[] => [{ steps: n, lr: cosineLr({ lr, decaySteps: n }), ...extra }];
const proposal = (pMean: number, pStd: number) => ({ proposal: { pMean, pStd } });
const OLD = STUDENT_STEPS;
const LONG = QUICKSTART_STUDENT_STEPS;
/** Variants, grouped: the old recipe; against its noise; where its times are drawn; and that at the quick start's new length. A file names its 1-step plot. */
const variants: { run: string; file?: string; phases: Phase[] }[] = [
  { run: `the old recipe: ${OLD} x 256, lr 3e-4 cosine, the paper's proposal (-1.0, 1.4)`, file: 'recipe.png', phases: cosineRun(OLD, { proposal: PAPER }) },
  { run: 'the old recipe, seed 1', phases: cosineRun(OLD, { proposal: PAPER, seed: 1 }) },
  { run: 'the old recipe, seed 2', phases: cosineRun(OLD, { proposal: PAPER, seed: 2 }) },
  {
    run: 'high then low: 3000 x 256 at lr 3e-4, then 400 x 1024 at 3e-5',
    file: 'high-then-low.png',
    phases: [
      { steps: steps(3000), lr: constantLr(3e-4), proposal: PAPER },
      { steps: steps(3400), batch: 4 * R.batch, lr: constantLr(3e-5), proposal: PAPER },
    ],
  },
  { run: "one tangent norm per batch ('batch')", file: 'norm-batch.png', phases: cosineRun(OLD, { proposal: PAPER, tangentNormOver: 'batch' }) },
  {
    run: 'one tangent norm per batch, then 400 x 1024 at 3e-5',
    phases: [
      { steps: steps(3000), lr: constantLr(3e-4), proposal: PAPER, tangentNormOver: 'batch' },
      { steps: steps(3400), batch: 4 * R.batch, lr: constantLr(3e-5), proposal: PAPER, tangentNormOver: 'batch' },
    ],
  },
  { run: 'finite-difference JVP, h = 1e-3', phases: cosineRun(OLD, { proposal: PAPER, jvpStep: 1e-3 }) },
  { run: 'tangent normalisation c = 1 (the paper: 0.1)', phases: cosineRun(OLD, { proposal: PAPER, tangentC: 1 }) },
  { run: 'tangent normalisation c = 10', phases: cosineRun(OLD, { proposal: PAPER, tangentC: 10 }) },
  { run: 'no tangent normalisation', phases: cosineRun(OLD, { proposal: PAPER, tangentNormalize: false }) },
  { run: 'a longer EMA: power sigma_rel 0.15 (0.05)', phases: cosineRun(OLD, { proposal: PAPER, ema: { kind: 'power', sigmaRel: 0.15 } }) },
  { run: 'lr 1e-4', phases: cosineRun(OLD, { proposal: PAPER }, 1e-4) },
  { run: 'lr 1e-3', phases: cosineRun(OLD, { proposal: PAPER }, 1e-3) },
  { run: `twice as long: ${LONG} steps`, phases: cosineRun(LONG, { proposal: PAPER }) },
  { run: 'times drawn later: proposal (1.0, 1.4)', phases: cosineRun(OLD, proposal(1, 1.4)) },
  { run: 'times drawn later: proposal (0.0, 1.4)', file: 'proposal-later.png', phases: cosineRun(OLD, proposal(0, 1.4)) },
  { run: 'times spread wider: proposal (-1.0, 2.0)', phases: cosineRun(OLD, proposal(-1, 2)) },
  { run: 'times drawn earlier: proposal (-1.5, 1.4)', phases: cosineRun(OLD, proposal(-1.5, 1.4)) },
  { run: 'proposal (-1.5, 1.4), seed 1', phases: cosineRun(OLD, { ...proposal(-1.5, 1.4), seed: 1 }) },
  { run: 'proposal (-1.5, 1.4), seed 2', phases: cosineRun(OLD, { ...proposal(-1.5, 1.4), seed: 2 }) },
  { run: 'proposal (-1.5, 1.4), one tangent norm per batch', phases: cosineRun(OLD, { ...proposal(-1.5, 1.4), tangentNormOver: 'batch' }) },
  { run: 'proposal (-2.0, 1.4)', phases: cosineRun(OLD, proposal(-2, 1.4)) },
  { run: 'proposal (-1.5, 1.0)', phases: cosineRun(OLD, proposal(-1.5, 1)) },
  { run: `proposal (-1.5, 1.4), ${LONG} steps`, phases: cosineRun(LONG, proposal(-1.5, 1.4)) },
  { run: `proposal (-1.5, 1.4), ${LONG} steps at lr 5e-4`, phases: cosineRun(LONG, proposal(-1.5, 1.4), 5e-4) },
  { run: `proposal (-1.5, 1.4), ${3 * OLD} steps`, phases: cosineRun(3 * OLD, proposal(-1.5, 1.4)) },
  { run: `proposal (-2.0, 1.4), ${LONG} steps`, phases: cosineRun(LONG, proposal(-2, 1.4)) },
  { run: `proposal (-2.0, 1.0), ${LONG} steps`, phases: cosineRun(LONG, proposal(-2, 1)) },
  { run: `proposal (-1.5, 0.7), ${LONG} steps`, phases: cosineRun(LONG, proposal(-1.5, 0.7)) },
  { run: `the new recipe: proposal (${NEW.pMean.toFixed(1)}, ${NEW.pStd.toFixed(1)}), ${LONG} steps (the quick start)`, file: 'new-recipe.png', phases: cosineRun(LONG, { proposal: NEW }) },
  { run: 'the new recipe, seed 1', phases: cosineRun(LONG, { proposal: NEW, seed: 1 }) },
  { run: 'the new recipe at lr 5e-4', phases: cosineRun(LONG, { proposal: NEW }, 5e-4) },
];
const students: Record<string, HostParams> = {};
for (const [i, v] of variants.entries()) {
  if (only && !only.includes(i)) continue;
  log(v.run);
  const { ema, seconds } = await distil(v.phases);
  students[v.run] = ema;
  rows.push({ run: v.run, ...(await score(ema, { sampler: 'consistency', steps: 1 }, v.file)), seconds });
  log(JSON.stringify(rows[rows.length - 1]));
}

/**
 * Float64: one sCD gradient at the old recipe student's weights, in float32 (tfjs) and float64 (the
 * reference ops) on the same batch, and in float64 on a second batch. Its relative size says
 * whether float32 rounding is any part of the student's gradient noise.
 */
async function precisionCheck(params: HostParams) {
  const f32 = (await createTfjsOps()) as unknown as TensorOps<unknown>;
  const f64 = new ReferenceOps() as unknown as TensorOps<unknown>;
  const config = defaultTrainConfig('scd', { batch: R.batch, seed: 5, tangentWarmup: 0 });
  const gradient = (o: TensorOps<unknown>, seed: number): Float64Array => {
    const ctx: StepContext<unknown> = { model, data, config, optimizer: makeOptimizer(config) };
    const b = uploadBatch(o, ctx, drawBatch(ctx, new Rng(seed)));
    const p = toDevice(o, params);
    const tp = toDevice(o, teacher.params);
    const xt = noisy(o, b.x0, b.z, b.t);
    const dxdt = o.mul(modelField(o, model, tp, SIGMA_D)(xt, b.t), o.fill([], SIGMA_D));
    const { Fminus, g } = scmTarget(o, model, p, xt, b.t, dxdt, { sigmaD: SIGMA_D, r: 1, normalize: true, c: config.tangentC });
    const { grads } = valueAndGrad(o, (tape, q) => scmLoss(tape, model, q, tape.lift(xt), tape.lift(b.t), tape.lift(Fminus), tape.lift(g), SIGMA_D), p);
    const flat = Object.keys(grads).sort().flatMap((k) => Array.from(o.readSync(grads[k])));
    return Float64Array.from(flat);
  };
  const norm = (a: Float64Array, b?: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - (b ? b[i] : 0)) ** 2, 0));
  const g64 = gradient(f64, 1);
  const t0 = performance.now();
  const g64b = gradient(f64, 2);
  const float64StepSeconds = (performance.now() - t0) / 1000;
  const g32 = gradient(f32, 1);
  return { rounding: norm(g32, g64) / norm(g64), batchNoise: norm(g64b, g64) / norm(g64), float64StepSeconds };
}
const recipeStudent = students[variants[0].run] ?? teacher.params;
const precision = await precisionCheck(recipeStudent);
log(JSON.stringify(precision));
const totalSeconds = (performance.now() - began) / 1000;

const f = (v: number | undefined, d: number) => (v === undefined ? '' : v.toFixed(d));
const recipeStepSeconds = (rows.find((r) => r.run === variants[0].run)?.seconds ?? Number.NaN) / STUDENT_STEPS;
const oldRecipe = rows.filter((r) => r.run.startsWith('the old recipe')).map((r) => r.support40k);
const seedSpread = Math.max(...oldRecipe) - Math.min(...oldRecipe);
const nullSpread = (k: 'energy' | 'energy40k') => Math.max(...nullRows.map((r) => Math.abs(r[k])));
const md = [
  '# bench/quickstart-1step',
  '',
  `The quick start's teacher (MLP ${R.width}x${R.blocks}, ${R.inputFeatures} input features, ${TEACHER_STEPS} steps of ${R.batch}, lr ${R.teacherLr} cosine, seed 0; ` +
    `cached in \`${cache}\`) and sCD students of it (seed 0 unless named, tangent warmup ${steps(R.tangentWarmup)}, batch ${R.batch}, lr ${R.distillLr} with cosine decay unless named) trained on ${engine.name}. ` +
    'A proposal (P_mean, P_std) draws training times t = arctan(sigma / sigma_d) with ln sigma ~ N(P_mean, P_std^2). ' +
    `Each row: in support and energy distance of ${EVAL_N} 1-step samples (the teacher: Heun 35 NFE) at seed 0 against \`scm eval\`'s reference draw at seed 0, ` +
    `as the quick start scores them; then the same for ${BIG_N} samples (seed 1) against ${BIG_N} data points. ` +
    `Independent data sets score ${nullRows.map((r) => f(r.energy, 5)).join(', ')} at ${EVAL_N} points and ${nullRows.map((r) => f(r.energy40k, 6)).join(', ')} at ${BIG_N}: ` +
    `differences below about ${f(nullSpread('energy'), 5)} and ${f(nullSpread('energy40k'), 6)} are noise. ` +
    `Seeds move the in-support fraction at ${BIG_N} points by up to ${f(seedSpread, 3)} (the old recipe's three seeds).`,
  '',
  markdownTable(
    ['run', 'in support', 'energy dist.', `in support, ${BIG_N}`, `energy dist., ${BIG_N}`, 'training seconds'],
    rows.map((r) => [r.run, f(r.support, 3), f(r.energy, 5), f(r.support40k, 3), f(r.energy40k, 6), f(r.seconds, 0)]),
  ),
  '',
  `Float64: core's one float64 engine (the reference ops) takes ${f(precision.float64StepSeconds, 1)} s for one step of this student, ` +
    `against ${f(recipeStepSeconds, 3)} s on ${engine.name} (the old recipe's row), so a float64 run cannot fit the budget. One step's gradient at the old recipe student's weights moves ` +
    `by ${precision.rounding.toExponential(1)} of its norm from float64 to float32 arithmetic, and by ${f(precision.batchNoise, 2)} from one batch to the next.`,
  '',
  `Whole benchmark: ${f(totalSeconds / 60, 1)} minutes.`,
].join('\n');
writeResults(name, { scale: SCALE, engine: engine.name, teacherSteps: TEACHER_STEPS, studentSteps: STUDENT_STEPS, evalN: EVAL_N, bigN: BIG_N, nullRows, rows, variants, precision, totalSeconds }, md);
console.log(md);
