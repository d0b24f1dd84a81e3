/**
 * Forward mode's scopes over a backend that frees tensors: a tidy keeps both halves of every dual it
 * returns, keep exempts both, dispose frees both, and structural zeros cost nothing. The backend is
 * the reference ops wrapped so that each tidy frees what was created in it and not returned or kept.
 */
import { describe, expect, it } from 'vitest';
import { DualOps } from '../src/index.js';
import { ReferenceOps, RefTensor } from '../src/testing/index.js';
import { collectTensors } from '../src/tensor/collect.js';

/** Reference ops whose tensors are freed like a GPU backend's: `live` holds what is not yet freed. */
function scopedOps() {
  const base = new ReferenceOps();
  const live = new Set<RefTensor>();
  const scopes: Set<RefTensor>[] = [];
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
        }
        return out;
      };
    },
  });
  return { ops, live };
}

describe('forward mode scopes', () => {
  it('a tidy keeps the primal and the tangent of what it returns and frees the rest', () => {
    const { ops, live } = scopedOps();
    const d = new DualOps(ops);
    const x = d.dual(ops.fromArray([1, 2], [2]), ops.fromArray([1, 1], [2]));
    const y = d.tidy(() => d.mul(d.exp(x), x));
    expect(live.has(y.primal)).toBe(true);
    expect(live.has(y.tangent!)).toBe(true);
    // exp's value, its tangent and the product terms are gone: only x's halves and y's remain.
    expect(live.size).toBe(4);
    const z = d.tidy(() => d.exp(d.lift(ops.fromArray([0], [1]))));
    expect(z.tangent).toBeNull();
    expect(live.has(z.primal)).toBe(true);
  });

  it('keep exempts both halves from the enclosing tidy; dispose frees both', () => {
    const { ops, live } = scopedOps();
    const d = new DualOps(ops);
    let kept!: ReturnType<typeof d.exp>;
    d.tidy(() => {
      kept = d.keep(d.exp(d.dual(ops.fromArray([1], [1]), ops.fromArray([2], [1]))));
      return 0;
    });
    expect(live.has(kept.primal) && live.has(kept.tangent!)).toBe(true);
    d.dispose(kept);
    expect(live.has(kept.primal) || live.has(kept.tangent!)).toBe(false);
    // A structural zero has no tangent tensor to keep.
    let constant!: ReturnType<typeof d.exp>;
    d.tidy(() => {
      constant = d.keep(d.exp(d.lift(ops.fromArray([1], [1]))));
      return 0;
    });
    expect(constant.tangent).toBeNull();
    expect(live.has(constant.primal)).toBe(true);
    const pair = [d.lift(ops.fromArray([1], [1])), d.dual(ops.fromArray([1], [1]), ops.fromArray([3], [1]))];
    d.dispose(pair);
    expect(pair.some((p) => live.has(p.primal) || (p.tangent !== null && live.has(p.tangent)))).toBe(false);
  });
});
