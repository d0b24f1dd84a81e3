import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, sizeOf, valueAndGrad, type TensorOps } from '@scm/core';
import { convNet, ReferenceOps } from '@scm/core/testing';
import { checkModel, DynamicBatchError, exportTrace } from '../src/index.js';
import { draw, ErrorLog, relativeError } from './helpers.js';

const ref = new ReferenceOps();
const errors = new ErrorLog();
afterAll(() => errors.print('dynamic-batch conv net (forward and gradient) vs float64 reference (max relative error):'));

/** The conv net's output and the gradient of its mean squared output in every parameter and the input. */
function forwardAndGrad<T>(o: TensorOps<T>, params: Record<string, T>, x: T): Record<string, T> {
  const { value, grads } = valueAndGrad(o, (tape, p) => {
    const { x: input, ...weights } = p;
    return tape.mean(tape.powScalar(convNet.forward(tape, weights, input), 2));
  }, { ...params, x });
  return { y: convNet.forward(o, params, x), loss: value, ...Object.fromEntries(Object.entries(grads).map(([k, g]) => [`d${k}`, g])) };
}

describe('one exported graph serves every batch size', () => {
  const rng = new Rng(21);
  const hostParams = Object.fromEntries(Object.entries(convNet.params).map(([k, s]) => [k, { shape: s, data: draw(rng, 'normal', sizeOf(s)) }]));
  const sampleShape = convNet.inputShape.slice(1);

  it('a conv net with group norm, attention, pooling, upsampling and its gradient (both conv backprops)', async () => {
    const model = exportTrace((tr, n) => {
      const params = Object.fromEntries(Object.entries(hostParams).map(([k, p]) => [k, tr.fromArray(p.data, p.shape)]));
      return forwardAndGrad(tr, params, tr.input('x', [n, ...sampleShape]));
    });
    checkModel(model);
    const session = await ort.InferenceSession.create(model);
    for (const n of [1, 4]) {
      const x = draw(rng, 'normal', n * sizeOf(sampleShape));
      const want = forwardAndGrad(ref, Object.fromEntries(Object.entries(hostParams).map(([k, p]) => [k, ref.fromArray(p.data, p.shape)])), ref.fromArray(x, [n, ...sampleShape]));
      const got = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [n, ...sampleShape]) });
      for (const [name, w] of Object.entries(want)) {
        expect(got[name].dims, name).toEqual(w.shape);
        // Gradients through attention and group norm sum long float32 products that cancel: core's float32 tolerance.
        const tol = name.startsWith('d') ? 1e-3 : 1e-4;
        expect(errors.record(name, relativeError(got[name].data as Float32Array, w.data)), `${name} at batch ${n}`).toBeLessThan(tol);
      }
    }
    await session.release();
  });

  it('sizes that are not multiples of the batch are refused with a clear error', () => {
    const plusOne = () =>
      exportTrace((tr, n) => ({ y: tr.concat([tr.input('x', [n]), tr.fill([1], 0)], 0) }));
    expect(plusOne).toThrow(DynamicBatchError);
    expect(plusOne).toThrow(/size 3 at batch 2 but 4 at batch 3, not a multiple of the batch; export with a fixed `batch`/);
    const batchConstant = () => exportTrace((tr, n) => ({ y: tr.add(tr.input('x', [n]), tr.fromArray(new Float32Array(n), [n])) }));
    expect(batchConstant).toThrow(/a constant of shape \[2\] depends on the batch/);
    // A fixed batch exports either.
    expect(() => exportTrace((tr, n) => ({ y: tr.concat([tr.input('x', [n]), tr.fill([1], 0)], 0) }), { batch: 5 })).not.toThrow();
  });
});
