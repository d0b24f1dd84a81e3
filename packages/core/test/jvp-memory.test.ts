/**
 * Forward mode's scopes over a backend that frees tensors: a tidy keeps both halves of every dual it
 * returns, keep exempts both, dispose frees both, and structural zeros cost nothing. The backend is
 * the reference ops wrapped so that each tidy frees what was created in it and not returned or kept.
 */
import { describe, expect, it } from 'vitest';
import { DualOps } from '../src/index.js';
import { scopedOps } from './helpers/scoped-ops.js';

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
