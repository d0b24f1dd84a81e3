/**
 * The entry points of forward and reverse mode around the per-primitive rules (which the conformance
 * suite checks): zero tangents, gradient accumulation over repeated uses, constants, auxiliary
 * outputs and bad input. Expected values are derivatives worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { DualOps, jvp, TapeOps, valueAndGrad } from '../src/index.js';
import { primitiveCases, ReferenceOps } from '../src/testing/index.js';

const o = new ReferenceOps();
const T = (v: number[], shape = [v.length]) => o.fromArray(v, shape);
const read = (x: unknown) => Array.from(o.readSync(x as never));

describe('jvp', () => {
  const x = [0.5, -1.5, 2];
  const y = [3, 0.25, -1];

  it('a missing or null tangent is zero: d(x y) along (tx, 0) is tx y', () => {
    const tx = [1, 2, -0.5];
    for (const tangents of [[T(tx)], [T(tx), null]]) {
      const { primal, tangent } = jvp(o, (d, a, b) => d.mul(a, b), [T(x), T(y)], tangents);
      expect(read(primal)).toEqual(x.map((v, i) => v * y[i]));
      expect(read(tangent)).toEqual(tx.map((v, i) => v * y[i]));
    }
  });

  it('an output that no tangent reaches gets a zero tangent of its shape', () => {
    const { tangent } = jvp(o, (d, a, b) => d.exp(b), [T(x), T(y, [3, 1])], [T([1, 1, 1])]);
    expect(o.shape(tangent)).toEqual([3, 1]);
    expect(read(tangent)).toEqual([0, 0, 0]);
  });

  it('rejects a tangent whose shape differs from its primal', () => {
    expect(() => jvp(o, (d, a) => a, [T(x)], [T([1, 2])])).toThrow('jvp: tangent shape [2] differs from primal shape [3]');
  });
});

describe('valueAndGrad', () => {
  it('accumulates the cotangents of a parameter used several times: d/dx sum(x^2 + 3x) = 2x + 3', () => {
    const x = [0.5, -1.5, 2];
    const { value, grads } = valueAndGrad(o, (tape, p) => tape.sum(tape.add(tape.mul(p.x, p.x), tape.mul(p.x, tape.fill([], 3)))), { x: T(x) });
    expect(read(value)[0]).toBeCloseTo(x.reduce((a, v) => a + v * v + 3 * v, 0), 12);
    expect(read(grads.x)).toEqual(x.map((v) => 2 * v + 3));
  });

  it('constants get no gradient; a parameter the loss does not reach gets zeros of its shape', () => {
    const { grads } = valueAndGrad(
      o,
      (tape, p) => tape.sum(tape.mul(p.w, tape.lift(T([2, -4])))),
      { w: T([1, 1]), unused: T([1, 2, 3, 4, 5, 6], [2, 3]) },
    );
    expect(read(grads.w)).toEqual([2, -4]);
    expect(o.shape(grads.unused)).toEqual([2, 3]);
    expect(read(grads.unused)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('a loss that depends on no parameter has zero gradients', () => {
    const { value, grads } = valueAndGrad(o, (tape) => tape.sum(tape.lift(T([1, 2]))), { w: T([5]) });
    expect(read(value)).toEqual([3]);
    expect(read(grads.w)).toEqual([0]);
  });

  it('returns auxiliary outputs by value, undifferentiated, and accepts a loss of shape [1]', () => {
    const { value, grads, aux } = valueAndGrad(
      o,
      (tape, p) => ({ loss: tape.reshape(tape.sum(tape.mul(p.w, p.w)), [1]), aux: { twice: tape.mul(p.w, tape.fill([], 2)) } }),
      { w: T([1.5, -2]) },
    );
    expect(read(value)).toEqual([6.25]);
    expect(read(grads.w)).toEqual([3, -4]);
    expect(read(aux.twice)).toEqual([3, -4]);
    const noAux = valueAndGrad(o, (tape, p) => ({ loss: tape.sum(p.w) }), { w: T([1]) });
    expect(noAux.aux).toEqual({});
  });

  it('rejects a loss that is not a scalar', () => {
    expect(() => valueAndGrad(o, (tape, p) => tape.mul(p.w, p.w), { w: T([1, 2, 3, 4], [2, 2]) })).toThrow('valueAndGrad: the loss must be a scalar, got shape [2, 2]');
  });
});

describe('structural zeros in forward mode', () => {
  // Network parameters enter sCM's JVP with null tangents: every primitive must keep them null
  // (no zero tensors computed) and must give a real tangent as soon as one input has one.
  it.each(primitiveCases().map((c) => [c.name, c] as const))('%s keeps null tangents null and propagates a real one', (_name, c) => {
    const inputs = c.inputs.map((shape, k) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const kind = c.kinds?.[k] ?? 'normal';
      return o.fromArray(Array.from({ length: n }, (_, i) => (kind === 'mask' ? i % 2 : kind === 'int' ? (i % 3) - 1 : kind === 'positive' ? 0.5 + (i % 4) / 3 : Math.sin(i + k))), shape);
    });
    const d = new DualOps(o);
    expect(c.fn(d, inputs.map((x) => d.lift(x))).tangent).toBeNull();
    if (c.differentiable === false) return;
    const first = c.inputs.findIndex((_, k) => !['mask', 'int'].includes(c.kinds?.[k] ?? 'normal'));
    const withTangent = c.fn(d, inputs.map((x, k) => d.dual(x, k === first ? o.fill(o.shape(x), 1) : null)));
    expect(withTangent.tangent).not.toBeNull();
    expect(o.shape(withTangent.tangent!)).toEqual(o.shape(withTangent.primal));
  });

  it('x^0 has a null tangent even when x has one', () => {
    const d = new DualOps(o);
    expect(d.powScalar(d.dual(T([2, 3]), T([1, 1])), 0).tangent).toBeNull();
  });
});

describe('the tape', () => {
  it('names itself after the base ops, as forward mode does', () => {
    expect(new TapeOps(o).name).toBe('tape(reference-f64)');
    expect(new DualOps(o).name).toBe('jvp(reference-f64)');
  });

  it('records nothing for constants: an op on lifted tensors stays untracked', () => {
    const tape = new TapeOps(o);
    expect(tape.mul(tape.lift(T([1, 2])), tape.lift(T([3, 4]))).tracked).toBe(false);
    expect(tape.exp(tape.variable(T([1]))).tracked).toBe(true);
  });

  it('skips intermediates the loss does not use, and constants on both sides of an op', () => {
    const { grads } = valueAndGrad(
      o,
      (tape, p) => {
        tape.exp(tape.mul(p.w, p.w)); // computed, never used by the loss
        const c = tape.mul(tape.lift(T([2, 3])), tape.lift(T([1, -1])));
        return tape.sum(tape.add(tape.mul(p.w, c), tape.mul(tape.lift(T([5, 5])), p.w)));
      },
      { w: T([0.5, 1.5]) },
    );
    expect(read(grads.w)).toEqual([7, 2]);
  });

  it('x^0 contributes no gradient, even at x = 0', () => {
    const { grads } = valueAndGrad(o, (tape, p) => tape.sum(tape.add(tape.powScalar(p.x, 0), p.x)), { x: T([0, 2]) });
    expect(read(grads.x)).toEqual([1, 1]);
  });

  it('names concat in its axis error', () => {
    const tape = new TapeOps(o);
    expect(() => tape.concat([tape.variable(T([1])), tape.variable(T([2]))], 3)).toThrow(/concat.*axis 3 is out of range for rank 1/);
  });
});

describe('reads, comparisons and reductions without keepDims on both transformations', () => {
  const x = [1, 5, 2, 7, 3, 4];

  it('reading a dual or a tape tensor reads its value', async () => {
    const d = new DualOps(o);
    const dual = d.dual(T([1, 2]), T([3, 4]));
    expect(Array.from(d.readSync(dual))).toEqual([1, 2]);
    expect(Array.from(await d.read(dual))).toEqual([1, 2]);
    const tape = new TapeOps(o);
    const v = tape.variable(T([5, 6]));
    expect(Array.from(tape.readSync(v))).toEqual([5, 6]);
    expect(Array.from(await tape.read(v))).toEqual([5, 6]);
    expect(tape.keep(v)).toBe(v);
    expect(tape.tidy(() => v)).toBe(v);
  });

  it('comparisons give untracked 0/1 values on the tape', () => {
    const tape = new TapeOps(o);
    const [a, b] = [tape.variable(T([1, 3])), tape.variable(T([2, 3]))];
    const gt = tape.greater(b, a);
    const eq = tape.equal(a, b);
    expect([read(gt.value), read(eq.value)]).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(gt.tracked || eq.tracked).toBe(false);
  });

  it('the derivative of max over an axis without keepDims picks each row maximum', () => {
    const { grads } = valueAndGrad(o, (tape, p) => tape.sum(tape.mul(tape.max(p.x, [1]), tape.lift(T([2, 3])))), { x: T(x, [2, 3]) });
    expect(read(grads.x)).toEqual([0, 2, 0, 3, 0, 0]);
    const { tangent } = jvp(o, (d, a) => d.max(a, [1]), [T(x, [2, 3])], [T([10, 20, 30, 40, 50, 60], [2, 3])]);
    expect(read(tangent)).toEqual([20, 40]);
  });
});
