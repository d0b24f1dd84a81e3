/** The complete state of a run: what a checkpoint holds and what resuming restores exactly. */
import type { TensorOps } from '../tensor/ops.js';
import { Rng } from '../random/index.js';
import type { Model } from '../models/model.js';
import { toDevice, type HostParams } from '../nn/params.js';
import { adam, radam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { TrainConfig } from './config.js';

/** The complete state of a run on a backend: what a checkpoint holds and resuming restores exactly. */
export interface TrainState<T> {
  /** Steps completed. */
  step: number;
  /** The trained weights. */
  params: Record<string, T>;
  /** The EMA of the weights. */
  ema: Record<string, T>;
  /** The optimiser's state. */
  opt: Record<string, T>;
  /** The run's random stream; every step's draws advance it. */
  rng: Rng;
  /** Optimiser steps skipped because the gradient norm was NaN or Inf. */
  skipped: number;
}

/** The optimiser `c` names (Adam or RAdam) with its betas and eps. */
export function makeOptimizer(c: TrainConfig): Optimizer {
  const options = { beta1: c.beta1, beta2: c.beta2, eps: c.eps };
  return c.optimizer === 'radam' ? radam(options) : adam(options);
}

/**
 * A fresh state. Consistency runs start from the teacher's EMA weights (`init`) with a
 * re-initialised logvar head (Lu & Song 2024). Params the teacher lacks (a student's guidance
 * embedding) start at zero, so the student starts out computing the teacher's function.
 *
 * @throws Error when `init` has tensors the model lacks, or a tensor of another shape.
 */
export function initState<T>(o: TensorOps<T>, model: Model, c: TrainConfig, init?: HostParams): TrainState<T> {
  const rng = new Rng(c.seed);
  const fresh = model.init(rng.fork('init'));
  let host = fresh;
  if (init) {
    const unknown = Object.keys(init).filter((k) => !(k in fresh) && !k.startsWith('logvar.'));
    if (unknown.length > 0) throw new Error(`the initial weights have tensors this model lacks: ${unknown.slice(0, 5).join(', ')}`);
    host = Object.fromEntries(
      Object.entries(fresh).map(([k, t]) => {
        const given = init[k];
        if (given && given.shape.join() !== t.shape.join()) {
          throw new Error(`initial weight ${k} has shape [${given.shape}], the model needs [${t.shape}]`);
        }
        return [k, given ?? { shape: t.shape, data: new Float32Array(t.data.length) }];
      }),
    );
    Object.assign(host, model.initLogvar(rng.fork('logvar')));
  }
  const params = toDevice(o, host);
  const ema = toDevice(o, host);
  return { step: 0, params, ema, opt: makeOptimizer(c).init(o, params), rng, skipped: 0 };
}

/** Frees a state's tensors (params, EMA, optimiser state) on `o`. */
export function disposeState<T>(o: TensorOps<T>, s: Pick<TrainState<T>, 'params' | 'ema' | 'opt'>): void {
  o.dispose([...Object.values(s.params), ...Object.values(s.ema), ...Object.values(s.opt)]);
}
