/**
 * The optimiser contract. Everything that varies with the step number is computed on the host by
 * `scalars` and enters `apply` as scalar tensors, so `apply` records the same graph at every step:
 * a traced training step (forward, backward, update) is one ONNX graph whose step-dependent numbers
 * are inputs, not constants.
 */
import type { TensorOps } from '../tensor/ops.js';

/**
 * A first-order optimiser on any TensorOps, split into host scalars (which vary with the step) and a
 * tensor update (which does not), so a traced step records one graph for every step.
 */
export interface Optimizer {
  /** Which algorithm; it also prefixes the state's tensor names. */
  readonly kind: 'adam' | 'radam';
  /**
   * Zeroed state, one tensor per moment and parameter, named from the parameter names
   * (`<kind>.m.<name>`, `<kind>.v.<name>`) so it can be written to a checkpoint as is.
   */
  init<T>(o: TensorOps<T>, params: Record<string, T>): Record<string, T>;
  /** Host-side scalars for 1-based `step` at learning rate `lr` (after any schedule). */
  scalars(step: number, lr: number): Record<string, number>;
  /**
   * One update. `scalars` are `scalars(step, lr)` as scalar tensors (see `scalarTensors`).
   * Inputs are left alive: the caller owns and disposes the old params and state.
   */
  apply<T>(
    o: TensorOps<T>,
    params: Record<string, T>,
    grads: Record<string, T>,
    state: Record<string, T>,
    scalars: Record<string, T>,
  ): {
    /** The updated parameters. */
    params: Record<string, T>;
    /** The updated optimiser state. */
    state: Record<string, T>;
  };
}

/** Host scalars as rank-0 tensors, the form `Optimizer.apply` and `emaUpdate` take them in. */
export function scalarTensors<T>(o: TensorOps<T>, values: Record<string, number>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of Object.keys(values)) out[name] = o.fill([], values[name]);
  return out;
}
