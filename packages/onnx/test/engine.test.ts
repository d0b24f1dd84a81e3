/**
 * One driver for every backend: the same train() and sample() calls on core's eager engine (tfjs cpu)
 * and on the ONNX Runtime engine give the same weights and samples to float32 tolerance.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMlp,
  defaultTrainConfig,
  eagerEngine,
  sample,
  toy2dSource,
  train,
  type Engine,
  type HostParams,
  type TensorOps,
} from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import { createOnnxEngine } from '../src/index.js';
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
