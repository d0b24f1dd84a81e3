/**
 * TensorOps.tidy on the tfjs engine's scopes. tf.tidy itself is not used: its result type is limited
 * to TensorContainer, and it walks every enumerable property of the result (class instances, and
 * typed arrays element by element); here exactly the tensors reachable through arrays and plain
 * objects survive, as the TensorOps contract says.
 */
import * as tf from '@tensorflow/tfjs-core';
import { collectTensors } from '@scm/core';

const isTensor = (v: unknown): v is tf.Tensor => v instanceof tf.Tensor;

export function tidy<R>(fn: () => R): R {
  const engine = tf.engine();
  engine.startScope();
  let result: R;
  try {
    result = fn();
  } catch (error) {
    engine.endScope();
    throw error;
  }
  if (result instanceof Promise) {
    // The scope would close before the promise settles, freeing tensors it still needs.
    engine.endScope();
    throw new Error('tidy: fn must be synchronous; it returned a promise');
  }
  engine.endScope(collectTensors(result, isTensor));
  return result;
}
