/**
 * A guided sCD student must learn its guidance input in a short run at a consistency learning
 * rate. Its guidance embedding starts at zero (the teacher has none); before the guidance gain it
 * barely moved in such a run, so the student drew the same samples at every scale.
 */
import { describe, expect, it } from 'vitest';
import { createMlp, defaultTrainConfig, guidedField, initState, makeOptimizer, oneHotLabels, Rng, tMaxFor, toy2dSource, trainStep, type HostParams } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const tiny = { width: 16, blocks: 1, embChannels: 8, normGroups: 4, logvarChannels: 8, numClasses: 8 };
const SIGMA_D = 0.5;
const STEPS = 60;
const PROBES = 64;
const T_MAX = tMaxFor(SIGMA_D);

/** A random conditional teacher with a non-zero output layer, so its classes really differ. */
function teacherWeights(): HostParams {
  const host = createMlp(tiny).init(new Rng(5));
  const out = host['out.weight'];
  return { ...host, 'out.weight': { shape: out.shape, data: new Rng(6).normal(out.data.length).map((v) => 0.5 * v) } };
}

function meanDistance(a: Float64Array | Float32Array, b: Float64Array | Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 2) sum += Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]);
  return sum / (a.length / 2);
}

/**
 * How far apart one-step samples at guidance 1 and 2 are after a short sCD run, as a fraction of
 * how far apart the teacher's guided fields put them at t_max: sin(t) sigma_d |F_cfg(2) - F_cfg(1)|.
 */
function learnedGuidance(guidanceGain: number): number {
  const teacherModel = createMlp(tiny);
  const teacherHost = teacherWeights();
  const model = createMlp({ ...tiny, guidanceInput: true, guidanceGain });
  const config = defaultTrainConfig('scd', { batch: 32, steps: STEPS, lr: { kind: 'constant', lr: 5e-4 }, tangentWarmup: 10, seed: 1 });
  const teacher = { model: teacherModel, params: Object.fromEntries(Object.entries(teacherHost).map(([k, t]) => [k, o.fromArray(t.data, t.shape)])) };
  const ctx = { model, config, data: toy2dSource('checkerboard', { sigmaD: SIGMA_D, conditional: true }), optimizer: makeOptimizer(config), teacher };
  let state = initState(o, model, config, teacherHost);
  for (let i = 0; i < STEPS; i++) state = trainStep(o, ctx, state).state;

  const rng = new Rng(9);
  const z = o.fromArray(rng.normal(2 * PROBES).map((v) => v * SIGMA_D), [PROBES, 2]);
  const labels = o.fromArray(oneHotLabels(rng.randint(PROBES, 8), 8), [PROBES, 9]);
  const t = o.fill([PROBES], T_MAX);
  const sample = (g: number) => {
    const F = model.F(o, state.params, o.mul(z, o.fill([], 1 / SIGMA_D)), t, { labels, guidance: o.fill([PROBES], g) });
    return o.readSync(o.sub(o.mul(z, o.fill([], Math.cos(T_MAX))), o.mul(F, o.fill([], Math.sin(T_MAX) * SIGMA_D))));
  };
  const teacherField = (g: number) => o.readSync(o.mul(guidedField(o, teacherModel, teacher.params, SIGMA_D, labels, g)(z, t), o.fill([], Math.sin(T_MAX))));
  return meanDistance(sample(1), sample(2)) / meanDistance(teacherField(1), teacherField(2));
}

describe('a guided sCD student', () => {
  it('learns to tell guidance 1 from 2 in a short run at a consistency learning rate', () => {
    const withGain = learnedGuidance(createMlp({}).config.guidanceGain);
    const withoutGain = learnedGuidance(1);
    // Measured: 0.077 against 0.006 without the gain.
    expect(withGain).toBeGreaterThan(0.05);
    // The gain is what makes the difference: without it the embedding has hardly moved.
    expect(withoutGain).toBeLessThan(withGain / 4);
  });
});
