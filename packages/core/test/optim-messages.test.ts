/**
 * What the optimiser modules promise besides their arithmetic: each bad input is named by the
 * function that rejects it, the per-step scalar names (a traced step's inputs) are exactly those
 * the configuration needs, and decay rates may be 0.
 */
import { describe, expect, it } from 'vitest';
import { adam, clipByGlobalNorm, constantLr, emaDecayHalfLife, emaUpdate, inverseSqrtLr, lrAt, powerEmaDecay, radam, scalarTensors, selectTree } from '../src/index.js';
import { ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();

describe('optimiser inputs and scalar names', () => {
  it('without weight decay the step takes no decay scalar', () => {
    expect(Object.keys(adam().scalars(3, 1e-3)).sort()).toEqual(['adam.eps', 'adam.stepSize']);
    expect(Object.keys(radam({ weightDecay: 0 }).scalars(3, 1e-3)).sort()).toEqual(['radam.adaptive', 'radam.eps', 'radam.stepSize']);
  });

  it('decay rates of 0 are allowed (beta1 = 0 is RMSprop-like Adam)', () => {
    const opt = adam({ beta1: 0, beta2: 0 });
    // With both betas 0 and no bias correction left, a step moves each weight by lr * g / (|g| + eps).
    const params = { w: o.fromArray([1, -2], [2]) };
    const step = opt.apply(o, params, { w: o.fromArray([0.5, -4], [2]) }, opt.init(o, params), scalarTensors(o, opt.scalars(1, 0.1)));
    const got = Array.from(o.readSync(step.params.w));
    [1 - (0.1 * 0.5) / (0.5 + 1e-8), -2 + (0.1 * 4) / (4 + 1e-8)].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
  });

  it('a state record of the other optimiser is named after init', () => {
    const params = { w: o.fill([2], 1) };
    const opt = adam();
    expect(() => opt.apply(o, params, params, { 'adam.m.w': o.fill([2], 0), 'adam.v.w': o.fill([3], 0) }, scalarTensors(o, opt.scalars(1, 1e-3)))).toThrow(
      "adam: state 'adam.v.w' has shape [3] but adam.init(params) has [2]",
    );
  });
});

describe('error messages name the function and the value', () => {
  it.each([
    ['clipByGlobalNorm: maxNorm must be a positive finite number, got -1', () => clipByGlobalNorm(o, { g: o.fill([2], 1) }, -1)],
    ['clipByGlobalNorm: maxNorm must be a scalar tensor, got shape [2]', () => clipByGlobalNorm(o, { g: o.fill([2], 1) }, o.fill([2], 1))],
    ['emaDecayHalfLife: halfLifeSteps must be a positive finite number, got 0', () => emaDecayHalfLife(0)],
    ['powerEmaDecay: step must be an integer >= 1, got 0', () => powerEmaDecay(0, 0.05)],
    ['emaUpdate: decay must be a scalar tensor, got shape [2]', () => emaUpdate(o, { w: o.fill([2], 0) }, { w: o.fill([2], 0) }, o.fill([2], 0.5))],
    ['selectTree: flag must be a scalar tensor, got shape [2]', () => selectTree(o, o.fill([2], 1), {}, {})],
    ['lrAt: step must be an integer >= 1, got 1.5', () => lrAt(constantLr(1e-3), 1.5)],
    ["lr schedule 'inverse-sqrt': refSteps must be a positive finite number, got -2", () => inverseSqrtLr({ lr: 1e-3, refSteps: -2 })],
    ["lr schedule 'inverse-sqrt': lr must be a positive finite number, got 0", () => inverseSqrtLr({ lr: 0, refSteps: 2 })],
    ['adam: beta1 must lie in [0, 1), got -0.5', () => adam({ beta1: -0.5 })],
  ] as const)('%s', (message, fn) => {
    expect(fn).toThrow(message);
  });
});
