/**
 * Reference ops whose tensors are freed like a GPU backend's, for tests of memory scopes: each tidy
 * frees what was created in it and not returned or kept; `live` holds what is not yet freed and
 * `peak()` the most that was alive at once since the last `resetPeak()`.
 */
import { ReferenceOps, RefTensor } from '../../src/testing/index.js';
import { collectTensors } from '../../src/tensor/collect.js';

export function scopedOps() {
  const base = new ReferenceOps();
  const live = new Set<RefTensor>();
  const scopes: Set<RefTensor>[] = [];
  let most = 0;
  const isTensor = (v: unknown): v is RefTensor => v instanceof RefTensor;
  const ops = new Proxy(base, {
    get(target, key, receiver) {
      if (key === 'tidy') {
        return <R>(fn: () => R): R => {
          const scope = new Set<RefTensor>();
          scopes.push(scope);
          const result = fn();
          scopes.pop();
          const kept = new Set(collectTensors(result, isTensor));
          for (const x of scope) {
            if (kept.has(x)) scopes.at(-1)?.add(x);
            else live.delete(x);
          }
          return result;
        };
      }
      if (key === 'keep') {
        // Like tf.keep, which reads fields of what it is given: anything but a tensor is an error.
        return <X extends RefTensor>(x: X) => {
          if (!isTensor(x)) throw new Error(`keep: not a tensor: ${String(x)}`);
          scopes.at(-1)?.delete(x);
          return x;
        };
      }
      if (key === 'dispose') return (x: RefTensor | readonly RefTensor[]) => (x instanceof RefTensor ? [x] : x).forEach((t) => live.delete(t));
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out = value.apply(target, args);
        if (out instanceof RefTensor) {
          live.add(out);
          scopes.at(-1)?.add(out);
          most = Math.max(most, live.size);
        }
        return out;
      };
    },
  });
  return {
    ops,
    live,
    peak: () => most,
    resetPeak: () => {
      most = live.size;
    },
  };
}
