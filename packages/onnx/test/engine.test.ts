/**
 * One driver for every backend: the same train() and sample() calls on core's eager engine (tfjs cpu)
 * and on the ONNX Runtime engine give the same weights and samples to float32 tolerance.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMlp,
  defaultTrainConfig,
  eagerEngine,
  encodeModelWeights,
  loadPipeline,
  MODEL_FORMAT,
  type ModelSpec,
  sample,
  toy2dSource,
  train,
  type Engine,
  type HostParams,
  type TensorOps,
} from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import { createOnnxEngine, exportDenoiser, exportSampler, OnnxSampler } from '../src/index.js';
import { relativeError, runtimes } from './helpers.js';
import { SIGMA_D } from './models.js';

const TOL = 1e-4;
const data = toy2dSource('moons', { sigmaD: SIGMA_D, conditional: true });
const model = createMlp({ sigmaD: SIGMA_D, width: 16, blocks: 1, numClasses: data.numClasses, guidanceInput: true });
const teacherModel = createMlp({ sigmaD: SIGMA_D, width: 16, blocks: 1, numClasses: data.numClasses });
const labels = Int32Array.from({ length: 40 }, (_, i) => i % data.numClasses);

/** What a user writes: a teacher, an sCD student from its EMA (guidance as an input), 2-step samples. */
async function driver(engine: Engine) {
  const tc = defaultTrainConfig('teacher', { steps: 3, batch: 16, seed: 1 });
  const teacher = await train(engine, { model: teacherModel, data, config: tc });
  const sc = defaultTrainConfig('scd', { steps: 3, batch: 16, seed: 2, tangentWarmup: 2, guidanceMax: 2 });
  const student = await train(engine, { model, data, config: sc, teacher: { model: teacherModel, params: teacher.ema }, init: teacher.ema });
  const x = await sample(engine, model, student.ema, SIGMA_D, { sampler: 'consistency', steps: 2, n: 40, seed: 3, labels, guidance: 1.5 });
  return { teacher, student, x };
}

/**
 * The error of all tensors together, relative to the weights' overall scale: a bias that starts at
 * zero carries float32 noise that is large next to itself but not next to the weights around it.
 */
function worstError(a: HostParams, b: HostParams): number {
  const names = Object.keys(a).sort();
  expect(Object.keys(b).sort()).toEqual(names);
  const flat = (p: HostParams) => Float32Array.from(names.flatMap((k) => Array.from(p[k].data)));
  return relativeError(flat(a), flat(b));
}

let eager: Awaited<ReturnType<typeof driver>>;
let compiled: Awaited<ReturnType<typeof driver>>;
beforeAll(async () => {
  const tf = (await createTfjsOps({ backend: 'cpu' })) as TensorOps<unknown>;
  eager = await driver(eagerEngine(tf));
  compiled = await driver(await createOnnxEngine({ ort: runtimes['onnxruntime-node'] }));
});

describe('train() and sample() on the eager and the ONNX Runtime engine', () => {
  it('train the same teacher and student', () => {
    expect(compiled.teacher.step).toBe(3);
    expect(compiled.student.step).toBe(3);
    expect(worstError(compiled.teacher.params, eager.teacher.params)).toBeLessThan(TOL);
    expect(worstError(compiled.student.params, eager.student.params)).toBeLessThan(TOL);
    expect(worstError(compiled.student.ema, eager.student.ema)).toBeLessThan(TOL);
    // The student moved away from the teacher's weights it started at.
    expect(relativeError(compiled.student.params['out.weight'].data, compiled.teacher.ema['out.weight'].data)).toBeGreaterThan(1e-3);
  });

  it('draw the same samples for a seed, labels and guidance', () => {
    expect(compiled.x.length).toBe(40 * 2);
    expect(relativeError(compiled.x, eager.x)).toBeLessThan(TOL);
  });

  it('reports progress after each batch, as the eager engine does', async () => {
    const seen: number[][] = [];
    for (const engine of [eagerEngine((await createTfjsOps({ backend: 'cpu' })) as TensorOps<unknown>), await createOnnxEngine({ ort: runtimes['onnxruntime-node'] })]) {
      const done: number[] = [];
      await sample(engine, model, compiled.student.ema, SIGMA_D, { sampler: 'consistency', steps: 1, n: 5, batch: 2, seed: 0, labels: labels.subarray(0, 5), onBatch: (k) => done.push(k) });
      seen.push(done);
    }
    expect(seen).toEqual([[2, 4, 5], [2, 4, 5]]);
  });

  it.each([
    ['ddim', 4, 1.5],
    ['heun', 7, 1.5],
    ['dpm2', 5, 1],
  ] as const)('draw the same teacher samples with %s at %i NFE, guidance %s, in batches', async (sampler, nfe, guidance) => {
    const engines = [eagerEngine((await createTfjsOps({ backend: 'cpu' })) as TensorOps<unknown>), await createOnnxEngine({ ort: runtimes['onnxruntime-node'] })];
    const [a, b] = await Promise.all(
      engines.map((engine) => sample(engine, teacherModel, compiled.teacher.ema, SIGMA_D, { sampler, nfe, n: 30, batch: 12, seed: 4, labels: labels.subarray(0, 30), guidance })),
    );
    expect(b.length).toBe(30 * 2);
    expect(relativeError(b, a)).toBeLessThan(TOL);
    // Guidance is applied: the unguided samples differ.
    if (guidance !== 1) {
      const plain = await sample(engines[1], teacherModel, compiled.teacher.ema, SIGMA_D, { sampler, nfe, n: 30, batch: 12, seed: 4, labels: labels.subarray(0, 30) });
      expect(relativeError(plain, b)).toBeGreaterThan(1e-3);
    }
  });
});

describe('a pipeline on a model that ships its samplers', () => {
  /** The trained student as a model package's folder: spec, weights, and its exported 1- and 2-step samplers. */
  function modelFolder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'scm-onnx-pipeline-'));
    const spec: ModelSpec = {
      format: MODEL_FORMAT,
      name: 'moons',
      run: { model: model.config, train: defaultTrainConfig('scd', { sigmaD: SIGMA_D, guidanceMax: 2 }), data: { name: 'moons', conditional: true }, step: 3 },
      defaultGuidance: 1.5,
      weights: 'model.safetensors',
      samplers: { '1': 'one.onnx', '2': 'two.onnx' },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
    writeFileSync(join(dir, 'model.safetensors'), encodeModelWeights(spec, compiled.student.ema));
    for (const [steps, file] of [[1, 'one.onnx'], [2, 'two.onnx']] as const) {
      writeFileSync(join(dir, file), exportSampler(model, compiled.student.ema, { steps, sigmaD: SIGMA_D, dataTransform: data.affine!, guidanceRange: [1, 2] }));
    }
    return dir;
  }

  it('draws on ONNX Runtime through the shipped graphs what the eager engine draws from the weights', async () => {
    const dir = modelFolder();
    try {
      const onnx = await createOnnxEngine({ ort: runtimes['onnxruntime-node'] });
      let opened = 0;
      const counting: Engine = { ...onnx, openSampler: (g) => (opened++, onnx.openSampler!(g)) };
      const tf = eagerEngine((await createTfjsOps({ backend: 'cpu' })) as TensorOps<unknown>);
      const [fast, slow] = await Promise.all([loadPipeline(dir, { engine: counting }), loadPipeline(dir, { engine: tf })]);
      for (const steps of [1, 2]) {
        const opts = { n: 150, steps, seed: 9, labels: Int32Array.from({ length: 150 }, (_, i) => i % 2), batch: 64 };
        const [a, b] = [await fast.generate(opts), await slow.generate(opts)];
        expect(a.shape).toEqual([150, 2]);
        expect(relativeError(a.data, b.data)).toBeLessThan(TOL);
        // The default guidance (1.5) reached the graph: at 1 its samples differ (a little, after 3 training steps).
        const plain = await fast.generate({ ...opts, guidance: 1 });
        expect(relativeError(plain.data, a.data)).toBeGreaterThan(1e-6);
        expect(relativeError(plain.data, (await slow.generate({ ...opts, guidance: 1 })).data)).toBeLessThan(TOL);
      }
      expect(opened).toBe(2);
      await fast.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('OnnxSampler.sample refuses what is not a sampler and bad counts, naming them', async () => {
    const ort = runtimes['onnxruntime-node'];
    const sampler = await OnnxSampler.create(ort, exportSampler(model, compiled.student.ema, { steps: 1, sigmaD: SIGMA_D, guidanceRange: [1, 2] }));
    await expect(sampler.sample({ n: 0, seed: 0 })).rejects.toThrow(/n must be a positive integer/);
    await expect(sampler.sample({ n: 2, seed: 0.5 })).rejects.toThrow(/seed must be a non-negative integer/);
    await expect(sampler.sample({ n: 2, seed: 0, labels: new Int32Array(3) })).rejects.toThrow(/3 labels for 2 samples/);
    await expect(sampler.sample({ n: 2, seed: 0, labels: Int32Array.of(0, 5) })).rejects.toThrow(/label 5 is outside/);
    await expect(sampler.sample({ n: 2, seed: 0, labels: Int32Array.of(0, 1), guidance: 3 })).rejects.toThrow(/scale 3 \(example 0\) is not within \[1, 2\]/);
    const denoiser = await OnnxSampler.create(ort, exportDenoiser(model, compiled.student.ema, { sigmaD: SIGMA_D }));
    await expect(denoiser.sample({ n: 2, seed: 0 })).rejects.toThrow(/no noise inputs z0, z1, .* it is not a sampler/);
    await Promise.all([sampler.release(), denoiser.release()]);
  });
});
