/**
 * The optimisers are checked against plain float64 loops written here from the papers' pseudo-code,
 * never against their own output; EMA and schedule values are worked out by hand or from the
 * defining formulas.
 */
import { describe, expect, it } from 'vitest';
import {
  adam,
  clipByGlobalNorm,
  constantLr,
  emaDecayHalfLife,
  emaUpdate,
  cosineLr,
  inverseSqrtLr,
  isFiniteScalar,
  lrAt,
  powerEmaDecay,
  powerEmaGamma,
  radam,
  scalarTensors,
  selectTree,
  type AdamOptions,
  type LrSchedule,
  type Optimizer,
} from '../src/optim/index.js';
import type { Shape, TensorOps } from '../src/tensor/ops.js';
import { ReferenceOps, type RefTensor } from '../src/testing/reference.js';
import { uniformStream as rng } from './helpers/random.js';

const ops = new ReferenceOps();
type Tree = Record<string, RefTensor>;
type Arrays = Record<string, number[]>;

const scalar = (v: number): RefTensor => ops.fill([], v);
const read = (x: RefTensor): number[] => Array.from(ops.readSync(x));
const readTree = (tree: Tree): Arrays => Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, read(v)]));

const SHAPES: Record<string, Shape> = {
  'blocks.0.linear.weight': [3, 4],
  'blocks.0.linear.bias': [4],
  'logvar.scale': [],
};

const size = (shape: Shape): number => shape.reduce((p, d) => p * d, 1);

function randomArrays(next: () => number, scale: number): Arrays {
  return Object.fromEntries(
    Object.entries(SHAPES).map(([name, shape]) => [
      name,
      Array.from({ length: size(shape) }, () => (next() * 2 - 1) * scale),
    ]),
  );
}

const toTree = (arrays: Arrays): Tree =>
  Object.fromEntries(Object.entries(arrays).map(([name, data]) => [name, ops.fromArray(data, SHAPES[name])]));

function expectArraysClose(actual: Arrays, expected: Arrays, tol: number, label: string): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    expect(actual[name].length, `${label} ${name}`).toBe(expected[name].length);
    expected[name].forEach((e, i) => {
      const a = actual[name][i];
      expect(Math.abs(a - e), `${label} ${name}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(
        tol * Math.max(1, Math.abs(e)),
      );
    });
  }
}

// ---- float64 references, straight from the papers ------------------------------------------

interface Hyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

interface RefState {
  m: number[];
  v: number[];
}

/** One update of one parameter array in place; returns whether the step used the adaptive rate. */
type RefStep = (p: number[], g: number[], s: RefState, t: number, lr: number, h: Hyper) => boolean;

/**
 * Kingma & Ba 2015, Algorithm 1, with decoupled weight decay (Loshchilov & Hutter 2019, applied as
 * PyTorch's AdamW does: theta -= lr * lambda * theta_{t-1}).
 */
const refAdam: RefStep = (p, g, s, t, lr, { beta1, beta2, eps, weightDecay }) => {
  for (let i = 0; i < p.length; i++) {
    s.m[i] = beta1 * s.m[i] + (1 - beta1) * g[i];
    s.v[i] = beta2 * s.v[i] + (1 - beta2) * g[i] * g[i];
    const mHat = s.m[i] / (1 - beta1 ** t);
    const vHat = s.v[i] / (1 - beta2 ** t);
    p[i] = p[i] - lr * weightDecay * p[i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
  return true;
};

/**
 * Liu et al. 2020, Algorithm 2. Two departures, both those of the authors' code and PyTorch: the
 * adaptive rate is sqrt(1 - beta2^t) / (sqrt(v_t) + eps) (the paper has no eps) and the threshold
 * is rho_t > 5 (the paper says 4). Weight decay decoupled as above.
 */
const refRadam: RefStep = (p, g, s, t, lr, { beta1, beta2, eps, weightDecay }) => {
  const rhoInf = 2 / (1 - beta2) - 1;
  const rho = rhoInf - (2 * t * beta2 ** t) / (1 - beta2 ** t);
  for (let i = 0; i < p.length; i++) {
    s.m[i] = beta1 * s.m[i] + (1 - beta1) * g[i];
    s.v[i] = beta2 * s.v[i] + (1 - beta2) * g[i] * g[i];
    const mHat = s.m[i] / (1 - beta1 ** t);
    let update = mHat;
    if (rho > 5) {
      const l = Math.sqrt(1 - beta2 ** t) / (Math.sqrt(s.v[i]) + eps);
      const r = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
      update = r * mHat * l;
    }
    p[i] = p[i] - lr * weightDecay * p[i] - lr * update;
  }
  return rho > 5;
};

const CONFIGS: { label: string; options: AdamOptions; hyper: Hyper; gradScale: number }[] = [
  { label: 'defaults', options: {}, hyper: { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 }, gradScale: 1 },
  {
    // A large eps next to small gradients makes where eps is added visible.
    label: 'eps 1e-3, weight decay 0.1',
    options: { beta1: 0.8, beta2: 0.95, eps: 1e-3, weightDecay: 0.1 },
    hyper: { beta1: 0.8, beta2: 0.95, eps: 1e-3, weightDecay: 0.1 },
    gradScale: 1e-2,
  },
];

describe.each([
  { make: adam, ref: refAdam },
  { make: radam, ref: refRadam },
])('$make.name against the paper', ({ make, ref }) => {
  it.each(CONFIGS)('matches a float64 loop for 20 steps ($label)', ({ options, hyper, gradScale }) => {
    const opt = make(options);
    const next = rng(7);
    const p0 = randomArrays(next, 1);
    let params = toTree(p0);
    let state = opt.init(ops, params);
    const expected = structuredClone(p0);
    const refState: Record<string, RefState> = Object.fromEntries(
      Object.entries(p0).map(([name, p]) => [name, { m: p.map(() => 0), v: p.map(() => 0) }]),
    );
    const branches = new Set<boolean>();
    for (let t = 1; t <= 20; t++) {
      const lr = 1e-2 * (0.5 + next()); // a different lr every step: it must enter as a scalar
      const g = randomArrays(next, gradScale);
      for (const name of Object.keys(p0)) branches.add(ref(expected[name], g[name], refState[name], t, lr, hyper));
      ({ params, state } = opt.apply(ops, params, toTree(g), state, scalarTensors(ops, opt.scalars(t, lr))));
      expectArraysClose(readTree(params), expected, 1e-9, `step ${t} params`);
    }
    const kind = opt.kind;
    const expectedState: Arrays = {};
    for (const name of Object.keys(p0)) {
      expectedState[`${kind}.m.${name}`] = refState[name].m;
      expectedState[`${kind}.v.${name}`] = refState[name].v;
    }
    expectArraysClose(readTree(state), expectedState, 1e-9, 'state');
    // RAdam's 20 steps must cover both its momentum-SGD start and its rectified phase.
    expect(branches).toEqual(kind === 'radam' ? new Set([false, true]) : new Set([true]));
  });
});

// ---- the optimiser contract ----------------------------------------------------------------

/** ReferenceOps that logs every top-level primitive call, to compare graphs and catch host reads. */
function recordingOps(): { ops: TensorOps<RefTensor>; calls: string[] } {
  const base = new ReferenceOps();
  const calls: string[] = [];
  const proxy = new Proxy(base, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return value.apply(target, args);
      };
    },
  });
  return { ops: proxy, calls };
}

describe('optimiser contract', () => {
  it('names state after the parameters and starts it at zero', () => {
    const params = toTree(randomArrays(rng(1), 1));
    for (const opt of [adam(), radam()]) {
      const state = opt.init(ops, params);
      expect(Object.keys(state).sort()).toEqual(
        Object.keys(SHAPES)
          .flatMap((n) => [`${opt.kind}.m.${n}`, `${opt.kind}.v.${n}`])
          .sort(),
      );
      for (const [name, x] of Object.entries(state)) {
        expect(ops.shape(x)).toEqual(SHAPES[name.slice(`${opt.kind}.m.`.length)]);
        expect(read(x).every((v) => v === 0)).toBe(true);
      }
    }
  });

  it('lists the same scalar names at every step', () => {
    for (const opt of [adam(), radam(), adam({ weightDecay: 0.1 }), radam({ weightDecay: 0.1 })]) {
      const names = Object.keys(opt.scalars(1, 1e-3)).sort();
      for (const t of [2, 5, 6, 100, 10000]) expect(Object.keys(opt.scalars(t, 1e-3)).sort()).toEqual(names);
    }
    expect(Object.keys(radam({ weightDecay: 0.1 }).scalars(1, 1e-3)).sort()).toEqual([
      'radam.adaptive',
      'radam.decay',
      'radam.eps',
      'radam.stepSize',
    ]);
  });

  it('records the same primitive calls at every step and reads nothing back', () => {
    for (const opt of [adam({ weightDecay: 0.1 }), radam({ weightDecay: 0.1 })]) {
      const traces = [1, 3, 20].map((t) => {
        const rec = recordingOps();
        const params = toTree(randomArrays(rng(t), 1));
        const state = opt.init(ops, params);
        const s = scalarTensors(ops, opt.scalars(t, 1e-3));
        opt.apply(rec.ops, params, toTree(randomArrays(rng(t + 1), 1)), state, s);
        return rec.calls;
      });
      expect(traces[1]).toEqual(traces[0]);
      expect(traces[2]).toEqual(traces[0]);
      expect(traces[0].filter((c) => c === 'read' || c === 'readSync')).toEqual([]);
    }
  });

  it('rejects bad hyperparameters by name', () => {
    expect(() => adam({ beta1: 1 })).toThrow(/adam: beta1 must lie in \[0, 1\)/);
    expect(() => radam({ beta2: -0.1 })).toThrow(/radam: beta2/);
    expect(() => adam({ beta2: NaN })).toThrow(/beta2/);
    expect(() => adam({ eps: 0 })).toThrow(/eps must be a positive/);
    expect(() => adam({ weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => adam().scalars(1, 0)).toThrow(/lr must be a positive/);
    expect(() => adam().scalars(1, -1e-3)).toThrow(/lr/);
    expect(() => adam().scalars(1, Infinity)).toThrow(/lr/);
    expect(() => adam().scalars(0, 1e-3)).toThrow(/step must be an integer >= 1/);
    expect(() => radam().scalars(1.5, 1e-3)).toThrow(/step/);
  });

  it('rejects gradients, state and scalars that do not match the parameters', () => {
    const opt = adam();
    const params = toTree(randomArrays(rng(2), 1));
    const state = opt.init(ops, params);
    const s = scalarTensors(ops, opt.scalars(1, 1e-3));
    const grads = toTree(randomArrays(rng(3), 1));
    const { 'blocks.0.linear.bias': _dropped, ...missing } = grads;
    expect(() => opt.apply(ops, params, missing, state, s)).toThrow(/adam: grads is missing 'blocks.0.linear.bias'/);
    const reshaped = { ...grads, 'blocks.0.linear.weight': ops.fill([4, 3], 0) };
    expect(() => opt.apply(ops, params, reshaped, state, s)).toThrow(
      /grads 'blocks.0.linear.weight' has shape \[4, 3\] but params has \[3, 4\]/,
    );
    expect(() => opt.apply(ops, params, { ...grads, extra: scalar(0) }, state, s)).toThrow(
      /grads has 'extra' but params does not/,
    );
    expect(() => opt.apply(ops, params, grads, radam().init(ops, params), s)).toThrow(
      /state is missing 'adam.m.blocks.0.linear.weight'/,
    );
    const { 'adam.stepSize': _gone, ...fewer } = s;
    expect(() => opt.apply(ops, params, grads, state, fewer)).toThrow(/scalar 'adam.stepSize' is missing/);
    expect(() => opt.apply(ops, params, grads, state, { ...s, 'adam.eps': ops.fill([2], 1e-8) })).toThrow(
      /scalar 'adam.eps' must be a scalar tensor/,
    );
  });

  it.each([{ make: adam }, { make: radam }])('$make.name minimises a convex quadratic', ({ make }) => {
    // f(x) = 1/2 sum a_i (x_i - c_i)^2 with curvatures over four decades.
    const a = ops.fromArray([100, 1, 0.1, 0.01], [4]);
    const c = ops.fromArray([1, -2, 3, 0.5], [4]);
    const opt = make();
    const schedule = inverseSqrtLr({ lr: 0.1, refSteps: 100, warmupSteps: 10 });
    let params: Tree = { x: ops.fill([4], 0) };
    let state = opt.init(ops, params);
    for (let t = 1; t <= 5000; t++) {
      const grads = { x: ops.mul(a, ops.sub(params.x, c)) };
      ({ params, state } = opt.apply(ops, params, grads, state, scalarTensors(ops, opt.scalars(t, lrAt(schedule, t)))));
    }
    read(params.x).forEach((v, i) => expect(Math.abs(v - [1, -2, 3, 0.5][i]), `x[${i}] = ${v}`).toBeLessThan(1e-3));
  });
});

// ---- clipping and the non-finite guard -----------------------------------------------------

describe('clipByGlobalNorm', () => {
  // |(3, 4, 12)| = 13.
  const grads = (): Tree => ({ a: ops.fromArray([3, 4], [2]), b: ops.fromArray([12], [1, 1]) });

  it('scales by maxNorm / (norm + 1e-6) above the limit', () => {
    const { grads: g, norm } = clipByGlobalNorm(ops, grads(), 6.5);
    expect(read(norm)).toEqual([13]);
    const s = 6.5 / (13 + 1e-6);
    expect(read(g.a)[0]).toBeCloseTo(3 * s, 14);
    expect(read(g.a)[1]).toBeCloseTo(4 * s, 14);
    expect(read(g.b)[0]).toBeCloseTo(12 * s, 14);
    expect(ops.shape(g.b)).toEqual([1, 1]);
  });

  it('leaves gradients under the limit unchanged and takes the limit as a tensor', () => {
    const { grads: g } = clipByGlobalNorm(ops, grads(), scalar(13.5));
    expect(read(g.a)).toEqual([3, 4]);
    expect(read(g.b)).toEqual([12]);
  });

  it('keeps zero gradients zero', () => {
    const { grads: g, norm } = clipByGlobalNorm(ops, { z: ops.fill([3], 0) }, 1);
    expect(read(norm)).toEqual([0]);
    expect(read(g.z)).toEqual([0, 0, 0]);
  });

  it('rejects a bad limit and an empty record', () => {
    expect(() => clipByGlobalNorm(ops, grads(), 0)).toThrow(/maxNorm must be a positive/);
    expect(() => clipByGlobalNorm(ops, grads(), ops.fill([2], 1))).toThrow(/maxNorm must be a scalar tensor/);
    expect(() => clipByGlobalNorm(ops, {}, 1)).toThrow(/no gradients/);
  });
});

describe('non-finite guard', () => {
  it('isFiniteScalar is 1 exactly for finite values', () => {
    const x = ops.fromArray([0, -3.5e300, 1e-310, NaN, Infinity, -Infinity], [6]);
    expect(read(isFiniteScalar(ops, x))).toEqual([1, 1, 1, 0, 0, 0]);
  });

  /** A guarded step as the training loop composes it: clip, flag, update, keep or revert. */
  function guardedStep(opt: Optimizer, params: Tree, state: Tree, grads: Tree, t: number) {
    const clipped = clipByGlobalNorm(ops, grads, 1);
    const ok = isFiniteScalar(ops, clipped.norm);
    const next = opt.apply(ops, params, clipped.grads, state, scalarTensors(ops, opt.scalars(t, 1e-2)));
    return {
      ok: read(ok)[0],
      params: selectTree(ops, ok, next.params, params),
      state: selectTree(ops, ok, next.state, state),
    };
  }

  it.each([NaN, Infinity, -Infinity])('keeps params and state when a gradient is %s', (bad) => {
    for (const opt of [adam(), radam()]) {
      const params = toTree(randomArrays(rng(4), 1));
      // A few finite steps first so the state being protected is not all zeros.
      let step = { params, state: opt.init(ops, params) };
      for (let t = 1; t <= 7; t++)
        step = guardedStep(opt, step.params, step.state, toTree(randomArrays(rng(10 + t), 1)), t);
      const g = randomArrays(rng(5), 1);
      g['blocks.0.linear.weight'][5] = bad;
      const out = guardedStep(opt, step.params, step.state, toTree(g), 8);
      expect(out.ok).toBe(0);
      expect(readTree(out.params)).toEqual(readTree(step.params));
      expect(readTree(out.state)).toEqual(readTree(step.state));
    }
  });

  it('applies a finite step', () => {
    const opt = adam();
    const params = toTree(randomArrays(rng(4), 1));
    const state = opt.init(ops, params);
    const out = guardedStep(opt, params, state, toTree(randomArrays(rng(5), 1)), 1);
    expect(out.ok).toBe(1);
    expect(readTree(out.params)).not.toEqual(readTree(params));
  });

  it('selectTree rejects records that do not match', () => {
    const a = { w: ops.fill([2], 1) };
    expect(() => selectTree(ops, scalar(1), a, { w: ops.fill([3], 1) })).toThrow(
      /selectTree: b 'w' has shape \[3\] but a has \[2\]/,
    );
    expect(() => selectTree(ops, scalar(1), a, { v: ops.fill([2], 1) })).toThrow(/b is missing 'w'/);
    expect(() => selectTree(ops, ops.fill([2], 1), a, a)).toThrow(/flag must be a scalar tensor/);
  });
});

// ---- EMA -----------------------------------------------------------------------------------

describe('EMA', () => {
  /** sigma_rel of the profile t^gamma, EDM2 eq. 3, evaluated directly. */
  const sigmaRel = (g: number): number => Math.sqrt((g + 1) / ((g + 2) ** 2 * (g + 3)));

  it('solves gamma from sigma_rel', () => {
    for (const s of [0.01, 0.05, 0.1, 0.2, 0.28]) {
      expect(sigmaRel(powerEmaGamma(s)) / s - 1).toBeCloseTo(0, 13);
    }
    // EDM2 quotes these pairs (its Fig. 3 / Sec. 3.1): the narrower profile needs the larger gamma.
    expect(powerEmaGamma(0.05)).toBeCloseTo(16.97, 2);
    expect(powerEmaGamma(0.1)).toBeCloseTo(6.94, 2);
  });

  it('rejects sigma_rel outside (0, 1/sqrt(12)]', () => {
    expect(() => powerEmaGamma(0)).toThrow(/sigmaRel must lie in/);
    expect(() => powerEmaGamma(0.3)).toThrow(/sigmaRel/);
    expect(() => powerEmaDecay(0, 0.05)).toThrow(/step must be an integer/);
    expect(() => emaDecayHalfLife(0)).toThrow(/halfLifeSteps must be a positive/);
  });

  it('power EMA decay is (1 - 1/t)^(gamma + 1), 0 at the first step', () => {
    const gamma = powerEmaGamma(0.05);
    expect(powerEmaDecay(1, 0.05)).toBe(0);
    for (const t of [2, 10, 1000]) expect(powerEmaDecay(t, 0.05)).toBeCloseTo((1 - 1 / t) ** (gamma + 1), 15);
  });

  it('power EMA with gamma = 0 is the running mean', () => {
    // gamma = 0 gives decay 1 - 1/t, which weighs all steps equally.
    const values = [4, -2, 7, 1, 0.5, 3];
    let ema: Tree = { w: scalar(123) };
    values.forEach((v, i) => {
      ema = emaUpdate(ops, ema, { w: scalar(v) }, scalar(powerEmaDecay(i + 1, sigmaRel(0))));
      const mean = values.slice(0, i + 1).reduce((p, q) => p + q, 0) / (i + 1);
      expect(read(ema.w)[0]).toBeCloseTo(mean, 12);
    });
  });

  it('EMA of a constant sequence converges to it', () => {
    const target = { w: ops.fromArray([2, -1, 0.25], [3]) };
    let half: Tree = { w: ops.fill([3], 0) };
    let power: Tree = { w: ops.fill([3], 0) };
    const decay = scalar(emaDecayHalfLife(20));
    for (let t = 1; t <= 1000; t++) {
      half = emaUpdate(ops, half, target, decay);
      power = emaUpdate(ops, power, target, scalar(powerEmaDecay(t, 0.05)));
    }
    read(half.w).forEach((v, i) => expect(v).toBeCloseTo([2, -1, 0.25][i], 12));
    read(power.w).forEach((v, i) => expect(v).toBeCloseTo([2, -1, 0.25][i], 12));
  });

  it('half-life EMA halves the gap every halfLife steps', () => {
    const h = 10;
    const decay = scalar(emaDecayHalfLife(h));
    let ema: Tree = { w: ops.fill([], 0) };
    const one = { w: ops.fill([], 1) };
    for (let t = 1; t <= 2 * h; t++) {
      ema = emaUpdate(ops, ema, one, decay);
      if (t === h) expect(read(ema.w)[0]).toBeCloseTo(0.5, 14);
    }
    expect(read(ema.w)[0]).toBeCloseTo(0.75, 14);
  });

  it('emaUpdate rejects mismatched records and a non-scalar decay', () => {
    const ema = { w: ops.fill([2], 0) };
    expect(() => emaUpdate(ops, ema, { w: ops.fill([3], 0) }, scalar(0.9))).toThrow(
      /emaUpdate: params 'w' has shape \[3\] but ema has \[2\]/,
    );
    expect(() => emaUpdate(ops, ema, ema, ops.fill([2], 0.9))).toThrow(/decay must be a scalar tensor/);
  });
});

// ---- learning-rate schedules ---------------------------------------------------------------

describe('lr schedules', () => {
  it('constant', () => {
    const s = constantLr(3e-4);
    expect(s).toEqual({ kind: 'constant', lr: 3e-4 });
    for (const t of [1, 50, 1e6]) expect(lrAt(s, t)).toBe(3e-4);
  });

  it('inverse square root with warm-up', () => {
    const s = inverseSqrtLr({ lr: 1e-2, refSteps: 100, warmupSteps: 10 });
    expect(lrAt(s, 1)).toBeCloseTo(1e-3, 15); // warm-up 1/10
    expect(lrAt(s, 5)).toBeCloseTo(5e-3, 15); // warm-up 5/10
    expect(lrAt(s, 10)).toBeCloseTo(1e-2, 15);
    expect(lrAt(s, 100)).toBeCloseTo(1e-2, 15);
    expect(lrAt(s, 400)).toBeCloseTo(5e-3, 15); // 1e-2 / sqrt(4)
    expect(lrAt(s, 10000)).toBeCloseTo(1e-3, 15); // 1e-2 / sqrt(100)
  });

  it('inverse square root without warm-up', () => {
    const s = inverseSqrtLr({ lr: 2e-3, refSteps: 50 });
    expect(s).toEqual({ kind: 'inverse-sqrt', lr: 2e-3, refSteps: 50, warmupSteps: 0 });
    expect(lrAt(s, 1)).toBe(2e-3);
    expect(lrAt(s, 450)).toBeCloseTo(2e-3 / 3, 15);
  });

  it('cosine decay from lr at step 1 to just above 0 at decaySteps, with warm-up', () => {
    const s = cosineLr({ lr: 4e-3, decaySteps: 1000, warmupSteps: 10 });
    expect(s).toEqual({ kind: 'cosine', lr: 4e-3, decaySteps: 1000, warmupSteps: 10 });
    // (1 + cos(pi (t - 1) / 1000)) / 2 by hand: t = 5 (warm-up 1/2), 251 (cos = 1/sqrt 2), 501, 1000, after.
    expect(lrAt(s, 5)).toBeCloseTo((0.5 * 4e-3 * (1 + Math.cos(Math.PI / 250))) / 2, 15);
    expect(lrAt(s, 251)).toBeCloseTo((4e-3 * (1 + Math.SQRT1_2)) / 2, 15);
    expect(lrAt(s, 501)).toBeCloseTo(2e-3, 15);
    const last = (4e-3 * (1 + Math.cos((Math.PI * 999) / 1000))) / 2;
    expect(lrAt(s, 1000)).toBeCloseTo(last, 18);
    expect(lrAt(s, 1000)).toBeGreaterThan(0);
    expect(lrAt(s, 5000)).toBe(lrAt(s, 1000));
    expect(lrAt(cosineLr({ lr: 1e-3, decaySteps: 4 }), 1)).toBe(1e-3);
    expect(lrAt(cosineLr({ lr: 1e-3, decaySteps: 4 }), 2)).toBeCloseTo((1e-3 * (1 + Math.SQRT1_2)) / 2, 15);
  });

  it('rejects bad schedules and steps by name', () => {
    expect(() => constantLr(0)).toThrow(/lr schedule 'constant': lr must be a positive/);
    expect(() => inverseSqrtLr({ lr: 1e-3, refSteps: 0 })).toThrow(/refSteps/);
    expect(() => inverseSqrtLr({ lr: 1e-3, refSteps: 10, warmupSteps: -1 })).toThrow(/warmupSteps/);
    expect(() => lrAt(constantLr(1e-3), 0)).toThrow(/step must be an integer >= 1/);
    expect(() => lrAt({ kind: 'linear', lr: 1 } as unknown as LrSchedule, 1)).toThrow(
      /unknown lr schedule kind 'linear'/,
    );
    expect(() => lrAt({ kind: 'cosine', lr: 1 } as unknown as LrSchedule, 1)).toThrow(/decaySteps/);
    expect(() => cosineLr({ lr: 1e-3, decaySteps: 0 })).toThrow(/lr schedule 'cosine': decaySteps/);
    expect(() => cosineLr({ lr: 1e-3, decaySteps: 10, warmupSteps: -1 })).toThrow(/warmupSteps/);
    expect(() => lrAt({ kind: 'inverse-sqrt', lr: 1e-3 } as unknown as LrSchedule, 1)).toThrow(/refSteps/);
  });
});
