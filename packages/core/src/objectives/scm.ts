/**
 * sCT and sCD (Lu & Song 2024, Algorithm 1). Pass 1 (here: `scmTarget`) runs the forward-mode JVP of
 * F_theta- at (x_t / sigma_d, t) outside any tape and builds the normalised tangent g; pass 2
 * (`scmLoss`) evaluates F_theta under the tape, where F_theta - F_theta- is zero in value and only
 * its gradient, -2 exp(-u) g dF/dtheta, matters.
 */
import type { TensorOps } from '../tensor/ops.js';
import type { Conditioning, Model } from '../models/model.js';
import { jvp } from '../autodiff/jvp.js';
import { Rng } from '../random/index.js';
import { perExample } from '../trigflow/schedule.js';
import { adaptiveWeightedMse, mapCond, mapRecord } from './batch.js';

/**
 * How {@link scmTarget} builds the tangent g: warmup and normalisation as in Lu & Song 2024, Simplifying, Stabilizing and Scaling Continuous-Time Consistency Models (arXiv:2410.11081),
 * section 4.2 and Algorithm 1.
 */
export interface TangentSettings<T = never> {
  /** The data's per-element std. */
  readonly sigmaD: number;
  /**
   * Warmup factor r = min(1, step / H) in front of the second term: a number, or a scalar tensor
   * so that a traced step takes it as an input.
   */
  readonly r: number | T;
  /** g / (||g|| + c) per example; false for the ablation. */
  readonly normalize: boolean;
  /** The c of the normalisation (0.1). */
  readonly c: number;
  /**
   * What one norm covers: 'example' (the paper's; default), or 'batch', one norm for the whole
   * batch, the root mean square of the per-example norms. For images an example's norm already
   * spans the whole image; for 2-D points it is per point, which rescales every point's tangent to
   * about the same length, and 'batch' keeps their relative sizes as an image's pixels keep theirs.
   */
  readonly over?: 'example' | 'batch';
  /**
   * A step h > 0 replaces the forward-mode JVP by the central difference
   * (F(x + h v, t + h dt) - F(x - h v, t - h dt)) / 2h along the same tangents, an option of
   * NVIDIA's FastGen for networks without a JVP; absent: the exact JVP.
   */
  readonly jvpStep?: number;
}

/** What pass 1 of the sCM loss computes without gradients: the stop-gradient network output, its time derivative term and the tangent. */
export interface ScmTarget<T> {
  /** F_theta-(x_t / sigma_d, t). */
  readonly Fminus: T;
  /** J = cos(t) sin(t) dF_theta-/dt along the trajectory. */
  readonly J: T;
  /** The (normalised) tangent g. */
  readonly g: T;
}

/**
 * dF/dt by forward mode with the rearranged tangents (cos t sin t dx_t/dt / sigma_d, cos t sin t),
 * then g = -cos^2(t) (sigma_d F- - dx_t/dt) - r (cos t sin t x_t + sigma_d J).
 */
export function scmTarget<T>(
  o: TensorOps<T>,
  model: Model,
  params: Record<string, T>,
  xt: T,
  t: T,
  dxdt: T,
  s: TangentSettings<T>,
  cond?: Conditioning<T>,
): ScmTarget<T> {
  return o.tidy(() => {
    const rank = o.shape(xt).length - 1;
    const sigma = o.fill([], s.sigmaD);
    const cs = o.mul(o.cos(t), o.sin(t));
    const csb = perExample(o, cs, rank);
    const primals: [T, T] = [o.div(xt, sigma), t];
    const tangents: [T, T] = [o.div(o.mul(csb, dxdt), sigma), cs];
    const { primal: Fminus, tangent: J } =
      s.jvpStep === undefined
        ? jvp(o, (d, x, tt) => model.F(d, mapRecord(params, (v) => d.lift(v)), x, tt, mapCond(cond, (v) => d.lift(v))), primals, tangents)
        : centralDifference(o, model, params, primals, tangents, s.jvpStep, cond);
    const cos = perExample(o, o.cos(t), rank);
    const first = o.mul(o.neg(o.mul(cos, cos)), o.sub(o.mul(sigma, Fminus), dxdt));
    const second = o.add(o.mul(csb, xt), o.mul(sigma, J));
    const r = typeof s.r === 'number' ? o.fill([], s.r) : s.r;
    let g = o.sub(first, o.mul(r, second));
    if (s.normalize) {
      const axes = Array.from({ length: rank }, (_, i) => i + 1);
      const squares = o.sum(o.mul(g, g), axes, true);
      const norm = o.sqrt(s.over === 'batch' ? o.mean(squares) : squares);
      g = o.div(g, o.add(norm, o.fill([], s.c)));
    }
    return { Fminus, J, g };
  });
}

/**
 * F and its derivative along (dx, dt) by central differences: every network call gets its own copy
 * of the dropout stream, so all three see the masks the exact JVP's one pass would.
 */
function centralDifference<T>(o: TensorOps<T>, model: Model, params: Record<string, T>, [x, t]: [T, T], [dx, dt]: [T, T], h: number, cond?: Conditioning<T>) {
  if (!(h > 0 && Number.isFinite(h))) throw new Error(`jvpStep must be a positive number, got ${h}`);
  const stream = cond?.dropoutRng;
  const F = (xs: T, ts: T) => model.F(o, params, xs, ts, { ...cond, ...(stream ? { dropoutRng: Rng.fromState(stream.state()) } : {}) });
  const step = o.fill([], h);
  const plus = F(o.add(x, o.mul(dx, step)), o.add(t, o.mul(dt, step)));
  const minus = F(o.sub(x, o.mul(dx, step)), o.sub(t, o.mul(dt, step)));
  return { primal: F(x, t), tangent: o.div(o.sub(plus, minus), o.fill([], 2 * h)) };
}

/** Pass 2: mean of exp(-u) (F_theta - F- - g)^2 + u, differentiated through F_theta and u only. */
export function scmLoss<T>(
  o: TensorOps<T>,
  model: Model,
  p: Record<string, T>,
  xt: T,
  t: T,
  Fminus: T,
  g: T,
  sigmaD: number,
  cond?: Conditioning<T>,
): T {
  // x_t / sigma_d exactly as pass 1 forms it: traced, F_theta is then the same graph as pass 1's
  // primal F_theta-, and a compiled step computes the forward pass once for both.
  const F = model.F(o, p, o.div(xt, o.fill([], sigmaD)), t, cond);
  return adaptiveWeightedMse(o, o.sub(o.sub(F, Fminus), g), model.logvar(o, p, t));
}

/** r = min(1, step / H); H = 0 switches the warmup off. */
export function tangentWarmup(step: number, warmupSteps: number): number {
  return warmupSteps <= 0 ? 1 : Math.min(1, step / warmupSteps);
}
