/** The point-set checks every metric shares, and the rows inSupportFraction hands its predicate. */
import { describe, expect, it } from 'vitest';
import { checkerboardSupportFraction, inSupportFraction } from '../src/metrics/index.js';

describe('point sets', () => {
  it('hands the predicate each row of d coordinates in order, for d = 1 and d = 3', () => {
    const seen: number[][] = [];
    const points = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(inSupportFraction(points, (p) => (seen.push(Array.from(p)), p[0] > 2), 3)).toBe(0.5);
    expect(seen).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(inSupportFraction(points, (p) => p.length === 1 && p[0] % 2 === 0, 1)).toBe(0.5);
  });

  it('refuses a dimension that is not a positive integer, naming it', () => {
    expect(() => inSupportFraction(new Float32Array(3), () => true, 1.5)).toThrow('inSupportFraction: the dimension d must be a positive integer, got 1.5');
    expect(() => inSupportFraction(new Float32Array(3), () => true, 0)).toThrow('the dimension d must be a positive integer, got 0');
  });

  it('names the first non-finite value and the point that holds it', () => {
    const points = Float32Array.from([0, 0, 0, 1, 1, 1, 2, NaN, 2, 3, Infinity, 3]);
    expect(() => inSupportFraction(points, () => true, 3)).toThrow('inSupportFraction: points holds a non-finite value (NaN) at point 2');
    expect(() => checkerboardSupportFraction(Float32Array.from([0, 0, -Infinity, 0]))).toThrow('holds a non-finite value (-Infinity) at point 1');
  });
});
