/**
 * A compiled U-Net step against the eager one: convolutions, group norms, attention, pooling and
 * upsampling with their JVPs and gradients, which the optimised graph runs channels first with
 * fused and re-expressed operators (see core's optimizeGraph and the conv lowering), and which the
 * MLP cases of train.test.ts never reach. Also profiles a step (OnnxTrainer.endProfiling).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUnet,
  defaultTrainConfig,
  initState,
  makeOptimizer,
  normalInit,
  Rng,
  snapshot,
  toDevice,
  trainStep,
  type DataSource,
  type HostParams,
  type HostTensor,
  type StepContext,
  type TensorOps,
  type UnetConfig,
} from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import { tinyUnetConfig } from '@scm/core/testing';
import { OnnxTrainer } from '../src/index.js';
import { relativeError, runtimes } from './helpers.js';

const ort = runtimes['onnxruntime-node'];
const sessionOptions = { intraOpNumThreads: os.availableParallelism() };
const STEPS = 2;
let tf: TensorOps<unknown>;
beforeAll(async () => {
  tf = (await createTfjsOps({ backend: 'cpu' })) as TensorOps<unknown>;
});

const unet: Partial<UnetConfig> = { ...tinyUnetConfig, guidanceInput: false };

/** Every tensor random and non-zero, so every layer (zero-initialised output conv included) gets a gradient. */
function randomParams(config: Partial<UnetConfig>, seed: number) {
  const model = createUnet(config);
  const rng = new Rng(seed);
  const params: HostParams = Object.fromEntries(
    Object.entries(model.init(rng)).map(([name, t]) => [name, normalInit(rng, t.shape, t.shape.slice(0, -1).reduce((a, b) => a * b, 1) || 1, name.endsWith('.bias') ? 0.1 : 1)]),
  );
  return { model, params };
}

const images: DataSource = {
  name: 'random images',
  sampleShape: [8, 8, 2],
  numClasses: 3,
  sample: (rng, n) => ({ x: rng.normal(n * 128).map((z) => 0.5 * z), labels: Int32Array.from(rng.uniform(n), (u) => Math.floor(3 * u)) }),
  toData: (x) => x,
  fromData: (x) => x,
};

describe('a compiled U-Net sCD step (classifier-free guidance, attention) on onnxruntime-node', () => {
  const profileDir = mkdtempSync(join(os.tmpdir(), 'scm-profile-'));
  afterAll(() => rmSync(profileDir, { recursive: true, force: true }));

  it(`${STEPS} steps give the eager step's params, EMA and optimiser state`, { timeout: 300_000 }, async () => {
    const config = defaultTrainConfig('scd', { batch: 4, tangentWarmup: 2, guidanceMax: 2 });
    const student = randomParams({ ...unet, guidanceInput: true }, 1);
    const teacher = randomParams(unet, 2);
    const base = { model: student.model, config, data: images, optimizer: makeOptimizer(config) };
    const host: StepContext<HostTensor> = { ...base, teacher };
    const eager: StepContext<unknown> = { ...base, teacher: { model: teacher.model, params: toDevice(tf, teacher.params) } };
    let s = initState(tf, student.model, config, student.params);
    const initial = { ...s, ...(await snapshot(tf, s)), rng: Rng.fromState(s.rng.state()) };
    const trainer = await OnnxTrainer.create(ort, host, initial, {
      sessionOptions: { ...sessionOptions, enableProfiling: true, profileFilePrefix: join(profileDir, 'step') },
    });
    for (let i = 0; i < STEPS; i++) {
      const out = trainStep(tf, eager, s);
      s = out.state;
      const got = await trainer.step();
      expect(got.applied).toBe(true);
      expect(relativeError([got.loss], [tf.readSync(out.loss)[0]])).toBeLessThan(1e-4);
      tf.dispose([out.loss, out.gradNorm, out.applied]);
    }
    const want = await snapshot(tf, s);
    const got = trainer.snapshot();
    for (const g of ['params', 'ema', 'opt'] as const) {
      for (const name of Object.keys(want[g])) expect(relativeError(got[g][name].data, want[g][name].data), `${g}.${name}`).toBeLessThan(1e-3);
    }
    trainer.endProfiling();
    await trainer.release();
    const events = JSON.parse(readFileSync(join(profileDir, readdirSync(profileDir)[0]), 'utf8')) as { cat?: string; args?: { op_name?: string } }[];
    const ops = new Set(events.filter((e) => e.cat === 'Node').map((e) => e.args?.op_name));
    // The optimised graph's operators, as the profiler saw them run.
    for (const op of ['Conv', 'InstanceNormalization', 'MatMul']) expect(ops.has(op), op).toBe(true);
  });
});
