import { describe, expect, it } from 'vitest';
import { broadcastShapes, conv2dShape, ShapeError } from '../src/tensor/shape.js';

describe('shape inference', () => {
  it('broadcasts numpy-style and names the op on failure', () => {
    expect(broadcastShapes('add', [2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(() => broadcastShapes('add', [2, 3], [4])).toThrow(/add: shapes \[2, 3\] and \[4\] do not broadcast/);
  });
  it('computes TensorFlow "same" conv output sizes', () => {
    expect(conv2dShape('conv2d', [1, 7, 7, 2], [3, 3, 2, 4], { strides: 2, padding: 'same' })).toEqual([1, 4, 4, 4]);
    expect(() => conv2dShape('conv2d', [1, 7, 7, 3], [3, 3, 2, 4], { groups: 2 })).toThrow(ShapeError);
  });
});
