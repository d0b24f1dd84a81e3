/**
 * Adam (Kingma & Ba 2015) and RAdam (Liu et al. 2020). Both keep the same two moments and differ
 * only in their host scalars and one `select`, so they share one update.
 *
 * The tensor update is p -= stepSize * m / (sqrt(v) + eps) with the bias corrections folded into
 * the host scalars (bc1 = 1 - beta1^t, bc2 = 1 - beta2^t), which keeps the per-element work minimal:
 * - Adam: stepSize = lr sqrt(bc2) / bc1 and eps' = eps sqrt(bc2). This is exactly the paper's
 *   m_hat / (sqrt(v_hat) + eps), with eps added to the bias-corrected sqrt(v_hat).
 * - RAdam, rectified step: stepSize = lr r_t sqrt(bc2) / bc1, eps as given. eps sits on the raw
 *   sqrt(v) as in the authors' code and PyTorch (the paper's Algorithm 2 has no eps at all).
 * - RAdam, early steps: the variance of the adaptive rate is intractable, so the step is momentum SGD
 *   with bias-corrected m: stepSize = lr / bc1 and the direction is m itself. Which branch applies
 *   depends only on the step, so the host picks it and sends a 0/1 `adaptive` scalar.
 * Weight decay is decoupled (AdamW; PyTorch's AdamW and RAdam(decoupled_weight_decay=True)):
 * p -= lr * weightDecay * p, so it follows the learning-rate schedule but not the adaptive scaling.
 */
import type { Shape, TensorOps } from '../tensor/ops.js';
import type { Optimizer } from './optimizer.js';
import {
  checkNonNegative,
  checkPositive,
  checkScalar,
  checkStep,
  checkTree,
  checkUnitInterval,
  shapesOf,
} from './validate.js';

/** Options of {@link adam} and {@link radam}. */
export interface AdamOptions {
  /** Decay of the first moment. Default 0.9. */
  readonly beta1?: number;
  /** Decay of the second moment. Default 0.99 (Lu & Song 2024; PyTorch defaults to 0.999). */
  readonly beta2?: number;
  /** Added to the denominator for numerical safety. Default 1e-8. */
  readonly eps?: number;
  /** Decoupled weight decay per unit of learning rate. Default 0. */
  readonly weightDecay?: number;
}

/**
 * RAdam adapts only once rho_t > 5, PyTorch's threshold. The paper's Algorithm 2 says 4, but just
 * above 4 the rectification term is near 0 and its variance estimate is still unreliable.
 */
const RADAM_MIN_RHO = 5;

/**
 * Adam (Kingma & Ba 2015) with decoupled weight decay; betas default to (0.9, 0.99) as in Lu & Song
 * 2024. Its state is the two moments per parameter.
 *
 * @throws Error naming the option for betas outside [0, 1), eps not positive, or negative weight decay.
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return adamFamily('adam', options);
}

/**
 * RAdam (Liu et al. 2020): Adam with the adaptive rate rectified, momentum SGD until the variance
 * estimate is reliable (rho_t > 5). Same options, state layout and errors as {@link adam}.
 */
export function radam(options: AdamOptions = {}): Optimizer {
  return adamFamily('radam', options);
}

type Kind = Optimizer['kind'];

function adamFamily(kind: Kind, options: AdamOptions): Optimizer {
  const { beta1 = 0.9, beta2 = 0.99, eps = 1e-8, weightDecay = 0 } = options;
  checkUnitInterval(kind, 'beta1', beta1);
  checkUnitInterval(kind, 'beta2', beta2);
  checkPositive(kind, 'eps', eps);
  checkNonNegative(kind, 'weightDecay', weightDecay);

  const key = {
    stepSize: `${kind}.stepSize`,
    eps: `${kind}.eps`,
    adaptive: `${kind}.adaptive`,
    decay: `${kind}.decay`,
    m: (name: string) => `${kind}.m.${name}`,
    v: (name: string) => `${kind}.v.${name}`,
  };

  function scalars(step: number, lr: number): Record<string, number> {
    checkStep(kind, step);
    checkPositive(kind, 'lr', lr);
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const out: Record<string, number> = {};
    if (kind === 'adam') {
      out[key.stepSize] = (lr * Math.sqrt(bc2)) / bc1;
      out[key.eps] = eps * Math.sqrt(bc2);
    } else {
      const rhoInf = 2 / (1 - beta2) - 1;
      const rho = rhoInf - (2 * step * beta2 ** step) / bc2;
      const adaptive = rho > RADAM_MIN_RHO;
      const rect = adaptive ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) : 0;
      out[key.stepSize] = adaptive ? (lr * rect * Math.sqrt(bc2)) / bc1 : lr / bc1;
      out[key.eps] = eps;
      out[key.adaptive] = adaptive ? 1 : 0;
    }
    if (weightDecay > 0) out[key.decay] = lr * weightDecay;
    return out;
  }

  // The set of scalar names does not depend on the step, so one evaluation lists what apply needs.
  const scalarNames = Object.keys(scalars(1, 1));

  function stateShapes(params: Record<string, Shape>): Record<string, Shape> {
    const out: Record<string, Shape> = {};
    for (const name of Object.keys(params)) {
      out[key.m(name)] = params[name];
      out[key.v(name)] = params[name];
    }
    return out;
  }

  return {
    kind,
    scalars,

    init<T>(o: TensorOps<T>, params: Record<string, T>): Record<string, T> {
      const shapes = stateShapes(shapesOf(o, params));
      const out: Record<string, T> = {};
      for (const name of Object.keys(shapes)) out[name] = o.fill(shapes[name], 0);
      return out;
    },

    apply<T>(
      o: TensorOps<T>,
      params: Record<string, T>,
      grads: Record<string, T>,
      state: Record<string, T>,
      s: Record<string, T>,
    ) {
      const shapes = shapesOf(o, params);
      checkTree(o, kind, 'grads', grads, 'params', shapes);
      checkTree(o, kind, 'state', state, `${kind}.init(params)`, stateShapes(shapes));
      for (const name of scalarNames) {
        if (!Object.hasOwn(s, name)) {
          throw new Error(`${kind}: scalar '${name}' is missing; pass scalarTensors(ops, optimizer.scalars(step, lr))`);
        }
        checkScalar(o, kind, `scalar '${name}'`, s[name]);
      }
      return o.tidy(() => {
        const b1 = o.fill([], beta1);
        const b2 = o.fill([], beta2);
        const c1 = o.fill([], 1 - beta1);
        const c2 = o.fill([], 1 - beta2);
        const next = { params: {} as Record<string, T>, state: {} as Record<string, T> };
        for (const name of Object.keys(params)) {
          const g = grads[name];
          const m = o.add(o.mul(b1, state[key.m(name)]), o.mul(c1, g));
          const v = o.add(o.mul(b2, state[key.v(name)]), o.mul(c2, o.mul(g, g)));
          let direction = o.div(m, o.add(o.sqrt(v), s[key.eps]));
          if (kind === 'radam') direction = o.select(s[key.adaptive], direction, m);
          let p = o.sub(params[name], o.mul(s[key.stepSize], direction));
          if (weightDecay > 0) p = o.sub(p, o.mul(s[key.decay], params[name]));
          next.params[name] = p;
          next.state[key.m(name)] = m;
          next.state[key.v(name)] = v;
        }
        return next;
      });
    },
  };
}
