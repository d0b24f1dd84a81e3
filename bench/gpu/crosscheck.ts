/**
 * bench/gpu/crosscheck.ts: the reference values the PyTorch port (torch_scm.py) is checked against,
 * and the networks both sides of the GPU benchmark time. Run after `npm run build`:
 *
 *   node --import tsx bench/gpu/crosscheck.ts OUTDIR
 *
 * Writes:
 * - OUTDIR/crosscheck.safetensors: per check case, its inputs and weights, and our outputs twice: on
 *   the tfjs wasm backend (float32) and on core's float64 reference ops (under "<case>/f64/"), named
 *   "<case>/<role>/<name>" (roles: in, teacher, student, ema, opt, forward, out, grad, step);
 * - OUTDIR/crosscheck.json: the cases (model configs, step settings and scalars), the forward check
 *   device.ts reads, and the timed configs;
 * - OUTDIR/<config>.safetensors: the params of each timed config (our names and layouts).
 *
 * The float64 results let the port be checked beyond float32 rounding: run in float64, PyTorch must
 * then agree with ours to ~1e-12, which no float32 comparison can show.
 *
 * Check cases:
 * - "mnist": the U-Net of models/mnist-scd/config.json. Student = the checkpoint's live weights
 *   ("params."), teacher = its EMA weights without the guidance embedding (a teacher has none),
 *   input EMA and Adam moments = the checkpoint's. Trained weights, so the output layer, the biases
 *   and the logvar head are all non-zero and every part of the network shows in the outputs.
 * - "tiny-mh": a small random 8x8x3 U-Net with two attention heads, attention at both levels and other
 *   non-default widths, every tensor perturbed away from its init (zero-initialised biases, output
 *   layer and logvar head included), so the paths the MNIST net does not take are checked too.
 * - "mlp": the toy MLP with createMlp's defaults (2-D points, width 128, 4 blocks, unconditional,
 *   sigma_d 0.5) on checkerboard data from toy2dSource. Teacher = a fresh init with every tensor
 *   perturbed, student = the teacher perturbed again (an sCD student starts from its teacher). Being
 *   unconditional, it takes the teacher's plain velocity (no CFG) and stores no labels or guidance.
 *
 * The sCD draws (z, t, guidance) come from step.ts's own drawBatch on a fixed data source; t is then
 * overwritten with fixed times spread over (0, pi/2) so both ends of the schedule are covered. One
 * whole step runs through core's stepFunction (loss, clipping, guard, Adam, EMA); the raw gradients,
 * which the step does not return, come from the same core pieces it uses (guidedField, scmTarget,
 * scmLoss, valueAndGrad), and the script checks that both routes give the same loss.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  consistencySample,
  consistencyTimes,
  createMlp,
  createModel,
  createUnet,
  decodeCheckpoint,
  defaultTrainConfig,
  drawBatch,
  encodeSafetensors,
  guidedField,
  makeOptimizer,
  modelField,
  noisy,
  Rng,
  scalarTensors,
  scmLoss,
  scmTarget,
  stepFunction,
  stepScalars,
  toDevice,
  toy2dSource,
  uploadBatch,
  valueAndGrad,
  mapCond,
  type DataSource,
  type HostParams,
  type Model,
  type SafetensorsTensor,
  type StepContext,
  type HostBatch,
  type ModelConfig,
  type TensorOps,
  type TrainConfig,
  type UnetConfig,
} from '@scm/core';
import { ReferenceOps } from '@scm/core/testing';
import { createTfjsOps } from '@scm/tfjs';
import { withoutGuidance, writeParams } from './params-file.js';

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: node --import tsx bench/gpu/crosscheck.ts OUTDIR');
const root = fileURLToPath(new URL('../..', import.meta.url));

type Tensor = unknown;
const o = (await createTfjsOps({ backend: 'wasm' })) as TensorOps<Tensor>;

/** The example count of every check: one null label among them. */
const N = 4;
/** Fixed times: near 0, low, middle and near pi/2 (sampled times would bunch in the middle). */
const TIMES = [0.05, 0.45, 0.95, 1.5];
/** Timed configs run at this batch unless the benchmark is told otherwise. */
const TIMED_BATCH = 128;
/** The guidance scale both benchmark sides sample with. */
const SAMPLE_GUIDANCE = 1.5;

const tensors: Record<string, SafetensorsTensor> = {};
/** Float32Array -> F32, Float64Array (the float64 reference's results) -> F64. */
const put = (name: string, shape: readonly number[], data: Float32Array | Float64Array) => {
  if (name in tensors) throw new Error(`crosscheck: tensor ${name} written twice`);
  tensors[name] = data instanceof Float64Array ? { dtype: 'F64', shape: [...shape], data } : { dtype: 'F32', shape: [...shape], data };
};
const putParams = (prefix: string, p: HostParams) => {
  for (const [k, v] of Object.entries(p)) put(`${prefix}${k}`, v.shape, v.data);
};

/** A data source that always returns the same images and labels (drawBatch takes x0 from it). */
function fixedSource(x0: Float32Array, labels: Int32Array, sampleShape: readonly number[], numClasses: number): DataSource {
  const identity = (x: Float32Array) => x;
  return {
    name: 'fixed',
    sampleShape,
    numClasses,
    sample: (_rng, n) => {
      if (n !== labels.length) throw new Error(`fixed source holds ${labels.length} examples, asked for ${n}`);
      return { x: x0.slice(), labels: labels.slice() };
    },
    toData: identity,
    fromData: identity,
  };
}

/** Gaussian perturbation of every tensor, scaled to the tensor's own RMS (at least `floor`). */
function perturb(p: HostParams, rng: Rng, relative: number, floor: number): HostParams {
  const out: HostParams = {};
  for (const [k, v] of Object.entries(p)) {
    const rms = Math.sqrt(v.data.reduce((a, x) => a + x * x, 0) / v.data.length);
    const scale = Math.max(relative * rms, floor);
    const z = rng.normal(v.data.length);
    out[k] = { shape: [...v.shape], data: v.data.map((x, i) => x + scale * z[i]) };
  }
  return out;
}

interface CaseInput {
  readonly name: string;
  /** The student's network; the teacher is the same without its guidance input. */
  readonly model: ModelConfig;
  /** Where x0 (and labels) come from; by default, fixed normal draws of std sigma_d with one null label. */
  readonly data?: DataSource;
  readonly student: HostParams;
  readonly teacher: HostParams;
  readonly ema: HostParams;
  readonly opt: HostParams;
  /** The step number the step's scalars (Adam's bias corrections, EMA decay, tangent warmup r) are computed for. */
  readonly step: number;
  readonly train: TrainConfig;
  readonly seed: number;
  /** Store the float64 step's new params, moments and EMA too (one small case suffices: the update is elementwise). */
  readonly float64State: boolean;
}

/** A case's fixed draws, on the host. */
interface CaseDraws {
  readonly batch: HostBatch;
  /** Standard-normal noise of the two sampling steps. */
  readonly noise: readonly Float32Array[];
}

type HostResult = { readonly shape: readonly number[]; readonly data: Float32Array | Float64Array };

function teacherConfig(c: CaseInput): ModelConfig {
  return { ...c.model, guidanceInput: false };
}

function contextFor<T>(o: TensorOps<T>, c: CaseInput, data: DataSource): StepContext<T> {
  const teacherModel = createModel(teacherConfig(c));
  return { model: createModel(c.model), config: c.train, data, optimizer: makeOptimizer(c.train), teacher: { model: teacherModel, params: toDevice(o, c.teacher) } };
}

/**
 * Everything the port is compared on, computed on `o`, under the names torch_bench.py reads:
 * out/{F, logvar, xt, dxdt, Fminus, J, g, loss, sample1, sample2}, grad/<param>, and the whole
 * step's step/{loss, gradNorm, applied}, step/params/<param>, step/opt/<moment>, step/ema/<param>.
 */
async function evaluate<T>(o: TensorOps<T>, c: CaseInput, draws: CaseDraws, data: DataSource): Promise<Record<string, HostResult>> {
  const ctx = contextFor(o, c, data);
  const { model } = ctx;
  const sigmaD = c.train.sigmaD;
  const batch = uploadBatch(o, ctx, draws.batch);
  const cond = batch.cond!;
  const params = toDevice(o, c.student);
  const scalars = stepScalars(ctx as StepContext<unknown>, c.step);

  // The network on its own: F and u(t) at the step's x_t / sigma_d.
  const xt = noisy(o, batch.x0, batch.z, batch.t);
  const F = model.F(o, params, o.mul(xt, o.fill([], 1 / sigmaD)), batch.t, { labels: cond.labels, guidance: cond.guidance });
  const u = model.logvar(o, params, batch.t);

  // The sCD objective from core's pieces, as step.ts's lossAndGrads composes them (and its
  // teacherVelocity: CFG at the student's scale where the batch has labels and guidance).
  const teacher = ctx.teacher!;
  const teacherField =
    cond.labels && cond.guidance
      ? guidedField(o, teacher.model, teacher.params, sigmaD, cond.labels, cond.guidance)
      : modelField(o, teacher.model, teacher.params, sigmaD, cond.labels ? { labels: cond.labels } : {});
  const dxdt = o.mul(teacherField(xt, batch.t), o.fill([], sigmaD));
  const settings = { sigmaD, r: scalars['scm.r'], normalize: c.train.tangentNormalize, c: c.train.tangentC };
  const target = scmTarget(o, model, params, xt, batch.t, dxdt, settings, cond);
  const { value: loss, grads } = valueAndGrad(
    o,
    (tape, p) =>
      scmLoss(tape, model, p, tape.lift(xt), tape.lift(batch.t), tape.lift(target.Fminus), tape.lift(target.g), sigmaD, mapCond(cond, (v) => tape.lift(v))),
    params,
  );

  // The whole step exactly as training runs it; its loss must be the composed one.
  const step = stepFunction(o, ctx, { params, opt: toDevice(o, c.opt), ema: toDevice(o, c.ema), batch, scalars: scalarTensors(o, scalars) });
  const [composed] = await o.read(loss);
  const [stepLoss] = await o.read(step.loss);
  if (Math.abs(composed - stepLoss) > 1e-6 * Math.abs(stepLoss)) {
    throw new Error(`${c.name} on ${o.name}: the composed loss ${composed} differs from stepFunction's ${stepLoss}: crosscheck.ts no longer mirrors step.ts`);
  }

  // Consistency sampling (1 and 2 steps) with the student.
  const shape = [N, ...model.sampleShape];
  const field = modelField(o, model, params, sigmaD, { labels: cond.labels, guidance: cond.guidance });
  const sample = (steps: number) => consistencySample(o, field, draws.noise.slice(0, steps).map((v) => o.fromArray(v, shape)), consistencyTimes(steps, sigmaD), sigmaD);

  const out: Record<string, HostResult> = {};
  const keep = async (name: string, x: T) => {
    out[name] = { shape: [...o.shape(x)], data: (await o.read(x)) as Float32Array | Float64Array };
  };
  const keepAll = async (prefix: string, r: Record<string, T>) => {
    for (const [k, v] of Object.entries(r)) await keep(`${prefix}${k}`, v);
  };
  await keepAll('out/', { F, logvar: u, xt, dxdt, Fminus: target.Fminus, J: target.J, g: target.g, loss, sample1: sample(1), sample2: sample(2) });
  await keepAll('grad/', grads);
  await keepAll('step/', { loss: step.loss, gradNorm: step.gradNorm, applied: step.applied });
  await keepAll('step/params/', step.params);
  await keepAll('step/opt/', step.opt);
  await keepAll('step/ema/', step.ema);
  process.stderr.write(`${c.name} on ${o.name}: loss ${stepLoss.toPrecision(8)}, r ${scalars['scm.r']}\n`);
  return out;
}

/** Draws the case's inputs, evaluates it in float32 (wasm) and float64 (reference), stores all, returns its JSON entry. */
async function runCase(c: CaseInput) {
  const rng = new Rng(c.seed);
  const model = createModel(c.model);
  const sampleShape = model.sampleShape;
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const data = c.data ?? defaultSource(c, rng, sampleShape);
  const batch = drawBatch(contextFor(o, c, data) as StepContext<unknown>, rng);
  batch.t = Float32Array.from(TIMES);
  // A class-conditional case must take the CFG path, which needs both.
  if (model.numClasses > 0 && (!batch.labels || !batch.guidance)) throw new Error(`${c.name}: a class-conditional check needs a student with a guidance input`);
  const draws: CaseDraws = { batch, noise: [rng.normal(N * size), rng.normal(N * size)] };

  const p = `${c.name}/`;
  const shape = [N, ...sampleShape];
  putParams(`${p}student/`, c.student);
  putParams(`${p}teacher/`, c.teacher);
  putParams(`${p}ema/`, c.ema);
  putParams(`${p}opt/`, c.opt);
  put(`${p}in/x0`, shape, batch.x0);
  put(`${p}in/z`, shape, batch.z);
  put(`${p}in/t`, [N], batch.t);
  if (batch.labels) put(`${p}in/labels`, [N, model.numClasses + 1], batch.labels);
  if (batch.guidance) put(`${p}in/guidance`, [N], batch.guidance);
  draws.noise.forEach((v, i) => put(`${p}in/noise${i}`, shape, v));
  const f32 = await evaluate(o, c, draws, data);
  for (const [k, v] of Object.entries(f32)) put(`${p}${k}`, v.shape, v.data);
  // device.ts feeds F its input directly: x_t / sigma_d as the float32 step computed it.
  const xt = f32['out/xt'].data;
  put(`${p}forward/x`, shape, Float32Array.from(xt, (v) => v * Math.fround(1 / c.train.sigmaD)));
  const f64 = await evaluate(new ReferenceOps(), c, draws, data);
  for (const [k, v] of Object.entries(f64)) {
    if (c.float64State || !/^step\/(params|opt|ema)\//.test(k)) put(`${p}f64/${k}`, v.shape, Float64Array.from(v.data));
  }

  return {
    name: c.name,
    model: c.model,
    teacherModel: teacherConfig(c),
    train: c.train,
    step: c.step,
    /** stepScalars(step): what the step computed with (Adam step size and eps, EMA decay, r). */
    scalars: stepScalars(contextFor(o, c, data) as StepContext<unknown>, c.step),
    times: TIMES,
    sampleTimes: { 1: consistencyTimes(1, c.train.sigmaD), 2: consistencyTimes(2, c.train.sigmaD) },
  };
}

/** Normal x0 of std sigma_d (drawn first from the case's stream) and labels with the last one null, always the same. */
function defaultSource(c: CaseInput, rng: Rng, sampleShape: readonly number[]): DataSource {
  const numClasses = createModel(c.model).numClasses;
  const x0 = rng.normal(N * sampleShape.reduce((a, b) => a * b, 1)).map((v) => v * c.train.sigmaD);
  // The last example carries the null label; the others are real classes.
  const labels = Int32Array.from({ length: N }, (_, i) => (i === N - 1 ? -1 : (3 * i + 1) % numClasses));
  return fixedSource(x0, labels, sampleShape, numClasses);
}

function unetParamCount(p: HostParams): number {
  return Object.values(p).reduce((a, v) => a + v.data.length, 0);
}

// ---- the MNIST case: models/mnist-scd ------------------------------------------------------------

const mnistDir = join(root, 'models/mnist-scd');
const mnistConfig = JSON.parse(readFileSync(join(mnistDir, 'config.json'), 'utf8')) as { model: UnetConfig; train: TrainConfig };
const checkpoint = decodeCheckpoint(readFileSync(join(mnistDir, 'checkpoint.safetensors')));
if (JSON.stringify(checkpoint.meta.model) !== JSON.stringify(mnistConfig.model)) {
  throw new Error('models/mnist-scd: the checkpoint was written for another model than config.json describes');
}
const mnistUnet = mnistConfig.model;
const mnistTrain = defaultTrainConfig('scd', { ...mnistConfig.train, batch: N });

// ---- the tiny multi-head case --------------------------------------------------------------------

const tinyUnet: UnetConfig = {
  kind: 'unet',
  imageSize: 8,
  channels: 3,
  baseChannels: 8,
  channelMult: [1, 2],
  blocksPerLevel: 1,
  attentionResolutions: [8, 4],
  attentionHeads: 2,
  embChannels: 16,
  normGroups: 4,
  numClasses: 3,
  guidanceInput: true,
  guidanceGain: 3,
  dropout: 0,
  sigmaD: 0.6,
  norm: 'double',
  cNoise: 'identity',
  timeEmbedding: 'positional',
  fourierScale: 16,
  logvarChannels: 16,
};
const tinyModel = createUnet(tinyUnet);
const tinyRng = new Rng(1234);
// Student: every tensor of a fresh init moved off its init value; teacher: the student nudged, minus the guidance embedding.
const tinyStudent = perturb(tinyModel.init(tinyRng.fork('init')), tinyRng.fork('student'), 0.2, 0.05);
const tinyTeacher = withoutGuidance(perturb(tinyStudent, tinyRng.fork('teacher'), 0.05, 0.01));
/** Adam moments like a real run's: v = (gradient scale)^2, |m| <= sqrt(v) / 2 (random ones make m / sqrt(v) blow up). */
function syntheticMoments(params: HostParams, optRng: Rng): HostParams {
  const opt: HostParams = {};
  for (const [k, v] of Object.entries(params)) {
    const second = optRng.normal(v.data.length).map((x) => (1e-3 * x) ** 2 + 1e-10);
    const u = optRng.uniform(v.data.length);
    opt[`adam.m.${k}`] = { shape: v.shape, data: second.map((s, i) => 0.5 * Math.sqrt(s) * (2 * u[i] - 1)) };
    opt[`adam.v.${k}`] = { shape: v.shape, data: second };
  }
  return opt;
}
/** The step settings of the synthetic cases: clipping active (clip 0.5), r = 0.3 at step 30. */
const syntheticTrain = (sigmaD: number) =>
  defaultTrainConfig('scd', { batch: N, sigmaD, lr: { kind: 'constant', lr: 1e-3 }, tangentWarmup: 100, clip: 0.5, ema: { kind: 'power', sigmaRel: 0.1 } });
const tinyOpt = syntheticMoments(tinyStudent, tinyRng.fork('opt'));
const tinyTrain = syntheticTrain(tinyUnet.sigmaD);

// ---- the toy MLP case --------------------------------------------------------------------------------

const mlp = createMlp(); // createMlp's defaults: 2-D points, width 128, 4 blocks, unconditional, sigma_d 0.5
const mlpRng = new Rng(4321);
const mlpTeacher = perturb(mlp.init(mlpRng.fork('init')), mlpRng.fork('teacher'), 0.2, 0.05);
const mlpStudent = perturb(mlpTeacher, mlpRng.fork('student'), 0.05, 0.01);

const cases = [
  await runCase({
    name: 'mnist',
    model: mnistUnet,
    student: checkpoint.state.params,
    teacher: withoutGuidance(checkpoint.state.ema),
    ema: checkpoint.state.ema,
    opt: checkpoint.state.opt,
    // r = 0.61 (warmup 100): both tangent terms count. The moments are the checkpoint's (step 100).
    step: 61,
    train: mnistTrain,
    seed: 7,
    float64State: false,
  }),
  await runCase({ name: 'tiny-mh', model: tinyUnet, student: tinyStudent, teacher: tinyTeacher, ema: perturb(tinyStudent, tinyRng.fork('ema'), 0.05, 0.01), opt: tinyOpt, step: 30, train: tinyTrain, seed: 8, float64State: true }),
  await runCase({
    name: 'mlp',
    model: mlp.config,
    data: toy2dSource('checkerboard', { sigmaD: mlp.config.sigmaD }),
    student: mlpStudent,
    teacher: mlpTeacher,
    ema: perturb(mlpStudent, mlpRng.fork('ema'), 0.05, 0.01),
    opt: syntheticMoments(mlpStudent, mlpRng.fork('opt')),
    step: 30,
    train: syntheticTrain(mlp.config.sigmaD),
    seed: 9,
    // Off to keep the pack small (the float64 params, moments and EMA would add 9 MB): tiny-mh checks the
    // elementwise update in float64; with it on, the MLP's agreed to 2.2e-13 (TORCH.md).
    float64State: false,
  }),
];

// ---- the timed configs ---------------------------------------------------------------------------

const cifarLike: UnetConfig = {
  ...mnistUnet,
  imageSize: 32,
  channels: 3,
  baseChannels: 64,
  channelMult: [1, 2, 2],
  blocksPerLevel: 2,
  attentionResolutions: [16],
  attentionHeads: 1,
  numClasses: 10,
  guidanceInput: true,
};
// cifar-like's 27 MB of random weights are not packed: device.ts draws them from initSeed on the GPU
// machine and writes them where torch_bench.py reads them, so both time the same network.
const CIFAR_SEED = 2024;
const timed = [
  { name: 'mnist', unet: mnistUnet, params: 'mnist.safetensors', host: checkpoint.state.params },
  { name: 'cifar-like', unet: cifarLike, params: 'cifar-like.safetensors', host: createUnet(cifarLike).init(new Rng(CIFAR_SEED)), initSeed: CIFAR_SEED },
];

mkdirSync(outDir, { recursive: true });
for (const t of timed) if (t.initSeed === undefined) writeParams(join(outDir, t.params), t.host);
writeFileSync(join(outDir, 'crosscheck.safetensors'), encodeSafetensors(tensors, { format: 'scm-ts/gpu-crosscheck@1' }));

const json = {
  format: 'scm-ts/gpu-crosscheck@1',
  backend: o.name,
  /** Tensors are "<case>/<role>/<name>" in crosscheck.safetensors; see the header of crosscheck.ts. */
  cases,
  /** What device.ts compares: F of the forward.config network on these tensors. */
  forward: {
    config: 'mnist',
    inputs: { x: 'mnist/forward/x', t: 'mnist/in/t', labels: 'mnist/in/labels', guidance: 'mnist/in/guidance' },
    output: 'mnist/out/F',
  },
  /**
   * The timed networks. The teacher is the same network without its guidance input (the params
   * minus "guidance."); the student starts from the params with a zeroed logvar head (initState).
   */
  configs: timed.map((t) => ({
    name: t.name,
    unet: t.unet,
    teacherUnet: { ...t.unet, guidanceInput: false },
    params: t.params,
    ...(t.initSeed !== undefined ? { initSeed: t.initSeed } : {}),
    paramCount: unetParamCount(t.host),
    batch: TIMED_BATCH,
    train: defaultTrainConfig('scd', { batch: TIMED_BATCH, steps: 1000, sigmaD: t.unet.sigmaD, tangentWarmup: 100 }),
    sampleGuidance: SAMPLE_GUIDANCE,
  })),
};
writeFileSync(join(outDir, 'crosscheck.json'), JSON.stringify(json, null, 2) + '\n');
process.stderr.write(`wrote ${outDir}: ${Object.keys(tensors).length} cross-check tensors; timed ${timed.map((t) => `${t.name} (${unetParamCount(t.host)} params)`).join(', ')}\n`);
