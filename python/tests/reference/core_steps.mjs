// One training step of each mode (teacher, sCT, sCD with CFG and a guidance input) computed by core on
// fixed inputs, twice: in float64 on core's reference ops and in float32 on tfjs-wasm (what scm trains
// with). Writes OUT.safetensors ("<mode>/<f64|f32>/<role>/<name>", inputs under "<mode>/in/") and
// OUT.json (configs, step, scalars), which tests/test_step_crosscheck.py recomputes with scm_torch.
// The MLP has input Fourier features, and every weight is moved off its init (zero-initialised output
// layer and logvar head included) so every gradient is non-zero. Usage: node core_steps.mjs OUT
import { writeFileSync } from 'node:fs';
import {
  createModel,
  lrAt,
  defaultMlpConfig,
  defaultTrainConfig,
  diffusionLoss,
  drawBatch,
  encodeSafetensors,
  guidedField,
  makeOptimizer,
  mapBatch,
  mapCond,
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
  velocity,
} from '@scm/core';
import { ReferenceOps } from '@scm/core/testing';
import { createTfjsOps } from '@scm/tfjs';

const out = process.argv[2];
if (!out) throw new Error('usage: node core_steps.mjs OUT');
const STEP = 30;
const tensors = {};
const put = (name, shape, data) => {
  tensors[name] = data instanceof Float64Array ? { dtype: 'F64', shape: [...shape], data } : { dtype: 'F32', shape: [...shape], data: Float32Array.from(data) };
};
const putAll = (prefix, host) => {
  for (const [k, v] of Object.entries(host)) put(`${prefix}${k}`, v.shape, v.data);
};

/** Every tensor moved by a normal draw scaled to its RMS (at least `floor`). */
function perturb(p, rng, relative, floor) {
  return Object.fromEntries(
    Object.entries(p).map(([k, v]) => {
      const rms = Math.sqrt(v.data.reduce((a, x) => a + x * x, 0) / v.data.length);
      const z = rng.normal(v.data.length);
      return [k, { shape: [...v.shape], data: v.data.map((x, i) => x + Math.max(relative * rms, floor) * z[i]) }];
    }),
  );
}

/** Adam moments like a run's: v = (gradient scale)^2, |m| <= sqrt(v) / 2. */
function moments(p, rng) {
  const opt = {};
  for (const [k, v] of Object.entries(p)) {
    const second = rng.normal(v.data.length).map((x) => (1e-3 * x) ** 2 + 1e-10);
    const u = rng.uniform(v.data.length);
    opt[`adam.m.${k}`] = { shape: v.shape, data: second.map((s, i) => 0.5 * Math.sqrt(s) * (2 * u[i] - 1)) };
    opt[`adam.v.${k}`] = { shape: v.shape, data: second };
  }
  return opt;
}

const data = toy2dSource('8gaussians', { sigmaD: 0.5, conditional: true });
const studentConfig = (mode) => ({ ...defaultMlpConfig, width: 32, blocks: 2, inputFeatures: 4, numClasses: data.numClasses, guidanceInput: mode === 'scd' });
const teacherModel = createModel(studentConfig('teacher'));
const rng = new Rng(2718);
const teacherParams = perturb(teacherModel.init(rng.fork('teacher')), rng.fork('teacher-perturb'), 0.2, 0.05);

const f32 = await createTfjsOps({ backend: 'wasm' });
const f64 = new ReferenceOps();
const cases = [];
for (const mode of ['teacher', 'sct', 'scd']) {
  const model = createModel(studentConfig(mode));
  const train = defaultTrainConfig(mode, { batch: 8, lr: { kind: 'constant', lr: 1e-3 }, clip: 0.5, tangentWarmup: 100, guidanceMax: mode === 'scd' ? 2 : 0 });
  const caseRng = rng.fork(mode);
  const params = perturb(model.init(caseRng.fork('init')), caseRng.fork('params'), 0.2, 0.05);
  const ema = perturb(params, caseRng.fork('ema'), 0.05, 0.01);
  const opt = moments(params, caseRng.fork('opt'));
  const host = drawBatch({ config: train, data, model }, caseRng.fork('batch'));
  put(`${mode}/in/x0`, [train.batch, 2], host.x0);
  put(`${mode}/in/z`, [train.batch, 2], host.z);
  put(`${mode}/in/t`, [train.batch], host.t);
  put(`${mode}/in/labels`, [train.batch, data.numClasses + 1], host.labels);
  if (host.guidance) put(`${mode}/in/guidance`, [train.batch], host.guidance);
  putAll(`${mode}/params/`, params);
  putAll(`${mode}/ema/`, ema);
  putAll(`${mode}/opt/`, opt);
  const ctxFor = (o) => ({
    model,
    config: train,
    data,
    optimizer: makeOptimizer(train),
    ...(mode === 'scd' ? { teacher: { model: teacherModel, params: toDevice(o, teacherParams) } } : {}),
  });
  const scalars = stepScalars(ctxFor(f64), STEP);
  for (const [precision, o] of [['f64', f64], ['f32', f32]]) {
    const ctx = ctxFor(o);
    const batch = uploadBatch(o, ctx, host);
    const p = toDevice(o, params);
    const cond = batch.cond;
    const sigmaD = train.sigmaD;
    const xt = noisy(o, batch.x0, batch.z, batch.t);
    const results = {
      F: model.F(o, p, o.mul(xt, o.fill([], 1 / sigmaD)), batch.t, { labels: cond.labels, guidance: cond.guidance }),
      logvar: model.logvar(o, p, batch.t),
    };
    // The loss and its gradient from core's pieces, as step.ts's lossAndGrads composes them.
    let composed;
    if (mode === 'teacher') {
      composed = valueAndGrad(o, (tape, q) => diffusionLoss(tape, model, q, mapBatch(batch, (v) => tape.lift(v)), sigmaD), p);
    } else {
      const dxdt =
        mode === 'sct'
          ? velocity(o, batch.x0, batch.z, batch.t)
          : o.mul(guidedField(o, teacherModel, ctx.teacher.params, sigmaD, cond.labels, cond.guidance)(xt, batch.t), o.fill([], sigmaD));
      const target = scmTarget(o, model, p, xt, batch.t, dxdt, { sigmaD, r: scalars['scm.r'], normalize: train.tangentNormalize, c: train.tangentC }, cond);
      Object.assign(results, { dxdt, Fminus: target.Fminus, J: target.J, g: target.g });
      composed = valueAndGrad(
        o,
        (tape, q) => scmLoss(tape, model, q, tape.lift(xt), tape.lift(batch.t), tape.lift(target.Fminus), tape.lift(target.g), sigmaD, mapCond(cond, (v) => tape.lift(v))),
        p,
      );
    }
    results.loss = composed.value;
    const step = stepFunction(o, ctx, { params: p, opt: toDevice(o, opt), ema: toDevice(o, ema), batch, scalars: scalarTensors(o, scalars) });
    const [a] = await o.read(composed.value);
    const [b] = await o.read(step.loss);
    if (Math.abs(a - b) > 1e-6 * Math.abs(b)) throw new Error(`${mode} ${precision}: the composed loss ${a} is not stepFunction's ${b}: this script no longer mirrors step.ts`);
    const keep = async (prefix, record) => {
      for (const [k, v] of Object.entries(record)) {
        const values = await o.read(v);
        put(`${mode}/${precision}/${prefix}${k}`, o.shape(v), precision === 'f64' ? Float64Array.from(values) : values);
      }
    };
    await keep('out/', results);
    await keep('grad/', composed.grads);
    await keep('step/', { loss: step.loss, gradNorm: step.gradNorm });
    await keep('step/params/', step.params);
    await keep('step/opt/', step.opt);
    await keep('step/ema/', step.ema);
  }
  cases.push({ mode, model: model.config, train, step: STEP, scalars });
}
putAll('teacher-weights/', teacherParams);
writeFileSync(`${out}.safetensors`, encodeSafetensors(tensors, { format: 'scm-ts/step-crosscheck@1' }));
// The host scalars of settings the cases above leave out: lr schedules, RAdam, the half-life EMA.
const STEPS = [1, 2, 5, 9, 10, 50, 99, 100];
const schedules = [
  { kind: 'cosine', lr: 1e-3, decaySteps: 100, warmupSteps: 10 },
  { kind: 'inverse-sqrt', lr: 2e-3, refSteps: 20, warmupSteps: 5 },
].map((schedule) => ({ schedule, lr: STEPS.map((step) => lrAt(schedule, step)) }));
const radamTrain = defaultTrainConfig('sct', { optimizer: 'radam', ema: { kind: 'halflife', halfLifeSteps: 50 } });
const scalarsAt = STEPS.map((step) => ({ step, scalars: stepScalars({ config: radamTrain, optimizer: makeOptimizer(radamTrain) }, step) }));
writeFileSync(`${out}.json`, JSON.stringify({ teacherModel: teacherModel.config, cases, schedules, radam: { train: radamTrain, scalarsAt } }, null, 2));
