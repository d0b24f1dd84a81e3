/**
 * Exponential moving averages of the weights, sampled from instead of the raw weights (Lu & Song 2024).
 * Decays are host numbers that change with the step, so `emaUpdate` takes the decay as a scalar
 * tensor and a traced step records one graph for every step.
 */
import type { TensorOps } from '../tensor/ops.js';
import { checkPositive, checkScalar, checkStep, checkTree, mapTree, shapesOf } from './validate.js';

/** The decay that halves the distance to a constant target every `halfLifeSteps` updates. */
export function emaDecayHalfLife(halfLifeSteps: number): number {
  checkPositive('emaDecayHalfLife', 'halfLifeSteps', halfLifeSteps);
  return 0.5 ** (1 / halfLifeSteps);
}

/** EDM2's relative standard deviation of the power-function profile t^gamma (Karras et al. 2024, eq. 3). */
function sigmaRelOf(gamma: number): number {
  return Math.sqrt((gamma + 1) / ((gamma + 2) ** 2 * (gamma + 3)));
}

/** sigma_rel at gamma = 0, the flattest profile that still weights later weights no less. */
const MAX_SIGMA_REL = sigmaRelOf(0);

/**
 * The power-EMA exponent gamma whose profile has relative width `sigmaRel` (e.g. 0.05 -> ~16.97,
 * 0.10 -> ~6.94). sigma_rel decreases monotonically in gamma >= 0, so bisection finds the root to
 * the last bit without the cubic's branch bookkeeping.
 */
export function powerEmaGamma(sigmaRel: number): number {
  if (!(sigmaRel > 0 && sigmaRel <= MAX_SIGMA_REL)) {
    throw new RangeError(
      `powerEmaGamma: sigmaRel must lie in (0, ${MAX_SIGMA_REL.toFixed(4)}] (gamma >= 0), got ${sigmaRel}`,
    );
  }
  // Invariant: sigmaRelOf(lo) >= sigmaRel >= sigmaRelOf(hi).
  let lo = 0;
  let hi = 1;
  while (sigmaRelOf(hi) > sigmaRel) hi *= 2;
  for (;;) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) return hi;
    if (sigmaRelOf(mid) > sigmaRel) lo = mid;
    else hi = mid;
  }
}

/**
 * EDM2's power-EMA decay after optimiser step `step` (1-based): (1 - 1/t)^(gamma + 1). It is 0 at
 * step 1, so the average starts at the weights themselves whatever it was initialised to.
 */
export function powerEmaDecay(step: number, sigmaRel: number): number {
  checkStep('powerEmaDecay', step);
  return (1 - 1 / step) ** (powerEmaGamma(sigmaRel) + 1);
}

/** decay * ema + (1 - decay) * params, name by name; `decay` is a scalar tensor. */
export function emaUpdate<T>(
  o: TensorOps<T>,
  ema: Record<string, T>,
  params: Record<string, T>,
  decay: T,
): Record<string, T> {
  checkScalar(o, 'emaUpdate', 'decay', decay);
  checkTree(o, 'emaUpdate', 'params', params, 'ema', shapesOf(o, ema));
  // As params + decay * (ema - params): decay 0 returns params exactly, with one op fewer.
  return o.tidy(() => mapTree(ema, (e, name) => o.add(params[name], o.mul(decay, o.sub(e, params[name])))));
}
