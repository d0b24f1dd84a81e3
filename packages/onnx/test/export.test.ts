import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consistencySample,
  consistencyTimes,
  edmGrid,
  guidedField,
  modelField,
  oneHotLabels,
  Rng,
  sampleToy2d,
  standardize,
  toDevice,
  unstandardize,
  type Field,
  type HostParams,
  type Model,
  type TensorOps,
} from '@scm/core';
import { createTfjsOps } from '@scm/tfjs';
import { checkModel, exportDenoiser, exportSampler, OnnxSampler, type DataTransform, type InputData } from '../src/index.js';
import { ErrorLog, relativeError, runtimes } from './helpers.js';
import { SIGMA_D, smallMlp } from './models.js';

/** Two batch sizes, both run on one exported (dynamic-batch) model. */
const BATCHES = [3, 5];
const TOL = 1e-4;
const errors = new ErrorLog();
afterAll(() => errors.print('exported models vs tfjs cpu (max relative error):'));

let tf: TensorOps<unknown>;
beforeAll(async () => {
  tf = (await createTfjsOps({ backend: 'cpu' })) as TensorOps<unknown>;
});

interface Conditions {
  readonly labels?: Int32Array;
  readonly guidance?: Float32Array;
}

/** Class labels including the null class (-1), and guidance scales around 1. */
function conditions(model: Model, n: number, rng: Rng): Conditions {
  const labels = model.numClasses > 0 ? Int32Array.from(rng.randint(n, model.numClasses + 1), (l) => l - 1) : undefined;
  const guidance = model.numClasses > 0 || model.guidanceInput ? rng.uniform(n).map((u) => 1 + 2 * u) : undefined;
  return { ...(labels ? { labels } : {}), ...(guidance ? { guidance } : {}) };
}

function feeds(c: Conditions, rest: Record<string, InputData>): Record<string, InputData> {
  return { ...rest, ...(c.labels ? { label: c.labels } : {}), ...(c.guidance ? { guidance: c.guidance } : {}) };
}

/** The eager field the exported sampler must match: core's own composition on tfjs. */
function eagerField<T>(o: TensorOps<T>, model: Model, p: Record<string, T>, c: Conditions, n: number): Field<T> {
  const labels = c.labels ? o.fromArray(oneHotLabels(c.labels, model.numClasses), [n, model.numClasses + 1]) : undefined;
  const guidance = c.guidance ? o.fromArray(c.guidance, [n]) : undefined;
  if (model.guidanceInput) return modelField(o, model, p, SIGMA_D, { ...(labels ? { labels } : {}), guidance });
  if (labels) return guidedField(o, model, p, SIGMA_D, labels, guidance!);
  return modelField(o, model, p, SIGMA_D);
}

async function eagerSample(model: Model, params: HostParams, steps: 1 | 2, noise: Float32Array[], c: Conditions, n: number): Promise<Float32Array> {
  const o = tf;
  const out = o.tidy(() => {
    const field = eagerField(o, model, toDevice(o, params), c, n);
    const z = noise.map((v) => o.fromArray(v, [n, ...model.sampleShape]));
    return consistencySample(o, field, z, consistencyTimes(steps, SIGMA_D), SIGMA_D);
  });
  const data = Float32Array.from(await o.read(out));
  o.dispose(out);
  return data;
}

async function eagerDenoiser(model: Model, params: HostParams, x: Float32Array, t: Float32Array, c: Conditions, n: number): Promise<Float32Array> {
  const o = tf;
  const out = o.tidy(() => {
    const labels = c.labels ? o.fromArray(oneHotLabels(c.labels, model.numClasses), [n, model.numClasses + 1]) : undefined;
    const guidance = c.guidance && model.guidanceInput ? o.fromArray(c.guidance, [n]) : undefined;
    return model.F(o, toDevice(o, params), o.fromArray(x, [n, ...model.sampleShape]), o.fromArray(t, [n]), {
      ...(labels ? { labels } : {}),
      ...(guidance ? { guidance } : {}),
    });
  });
  const data = Float32Array.from(await o.read(out));
  o.dispose(out);
  return data;
}

const variants: { name: string; overrides: Parameters<typeof smallMlp>[0] }[] = [
  { name: 'unconditional MLP', overrides: {} },
  { name: 'class-conditional MLP (labels, classifier-free guidance)', overrides: { numClasses: 3 } },
  { name: 'MLP with labels and a guidance input', overrides: { numClasses: 3, guidanceInput: true } },
];

for (const [runtimeName, ort] of Object.entries(runtimes)) {
  describe(`exported models on ${runtimeName} match the eager tfjs path at batch sizes ${BATCHES.join(' and ')}`, () => {
    for (const { name, overrides } of variants) {
      const { model, params } = smallMlp(overrides);
      const dim = model.sampleShape[0];

      for (const steps of [1, 2] as const) {
        it(`${steps}-step sampler, ${name}`, async () => {
          const bytes = exportSampler(model, params, { steps, sigmaD: SIGMA_D });
          checkModel(bytes);
          const sampler = await OnnxSampler.create(ort, bytes);
          expect(sampler.outputNames).toEqual(['x']);
          const rng = new Rng(100 + steps);
          for (const n of BATCHES) {
            const noise = Array.from({ length: steps }, () => rng.normal(n * dim));
            const c = conditions(model, n, rng);
            const got = await sampler.run(feeds(c, Object.fromEntries(noise.map((z, i) => [`z${i}`, z]))), n);
            const want = await eagerSample(model, params, steps, noise, c, n);
            expect(errors.record(`${runtimeName} ${steps}-step sampler`, relativeError(got, want))).toBeLessThan(TOL);
          }
          await sampler.release();
        });
      }

      it(`denoiser, ${name}`, async () => {
        const bytes = exportDenoiser(model, params, { sigmaD: SIGMA_D });
        checkModel(bytes);
        const denoiser = await OnnxSampler.create(ort, bytes);
        expect(denoiser.outputNames).toEqual(['F']);
        const rng = new Rng(200);
        for (const n of BATCHES) {
          const x = rng.normal(n * dim);
          const t = rng.uniform(n).map((u) => 0.05 + 1.5 * u);
          // The denoiser is F alone: guidance is an input only of models that take it.
          const { guidance, ...rest } = conditions(model, n, rng);
          const c = model.guidanceInput ? { ...rest, guidance } : rest;
          const got = await denoiser.run(feeds(c, { x, t }), n);
          const want = await eagerDenoiser(model, params, x, t, c, n);
          expect(errors.record(`${runtimeName} denoiser`, relativeError(got, want))).toBeLessThan(TOL);
        }
        await denoiser.release();
      });
    }
  });
}

describe('sampler options', () => {
  const ort = runtimes['onnxruntime-node'];

  it('dataTransform maps the samples to data coordinates in the graph', async () => {
    const { model, params } = smallMlp();
    const stats: DataTransform = standardize(sampleToy2d('8gaussians', 1000, new Rng(3)).points, SIGMA_D);
    const plain = await OnnxSampler.create(ort, exportSampler(model, params, { steps: 2, sigmaD: SIGMA_D }));
    const mappedBytes = exportSampler(model, params, { steps: 2, sigmaD: SIGMA_D, dataTransform: stats });
    checkModel(mappedBytes);
    const mapped = await OnnxSampler.create(ort, mappedBytes);
    const rng = new Rng(5);
    const inputs = { z0: rng.normal(8), z1: rng.normal(8) };
    const want = unstandardize(await plain.run(inputs, 4), standardize(sampleToy2d('8gaussians', 1000, new Rng(3)).points, SIGMA_D));
    expect(errors.record('dataTransform', relativeError(await mapped.run(inputs, 4), want))).toBeLessThan(TOL);
  });

  it('a fixed guidance scale of 1 samples the conditional model alone, with no guidance input', async () => {
    const { model, params } = smallMlp({ numClasses: 3 });
    const bytes = exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D, guidance: 1 });
    checkModel(bytes);
    const sampler = await OnnxSampler.create(ort, bytes);
    expect(sampler.inputNames).toEqual(['z0', 'label']);
    const n = 4;
    const rng = new Rng(6);
    const z0 = rng.normal(n * 2);
    const labels = Int32Array.from([0, 1, 2, -1]);
    const got = await sampler.run({ z0, label: labels }, n);
    // Guidance 1 is the conditional branch: CFG with a scale of 1 per example gives the same samples.
    const want = await eagerSample(model, params, 1, [z0], { labels, guidance: new Float32Array(n).fill(1) }, n);
    expect(errors.record('fixed guidance', relativeError(got, want))).toBeLessThan(TOL);
  });

  it('N explicit times, and a static batch', async () => {
    const { model, params } = smallMlp();
    const bytes = exportSampler(model, params, { steps: [1.5, 1.0, 0.4], sigmaD: SIGMA_D, batch: 2 });
    checkModel(bytes);
    const sampler = await OnnxSampler.create(ort, bytes);
    expect(sampler.inputNames).toEqual(['z0', 'z1', 'z2']);
    expect(JSON.parse(sampler.metadata['scm.times'])).toEqual([1.5, 1.0, 0.4]);
    const rng = new Rng(8);
    const noise = [rng.normal(4), rng.normal(4), rng.normal(4)];
    const got = await sampler.run({ z0: noise[0], z1: noise[1], z2: noise[2] }, 2);
    const o = tf;
    const want = o.tidy(() =>
      o.readSync(consistencySample(o, modelField(o, model, toDevice(o, params), SIGMA_D), noise.map((z) => o.fromArray(z, [2, 2])), [1.5, 1.0, 0.4], SIGMA_D)),
    );
    expect(relativeError(got, want)).toBeLessThan(TOL);
    await expect(sampler.run({ z0: noise[0], z1: noise[1], z2: noise[2] }, 3)).rejects.toThrow(/exported for a fixed batch of 2, got batch 3/);
  });

  it('a teacher sampler: one noise input, the grid in the metadata, and steps or nfe only where they belong', async () => {
    const { model, params } = smallMlp();
    const bytes = exportSampler(model, params, { sampler: 'heun', nfe: 5, sigmaD: SIGMA_D });
    checkModel(bytes);
    const sampler = await OnnxSampler.create(ort, bytes);
    expect(sampler.inputNames).toEqual(['z0']);
    expect(sampler.metadata['scm.sampler']).toBe('heun');
    // Heun spends 2 evaluations per interval but the last: 5 NFE walk 3 intervals of the EDM grid.
    expect(JSON.parse(sampler.metadata['scm.grid'])).toEqual(Array.from(edmGrid(3, SIGMA_D)));
    expect(sampler.metadata['scm.times']).toBeUndefined();
    expect(() => exportSampler(model, params, { sampler: 'ddim', steps: 2, sigmaD: SIGMA_D })).toThrow('exportSampler: steps are for consistency sampling; ddim takes nfe');
    expect(() => exportSampler(model, params, { nfe: 4, sigmaD: SIGMA_D })).toThrow('exportSampler: nfe is for teacher samplers; consistency sampling takes steps');
  });

  it('an unconditional model rejects a guidance scale', () => {
    const { model, params } = smallMlp();
    expect(() => exportSampler(model, params, { steps: 1, sigmaD: SIGMA_D, guidance: 2 })).toThrow(/unconditional and takes no guidance/);
  });

  it('arguments are checked before tracing, in one sentence naming the argument', () => {
    const { model, params } = smallMlp();
    const call = (f: typeof exportSampler | typeof exportDenoiser, ...args: unknown[]) => () => (f as (...a: unknown[]) => unknown)(...args);
    expect(call(exportSampler, null, {}, {})).toThrow('exportSampler: model must be a Model (as createModel from @scm/core returns), got null');
    expect(call(exportDenoiser, model, null, { sigmaD: SIGMA_D })).toThrow('exportDenoiser: params must be a record of named host tensors (HostParams), got null');
    expect(call(exportSampler, model, params, {})).toThrow("exportSampler: options.sigmaD must be the data's std, a finite number > 0, got undefined");
    expect(call(exportSampler, model, params, undefined)).toThrow('exportSampler: options must be an object with sigmaD, got undefined');
  });
});
