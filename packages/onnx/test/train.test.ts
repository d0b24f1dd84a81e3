import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointMeta,
  createMlp,
  decodeCheckpoint,
  defaultTrainConfig,
  encodeCheckpoint,
  generate,
  initState,
  makeOptimizer,
  restoreState,
  Rng,
  runLoop,
  sampleToy2d,
  slicedWasserstein2,
  snapshot,
  toDevice,
  toy2dSource,
  trainLoop,
  trainStep,
  type DataSource,
  type HostParams,
  type HostTensor,
  type LogEntry,
  type MlpConfig,
  type Model,
  type StepContext,
  type TensorOps,
  type TrainConfig,
  type TrainState,
} from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import { checkModel, compileTrainStep, OnnxTrainer, type HostTrainState } from '../src/index.js';
import { ErrorLog, relativeError, runtimes } from './helpers.js';
import { SIGMA_D, smallMlp } from './models.js';

const ort = runtimes['onnxruntime-node'];
const sessionOptions = { intraOpNumThreads: os.availableParallelism() };
const TOL = 1e-4;
const STEPS = 5;
const errors = new ErrorLog();
afterAll(() => errors.print(`compiled training steps on onnxruntime-node vs the eager tfjs cpu step, after ${STEPS} steps (max relative error):`));

let tf: TensorOps<unknown>;
beforeAll(async () => {
  tf = (await createTfjsOps({ backend: 'cpu' })) as TensorOps<unknown>;
});

/** The eager state and the same state on the host, with a stream of its own (steps advance a stream in place). */
async function hostCopy(o: TensorOps<unknown>, s: TrainState<unknown>): Promise<HostTrainState> {
  return { ...s, ...(await snapshot(o, s)), rng: Rng.fromState(s.rng.state()) };
}

interface Case {
  readonly name: string;
  readonly mode: TrainConfig['mode'];
  readonly data: DataSource;
  readonly overrides?: Partial<TrainConfig>;
}

const checkerboard = toy2dSource('checkerboard', { sigmaD: SIGMA_D });
const cases: Case[] = [
  { name: 'teacher', mode: 'teacher', data: checkerboard },
  { name: 'class-conditional teacher with label dropout', mode: 'teacher', data: toy2dSource('8gaussians', { sigmaD: SIGMA_D, conditional: true }) },
  { name: 'sCT', mode: 'sct', data: toy2dSource('moons', { sigmaD: SIGMA_D }) },
  { name: 'sCD', mode: 'scd', data: checkerboard },
  { name: 'sCD with classifier-free guidance', mode: 'scd', data: toy2dSource('8gaussians', { sigmaD: SIGMA_D, conditional: true }) },
  // The difference cancels float32 rounding of about 1e-7 / h in each run: a coarse h keeps that inside TOL.
  { name: 'sCD with one tangent norm per batch and a finite-difference JVP', mode: 'scd', data: checkerboard, overrides: { tangentNormOver: 'batch', jvpStep: 0.05 } },
];

/** A run of `c` on a small MLP with random non-zero weights everywhere, so every layer gets a gradient. */
function setup(c: Case, overrides: Partial<TrainConfig> = {}) {
  const guided = c.mode === 'scd' && c.data.numClasses > 0;
  const config = defaultTrainConfig(c.mode, { batch: 32, tangentWarmup: 3, labelDropout: 0.2, ...overrides });
  const { model, params } = smallMlp({ numClasses: c.data.numClasses, guidanceInput: guided }, 1);
  const teacher = c.mode === 'scd' ? smallMlp({ numClasses: c.data.numClasses }, 2) : undefined;
  const base = { model, config, data: c.data, optimizer: makeOptimizer(config) };
  const host: StepContext<HostTensor> = teacher ? { ...base, teacher } : base;
  const eager: StepContext<unknown> = teacher ? { ...base, teacher: { model: teacher.model, params: toDevice(tf, teacher.params) } } : base;
  return { host, eager, params };
}

/** Worst relative error over every tensor of a state group. */
function groupError(actual: HostParams, expected: HostParams): number {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  return Math.max(...Object.keys(expected).map((k) => relativeError(actual[k].data, expected[k].data)));
}

describe('a compiled training step on onnxruntime-node', () => {
  for (const c of cases) {
    it(`${c.name}: ${STEPS} steps give the eager step's params, EMA and optimiser state`, { timeout: 180_000 }, async () => {
      const { host, eager, params } = setup(c, c.overrides);
      let s = initState(tf, host.model, host.config, params);
      const trainer = await OnnxTrainer.create(ort, host, await hostCopy(tf, s), { sessionOptions });
      for (let i = 0; i < STEPS; i++) {
        const out = trainStep(tf, eager, s);
        s = out.state;
        const got = await trainer.step();
        expect(got.applied).toBe(true);
        expect(errors.record(`${c.name}: loss`, relativeError([got.loss, got.gradNorm], [tf.readSync(out.loss)[0], tf.readSync(out.gradNorm)[0]]))).toBeLessThan(TOL);
        tf.dispose([out.loss, out.gradNorm, out.applied]);
      }
      const want = await snapshot(tf, s);
      const got = trainer.snapshot();
      for (const g of ['params', 'ema', 'opt'] as const) expect(errors.record(`${c.name}: ${g}`, groupError(got[g], want[g]))).toBeLessThan(TOL);
      // Both drew the same random numbers in the same order.
      expect(got.step).toBe(STEPS);
      expect(got.rng.state()).toEqual(s.rng.state());
      await trainer.release();
    });
  }

  it('the step model passes the structural checker and declares the state, batch and step scalars', () => {
    const { host } = setup(cases[4]);
    const compiled = compileTrainStep(host, { batch: 8 });
    checkModel(compiled.model);
    const names = compiled.inputNames;
    expect(names.filter((n) => !/^(params|opt|ema|scalar)\./.test(n))).toEqual(['x0', 'z', 't', 'labels', 'guidance']);
    expect(names.filter((n) => n.startsWith('scalar.'))).toEqual(['scalar.adam.stepSize', 'scalar.adam.eps', 'scalar.ema.decay', 'scalar.scm.r']);
    expect(compiled.inputShapes['labels']).toEqual([8, 9]);
    expect(compiled.outputNames.slice(-3)).toEqual(['loss', 'gradNorm', 'applied']);
    expect(compiled.outputNames.length - 3).toBe(names.filter((n) => /^(params|opt|ema)\./.test(n)).length);
  });

  it('a non-finite batch is skipped in the graph: applied 0, params and optimiser state unchanged', async () => {
    const poisoned: DataSource = { ...checkerboard, sample: (rng, n) => ({ x: checkerboard.sample(rng, n).x.map(() => NaN) }) };
    const { host, params } = setup({ name: 'poisoned', mode: 'teacher', data: poisoned });
    const initial = await hostCopy(tf, initState(tf, host.model, host.config, params));
    const trainer = await OnnxTrainer.create(ort, host, initial, { sessionOptions });
    for (let i = 0; i < 2; i++) expect((await trainer.step()).applied).toBe(false);
    const after = trainer.snapshot();
    expect(after.skipped).toBe(2);
    expect(after.step).toBe(2);
    for (const g of ['params', 'opt'] as const) {
      for (const [k, t] of Object.entries(initial[g])) expect(after[g][k].data).toEqual(t.data);
    }
    await trainer.release();
  });

  it('dropout is rejected: its masks are drawn on the host, and a compiled step would bake one in', () => {
    const config = defaultTrainConfig('sct', { batch: 8 });
    const model = createMlp({ width: 16, blocks: 1, embChannels: 8, normGroups: 4, logvarChannels: 8, dropout: 0.1 });
    const ctx = { model, config, data: checkerboard, optimizer: makeOptimizer(config) };
    expect(() => compileTrainStep(ctx, { batch: 8 })).toThrow(/dropout.*drawn on the host/);
  });

  it('an initial state that does not fit the model is rejected by name', async () => {
    const { host, params } = setup(cases[0]);
    const initial = await hostCopy(tf, initState(tf, host.model, host.config, params));
    const { 'out.bias': _, ...rest } = initial.params;
    await expect(OnnxTrainer.create(ort, host, { ...initial, params: rest })).rejects.toThrow(/lacks params\.out\.bias/);
    const wrong = { ...initial.ema, 'out.bias': { shape: [3], data: new Float32Array(3) } };
    await expect(OnnxTrainer.create(ort, host, { ...initial, ema: wrong })).rejects.toThrow(/"ema\.out\.bias" has shape \[3\], the model needs \[2\]/);
  });

  it('a snapshot round-trips through core checkpoints into an eager state with the same tensors', async () => {
    const { host, params } = setup(cases[3]);
    const trainer = await OnnxTrainer.create(ort, host, await hostCopy(tf, initState(tf, host.model, host.config, params)), { sessionOptions });
    for (let i = 0; i < 3; i++) await trainer.step();
    const snap = trainer.snapshot();
    const info = { model: host.model.config as MlpConfig, train: host.config, data: { name: 'checkerboard', conditional: false } };
    const { meta, state } = decodeCheckpoint(encodeCheckpoint(checkpointMeta(info, snap), snap));
    const restored = restoreState(tf, meta, state);
    expect([restored.step, restored.skipped]).toEqual([3, 0]);
    expect(restored.rng.state()).toEqual(trainer.state.rng.state());
    for (const g of ['params', 'ema', 'opt'] as const) {
      for (const [k, t] of Object.entries(snap[g])) expect(Float32Array.from(tf.readSync(restored[g][k]))).toEqual(t.data);
    }
    await trainer.release();
  });
});

describe('a short compiled training run', () => {
  const STEPS_RUN = 300;
  const data = toy2dSource('8gaussians', { sigmaD: SIGMA_D });
  const reference = sampleToy2d('8gaussians', 2000, new Rng(99)).points;

  /** Sliced W2 to fresh data of 2000 teacher samples (Heun, 19 evaluations) from the EMA weights. */
  async function quality(o: TensorOps<unknown>, model: Model, ema: HostParams): Promise<number> {
    const x = await generate(o, model, toDevice(o, ema), SIGMA_D, { sampler: 'heun', nfe: 19, n: 2000, seed: 5 });
    return slicedWasserstein2(data.toData(x), reference, 2, { projections: 128, seed: 1 });
  }

  it(`${STEPS_RUN} teacher steps through the generic loop reach the eager run's quality`, { timeout: 300_000 }, async () => {
    // tfjs wasm for the eager run: the same arithmetic contract as cpu, and several times faster.
    const wasm = (await createTfjsOps({ backend: 'wasm' })) as TensorOps<unknown>;
    const config = defaultTrainConfig('teacher', { batch: 64, steps: STEPS_RUN, lr: { kind: 'constant', lr: 5e-3 }, seed: 3 });
    const model = createMlp({ width: 32, blocks: 2, embChannels: 16, normGroups: 4, logvarChannels: 16 });
    const ctx = { model, config, data, optimizer: makeOptimizer(config) };
    const s0 = initState(wasm, model, config);
    const initial = await hostCopy(wasm, s0);
    const loop = (logs: LogEntry[], checkpoints: number[]) => ({
      until: STEPS_RUN,
      logEvery: 50,
      checkpointEvery: 100,
      onLog: (e: LogEntry) => logs.push(e),
      onCheckpoint: async (s: { step: number }) => void checkpoints.push(s.step),
    });

    const eagerLogs: LogEntry[] = [];
    const eagerCheckpoints: number[] = [];
    const eager = await trainLoop(wasm, ctx, s0, loop(eagerLogs, eagerCheckpoints));
    const trainer = await OnnxTrainer.create(ort, ctx, initial, { sessionOptions });
    const logs: LogEntry[] = [];
    const checkpoints: number[] = [];
    const final = await runLoop(trainer, loop(logs, checkpoints));
    expect(final.step).toBe(STEPS_RUN);
    expect(checkpoints).toEqual([100, 200, 300]);
    expect(checkpoints).toEqual(eagerCheckpoints);
    expect(logs.map((e) => [e.step, e.lr, e.skipped])).toEqual(eagerLogs.map((e) => [e.step, e.lr, e.skipped]));
    const curve = relativeError(
      logs.map((e) => e.loss),
      eagerLogs.map((e) => e.loss),
    );

    const before = await quality(wasm, model, initial.ema);
    const want = await quality(wasm, model, (await snapshot(wasm, eager)).ema);
    const got = await quality(wasm, model, trainer.snapshot().ema);
    console.log(
      `${STEPS_RUN} teacher steps on 8gaussians: sliced W2 untrained ${before.toFixed(4)}, eager (tfjs wasm) ${want.toFixed(4)}, ` +
        `compiled (onnxruntime-node) ${got.toFixed(4)}; loss curves (every 50 steps) differ by at most ${curve.toExponential(2)} relative`,
    );
    expect(want).toBeLessThan(0.5 * before);
    expect(got).toBeLessThan(1.5 * want);
    expect(curve).toBeLessThan(0.05);
    await trainer.release();
  });
});
