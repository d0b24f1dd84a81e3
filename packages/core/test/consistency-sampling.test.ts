/**
 * Consistency sampling and generate() against host float64 recomputations with an affine network
 * F = a x + b t (+ label and guidance terms), so every time, noise and conditioning input shows in
 * the output. The noise is drawn from the same seeded stream the code under test uses.
 */
import { describe, expect, it } from 'vitest';
import { appliesCfg, consistencySample, consistencyTimes, generate, modelField, Rng, T_MID, tMaxFor, type Model } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';
import { functionModel } from './helpers/models.js';

const o = new ReferenceOps();
const sigmaD = 0.5;
const [a, b] = [0.6, -0.4];
/** Host F of `affine` for x_t (unscaled). */
const hostF = (xt: number, t: number) => a * (xt / sigmaD) + b * t;

interface Options {
  readonly numClasses?: number;
  readonly guidanceInput?: boolean;
}
/** F = a x + b t + (label code) + 0.25 guidance; label k adds k + 1, the null label adds 10. */
function affine({ numClasses = 0, guidanceInput = false }: Options = {}): Model {
  const F: Model['F'] = (d, _p, x, t, cond) => {
    const n = d.shape(t)[0];
    let out = d.add(d.mul(x, d.fill([], a)), d.mul(d.reshape(t, [n, 1]), d.fill([], b)));
    if (cond?.labels) {
      const code = Array.from({ length: numClasses + 1 }, (_, k) => (k === numClasses ? 10 : k + 1));
      out = d.add(out, d.matmul(cond.labels, d.fromArray(code, [numClasses + 1, 1])));
    }
    if (cond?.guidance) out = d.add(out, d.mul(d.reshape(cond.guidance, [n, 1]), d.fill([], 0.25)));
    return out;
  };
  return functionModel(F, { sampleShape: [2], numClasses, guidanceInput });
}

/** Host consistency sampling of one coordinate: f(x, t) = cos t x - sin t sigma_d F(x, t). */
function hostSample(noise: number[], times: readonly number[], extra = 0): number {
  const f = (x: number, t: number) => Math.cos(t) * x - Math.sin(t) * sigmaD * (hostF(x, t) + extra);
  let x0 = f(sigmaD * noise[0], times[0]);
  for (let i = 1; i < times.length; i++) x0 = f(Math.cos(times[i]) * x0 + Math.sin(times[i]) * sigmaD * noise[i], times[i]);
  return x0;
}

describe('consistency times', () => {
  it('1, 2 and N steps: t_max, then T_MID = 1.1 down to T_MID / (N - 1)', () => {
    const tMax = Math.atan(80 / sigmaD);
    expect(consistencyTimes(1, sigmaD)).toEqual([tMax]);
    expect(consistencyTimes(2, sigmaD)).toEqual([tMax, 1.1]);
    const four = consistencyTimes(4, sigmaD);
    expect(four[0]).toBe(tMax);
    [1.1, (1.1 * 2) / 3, 1.1 / 3].forEach((t, i) => expect(four[i + 1]).toBeCloseTo(t, 14));
    expect(T_MID).toBe(1.1);
  });

  it('a moved intermediate time starts the schedule after t_max for 2 and N steps', () => {
    const tMax = Math.atan(80 / sigmaD);
    expect(consistencyTimes(1, sigmaD, 0.3)).toEqual([tMax]);
    expect(consistencyTimes(2, sigmaD, 0.3)).toEqual([tMax, 0.3]);
    const three = consistencyTimes(3, sigmaD, 0.6);
    expect(three[0]).toBe(tMax);
    [0.6, 0.3].forEach((t, i) => expect(three[i + 1]).toBeCloseTo(t, 14));
  });

  it.each([0, -0.1, Math.atan(80 / sigmaD), 1.6, NaN])('rejects the intermediate time %d', (tMid) => {
    expect(() => consistencyTimes(2, sigmaD, tMid)).toThrow(`the intermediate time must lie in (0, t_max = ${Math.atan(80 / sigmaD).toFixed(4)}), got ${tMid}`);
  });

  it('an explicit decreasing list within (0, pi/2] is kept as given (pi/2 included)', () => {
    const times = [Math.PI / 2, 0.8, 1e-3];
    const got = consistencyTimes(times, sigmaD);
    expect(got).toEqual(times);
    expect(got).not.toBe(times);
  });

  it.each([[[]], [[1, 0]], [[1.6, 1]], [[1, 1]], [[0.5, 0.8]]])('rejects the times %j', (times) => {
    expect(() => consistencyTimes(times, sigmaD)).toThrow(`consistency times must decrease strictly within (0, pi/2], got [${times.join(', ')}]`);
  });

  it.each([0, -1, 2.5])('rejects %d steps', (steps) => {
    expect(() => consistencyTimes(steps, sigmaD)).toThrow(`steps must be a positive integer, got ${steps}`);
  });
});

describe('consistencySample', () => {
  const noise = [
    [0.3, -1.2],
    [0.8, 0.5],
    [-0.7, 1.4],
  ];
  const times = [1.5, 1.0, 0.4];
  const field = modelField(o, affine(), {}, sigmaD);

  it('denoises sigma_d z_0 at t_0, then renoises with z_i and denoises at each later t_i', () => {
    const got = o.readSync(consistencySample(o, field, noise.map((z) => o.fromArray(z, [1, 2])), times, sigmaD));
    [0, 1].forEach((k) => expect(got[k]).toBeCloseTo(hostSample(noise.map((z) => z[k]), times), 12));
  });

  it('needs one noise tensor per step', () => {
    expect(() => consistencySample(o, field, [o.fromArray([0, 0], [1, 2])], times, sigmaD)).toThrow('one noise tensor per step: 1 for 3 steps');
  });
});

describe('generate()', () => {
  const n = 5;
  const seed = 7;
  /** The standard-normal noise generate() draws: per chunk of `batch`, `steps` arrays of chunk * 2. */
  function chunks(batch: number, steps: number): number[][][] {
    const rng = new Rng(seed);
    const out: number[][][] = [];
    for (let start = 0; start < n; start += batch) {
      const m = Math.min(batch, n - start);
      const draws = Array.from({ length: steps }, () => Array.from(rng.normal(m * 2)));
      for (let i = 0; i < m * 2; i++) out.push([draws.map((d) => d[i])]);
    }
    return out;
  }

  it('2-step consistency samples in chunks of 2 match the host sampler on the same noise', async () => {
    const got = await generate(o, affine(), {}, sigmaD, { sampler: 'consistency', steps: 2, n, seed, batch: 2 });
    const expected = chunks(2, 2).map(([z]) => hostSample(z, [tMaxFor(sigmaD), 1.1]));
    expect(got).toHaveLength(n * 2);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  /** `model` with every network call's batch size recorded. */
  function recording(model: Model, calls: number[]): Model {
    return {
      ...model,
      F: (d, p, xs, tt, cond) => {
        calls.push(d.shape(xs)[0]);
        return model.F(d, p, xs, tt, cond);
      },
    };
  }

  it('splits n into whole chunks of `batch` and no empty chunk after them; one sample is enough', async () => {
    const calls: number[] = [];
    await generate(o, recording(affine(), calls), {}, sigmaD, { sampler: 'consistency', n: 4, seed, batch: 2 });
    expect(calls).toEqual([2, 2]);
    expect(await generate(o, affine(), {}, sigmaD, { sampler: 'consistency', n: 1, seed })).toHaveLength(2);
  });

  it('Heun and DPM-Solver-2 spend their NFE on the EDM grid (default 35); a teacher ignores `steps`', async () => {
    for (const [sampler, nfe, expected] of [
      ['heun', undefined, 35],
      ['dpm2', 5, 5],
      ['heun', 3, 3],
    ] as const) {
      const calls: number[] = [];
      await generate(o, recording(affine(), calls), {}, sigmaD, { sampler, nfe, n: 2, seed });
      expect(calls, `${sampler} ${nfe}`).toHaveLength(expected);
    }
    const plain = await generate(o, affine(), {}, sigmaD, { sampler: 'ddim', nfe: 2, n, seed, batch: 2 });
    expect(await generate(o, affine(), {}, sigmaD, { sampler: 'ddim', nfe: 2, n, seed, batch: 2, steps: 3 })).toEqual(plain);
  });

  it('guidance 1 evaluates a conditional teacher once per step, at the batch size; other scales twice', async () => {
    const labels = Int32Array.from([0, 1]);
    for (const [guidance, batch] of [
      [1, 2],
      [2, 4],
    ] as const) {
      const calls: number[] = [];
      await generate(o, recording(affine({ numClasses: 2 }), calls), {}, sigmaD, { sampler: 'consistency', n: 2, seed, labels, guidance });
      expect(calls).toEqual([batch]);
    }
  });

  it('DDIM spends its NFE on a uniform grid from t_max (default 8)', async () => {
    const tMax = tMaxFor(sigmaD);
    const ddim = (z: number, steps: number) => {
      let x = sigmaD * z;
      for (let i = 0; i < steps; i++) {
        const [s, t] = [tMax * (1 - i / steps), tMax * (1 - (i + 1) / steps)];
        x = Math.cos(s - t) * x - Math.sin(s - t) * sigmaD * hostF(x, s);
      }
      return x;
    };
    for (const nfe of [3, undefined]) {
      const got = await generate(o, affine(), {}, sigmaD, { sampler: 'ddim', nfe, n, seed });
      const expected = chunks(n, 1).map(([z]) => ddim(z[0], nfe ?? 8));
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    }
  });

  it('a teacher applies classifier-free guidance F_null + s (F_y - F_null); guidance 1 evaluates the label alone', async () => {
    const labels = Int32Array.from([0, 1, -1, 1, 0]);
    const extra = (label: number, s: number) => {
      const y = label < 0 ? 10 : label + 1;
      return 10 + s * (y - 10);
    };
    for (const guidance of [2.5, 1]) {
      const got = await generate(o, affine({ numClasses: 2 }), {}, sigmaD, { sampler: 'consistency', steps: 1, n, seed, labels, guidance });
      const expected = chunks(n, 1).map(([z], i) => hostSample(z, [tMaxFor(sigmaD)], extra(labels[i >> 1], guidance)));
      got.forEach((v, i) => expect(v, `guidance ${guidance}, element ${i}`).toBeCloseTo(expected[i], 5));
    }
  });

  it('a model with a guidance input gets the scale as an input instead (default 1)', async () => {
    const labels = Int32Array.from([1, 0, 1, 1, -1]);
    for (const guidance of [3, undefined]) {
      const got = await generate(o, affine({ numClasses: 2, guidanceInput: true }), {}, sigmaD, { sampler: 'consistency', n, seed, labels, guidance });
      const expected = chunks(n, 1).map(([z], i) => {
        const label = labels[i >> 1];
        return hostSample(z, [tMaxFor(sigmaD)], (label < 0 ? 10 : label + 1) + 0.25 * (guidance ?? 1));
      });
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    }
  });

  it('appliesCfg: class-conditional, no guidance input, a scale other than 1', () => {
    expect(appliesCfg(affine({ numClasses: 2 }), 2)).toBe(true);
    expect(appliesCfg(affine({ numClasses: 2 }), 1)).toBe(false);
    expect(appliesCfg(affine({ numClasses: 2 }), undefined)).toBe(false);
    expect(appliesCfg(affine({ numClasses: 0 }), 2)).toBe(false);
    expect(appliesCfg(affine({ numClasses: 2, guidanceInput: true }), 2)).toBe(false);
  });

  it('rejects a bad sample count, mismatched labels and a conditional model without labels', async () => {
    await expect(generate(o, affine(), {}, sigmaD, { sampler: 'consistency', n: 0, seed })).rejects.toThrow('positive integer, got 0');
    await expect(generate(o, affine(), {}, sigmaD, { sampler: 'consistency', n: 2.5, seed })).rejects.toThrow('positive integer, got 2.5');
    await expect(generate(o, affine({ numClasses: 2 }), {}, sigmaD, { sampler: 'consistency', n: 3, seed, labels: Int32Array.from([0, 1]) })).rejects.toThrow(
      'got 2 labels for 3 samples',
    );
    await expect(generate(o, affine({ numClasses: 2 }), {}, sigmaD, { sampler: 'consistency', n: 3, seed })).rejects.toThrow('class-conditional: pass labels');
  });
});
