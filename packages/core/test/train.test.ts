import { describe, expect, it } from 'vitest';
import {
  createMlp,
  decodeCheckpoint,
  defaultTrainConfig,
  encodeCheckpoint,
  checkpointMeta,
  initState,
  makeOptimizer,
  noisy,
  restoreState,
  Rng,
  scmLoss,
  scmTarget,
  snapshot,
  toDevice,
  toy2dSource,
  trainLoop,
  trainStep,
  valueAndGrad,
  velocity,
  type DataSource,
  type TrainConfig,
} from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const tiny = { width: 16, blocks: 1, embChannels: 8, normGroups: 4, logvarChannels: 8 };
const read = (t: unknown) => Array.from(o.readSync(t as never));

function context(mode: TrainConfig['mode'], overrides: Partial<TrainConfig> = {}, data: DataSource = toy2dSource('checkerboard', { sigmaD: 0.5 })) {
  const config = defaultTrainConfig(mode, { batch: 16, steps: 4, ...overrides });
  const model = createMlp({ ...tiny, numClasses: data.numClasses, guidanceInput: mode === 'scd' && data.numClasses > 0 });
  return { model, config, data, optimizer: makeOptimizer(config) };
}

describe('training steps on the float64 reference', () => {
  it('a teacher step changes the params and starts the power EMA at the params', () => {
    const ctx = context('teacher');
    const s0 = initState(o, ctx.model, ctx.config);
    const before = read(s0.params['out.weight']);
    const { state, loss, applied } = trainStep(o, ctx, s0);
    expect(Number.isFinite(read(loss)[0])).toBe(true);
    expect(read(applied)[0]).toBe(1);
    // The zero-initialised output layer is the first to move (it blocks gradients to the layers below).
    expect(read(state.params['out.weight'])).not.toEqual(before);
    // Power EMA has decay 0 at step 1: the average starts at the weights themselves.
    expect(read(state.ema['out.weight'])).toEqual(read(state.params['out.weight']));
  });

  it('a non-finite batch is skipped: params and optimiser state stay as they were', async () => {
    const base = toy2dSource('checkerboard', { sigmaD: 0.5 });
    const poisoned: DataSource = { ...base, sample: (rng, n) => ({ x: base.sample(rng, n).x.map(() => NaN) }) };
    const ctx = context('teacher', {}, poisoned);
    const s0 = initState(o, ctx.model, ctx.config);
    const before = read(s0.params['blocks.0.fc0.weight']);
    const s = await trainLoop(o, ctx, s0, { until: 3, logEvery: 10, checkpointEvery: 10 });
    expect(s.skipped).toBe(3);
    expect(s.step).toBe(3);
    expect(read(s.params['blocks.0.fc0.weight'])).toEqual(before);
    expect(read(s.opt['adam.m.blocks.0.fc0.weight']).every((v) => v === 0)).toBe(true);
  });

  it('sCT, sCD and conditional sCD with CFG steps run from a teacher init', () => {
    for (const [mode, data] of [
      ['sct', toy2dSource('moons', { sigmaD: 0.5 })],
      ['scd', toy2dSource('checkerboard', { sigmaD: 0.5 })],
      ['scd', toy2dSource('8gaussians', { sigmaD: 0.5, conditional: true })],
    ] as const) {
      const ctx = context(mode, {}, data);
      const teacherModel = createMlp({ ...tiny, numClasses: data.numClasses });
      const teacherHost = teacherModel.init(new Rng(7));
      const teacher = { model: teacherModel, params: toDevice(o, teacherHost) };
      const { logvar: _, ...rest } = { logvar: 0, ...teacherHost };
      const s0 = initState(o, ctx.model, ctx.config, ctx.model.guidanceInput ? { ...ctx.model.init(new Rng(1)), ...rest } : rest);
      const out = trainStep(o, { ...ctx, teacher }, s0);
      expect(read(out.applied)[0]).toBe(1);
      expect(Number.isFinite(read(out.loss)[0])).toBe(true);
    }
  });

  it('the same seed gives the same run, another seed another', async () => {
    const run = async (seed: number) => {
      const ctx = context('teacher', { seed });
      const s = await trainLoop(o, ctx, initState(o, ctx.model, ctx.config), { until: 3, logEvery: 10, checkpointEvery: 10 });
      return read(s.params['out.weight']);
    };
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });

  it('a checkpoint round trip restores params, EMA, optimiser state, step and stream', async () => {
    const ctx = context('teacher');
    const s = await trainLoop(o, ctx, initState(o, ctx.model, ctx.config), { until: 2, logEvery: 10, checkpointEvery: 10 });
    const info = { model: ctx.model.config, train: ctx.config, data: { name: 'checkerboard', conditional: false } };
    const bytes = encodeCheckpoint(checkpointMeta(info, s), await snapshot(o, s));
    const { meta, state } = decodeCheckpoint(bytes);
    const r = restoreState(o, meta, state);
    expect(r.step).toBe(2);
    expect(r.rng.uniform(4)).toEqual(s.rng.uniform(4));
    for (const k of Object.keys(s.opt)) expect(read(r.opt[k])).toEqual(read(s.opt[k]).map(Math.fround));
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 5))).toThrow(/safetensors/);
  });
});

describe('initialising a student from a teacher', () => {
  it('copies the teacher, re-initialises the logvar head and zeroes params the teacher lacks', () => {
    const teacher = createMlp({ ...tiny, numClasses: 3 });
    const student = createMlp({ ...tiny, numClasses: 3, guidanceInput: true });
    const teacherHost = teacher.init(new Rng(5));
    teacherHost['logvar.weight'] = { shape: teacherHost['logvar.weight'].shape, data: teacherHost['logvar.weight'].data.map(() => 3) };
    const s = initState(o, student, defaultTrainConfig('scd'), teacherHost);
    expect(read(s.params['map.1.weight'])).toEqual(Array.from(teacherHost['map.1.weight'].data));
    expect(read(s.params['guidance.weight']).every((v) => v === 0)).toBe(true);
    expect(read(s.params['logvar.weight']).every((v) => v === 0)).toBe(true);
    expect(() => initState(o, createMlp(tiny), defaultTrainConfig('scd'), teacherHost)).toThrow(/tensors this model lacks: class.weight/);
  });
});

describe('dropout in the two sCM passes', () => {
  it('pass 1 and pass 2 draw the same masks, so F_theta - F_minus is zero in value', () => {
    const model = createMlp({ ...tiny, dropout: 0.5 });
    const host = model.init(new Rng(2));
    // A non-zero output layer, so that the masks actually reach F.
    const params = toDevice(o, { ...host, 'out.weight': { shape: [16, 2], data: new Rng(8).normal(32) } });
    const rng = new Rng(3);
    const n = 8;
    const x0 = o.fromArray(rng.normal(2 * n), [n, 2]);
    const z = o.fromArray(rng.normal(2 * n).map((v) => v * 0.5), [n, 2]);
    const t = o.fromArray(rng.uniform(n).map((u) => 0.2 + u), [n]);
    const xt = noisy(o, x0, z, t);
    const settings = { sigmaD: 0.5, r: 1, normalize: true, c: 0.1 };
    const lossWith = (pass2: Rng, pass1: Rng) => {
      const { Fminus, g } = scmTarget(o, model, params, xt, t, velocity(o, x0, z, t), settings, { dropoutRng: pass1 });
      const gs = o.readSync(g);
      const meanG2 = gs.reduce((a, v) => a + v * v, 0) / gs.length;
      const { value } = valueAndGrad(
        o,
        (tape, p) => scmLoss(tape, model, p, tape.lift(xt), tape.lift(t), tape.lift(Fminus), tape.lift(g), 0.5, { dropoutRng: pass2 }),
        params,
      );
      return o.readSync(value)[0] - meanG2;
    };
    const d = new Rng(4);
    expect(Math.abs(lossWith(Rng.fromState(d.state()), Rng.fromState(d.state())))).toBeLessThan(1e-12);
    expect(lossWith(new Rng(5), new Rng(6))).toBeGreaterThan(1e-4);
  });
});
