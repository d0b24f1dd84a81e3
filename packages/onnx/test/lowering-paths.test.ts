/**
 * The lowering branches that the default export (channels first, fused) never takes: every primitive
 * as traced, so convolutions, upsampling and pooling on NHWC nodes, fused normalisations over axes InstanceNormalization
 * cannot take, and no-op scalar slices and pads. Each is run in ONNX Runtime and compared with the
 * float64 reference ops of @scm/core; where two lowerings compute the same values, the ONNX operators
 * emitted tell which branch was taken.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { conv2dShape, Rng, sizeOf, softmax, type Conv2DOptions, type Shape, type TensorOps } from '@scm/core';
import { primitiveCases, ReferenceOps, type OpFn } from '@scm/core/testing';
import { checkModel, exportTrace, type TraceExportOptions } from '../src/index.js';
import { decodeModelProto } from '../src/proto.js';
import { draw, ErrorLog, relativeError } from './helpers.js';

const ref = new ReferenceOps();
const rng = new Rng(31);
const errors = new ErrorLog();
afterAll(() => errors.print('lowering paths, onnxruntime-node vs float64 reference (max relative error):'));

const opTypes = (model: Uint8Array): string[] => (decodeModelProto(model).graph?.node ?? []).map((n) => n.opType as string);

/** Runs `model` on `x` (input "x0") and returns output "y", of shape `outShape`. */
async function run(model: Uint8Array, x: Float64Array, shape: Shape, outShape: Shape = shape): Promise<Float32Array> {
  checkModel(model);
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ x0: new ort.Tensor('float32', Float32Array.from(x), [...shape]) });
    expect(out.y.dims).toEqual(outShape);
    return out.y.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('every primitive as traced (NHWC, no graph passes) lowers to ONNX that computes what the float64 reference does', () => {
  const cases = primitiveCases();
  it('covers every convolution, upsampling and pooling case', () => expect(cases.filter((c) => /^(conv2d|upsampleNearest|avgPool)/.test(c.name)).length).toBeGreaterThanOrEqual(22));
  for (const c of cases) {
    it(c.name, async () => {
      const kinds = c.kinds ?? c.inputs.map(() => 'normal' as const);
      const xs = c.inputs.map((s, i) => draw(rng, kinds[i], sizeOf(s)));
      const want = ref.readSync(c.fn(ref, xs.map((x, i) => ref.fromArray(x, c.inputs[i]))));
      const model = exportTrace((tr) => ({ y: c.fn(tr, c.inputs.map((s, i) => tr.input(`x${i}`, s))) }), { optimize: false });
      // Traced NHWC: core's images go to ONNX's NCHW and back around every Conv.
      if (c.name.startsWith('conv2d')) expect(opTypes(model)).toContain('Transpose');
      expect(opTypes(model)).not.toContain('Resize');
      expect(opTypes(model)).not.toContain('AveragePool');
      checkModel(model);
      const session = await ort.InferenceSession.create(model);
      const feeds = Object.fromEntries(xs.map((x, i) => [`x${i}`, new ort.Tensor('float32', Float32Array.from(x), [...c.inputs[i]])]));
      const got = (await session.run(feeds)).y;
      await session.release();
      expect(got.dims).toEqual(ref.shape(c.fn(ref, xs.map((x, i) => ref.fromArray(x, c.inputs[i])))));
      const err = errors.record(c.name.split(' ')[0], relativeError(got.data as Float32Array, want));
      expect(err, c.name).toBeLessThan(1e-4);
    });
  }
});

/** Normalisation over `axes` written as nn writes it, which the fusion pass turns into one `normalize` node. */
function normalization<T>(o: TensorOps<T>, x: T, axes: number[], eps: number): T {
  const centered = o.sub(x, o.mean(x, axes, true));
  const variance = o.mean(o.mul(centered, centered), axes, true);
  return o.mul(centered, o.rsqrt(o.add(variance, o.fill([], eps))));
}

describe('fused normalisations', () => {
  // A large eps, so that an eps lost or changed on the way shows in the values.
  const EPS = 0.5;
  const cases: { name: string; shape: Shape; axes: number[]; instanceNorm: boolean }[] = [
    { name: 'trailing axes from 1', shape: [2, 3, 4], axes: [1, 2], instanceNorm: true },
    { name: 'trailing axes from 2 (channels of 3)', shape: [2, 3, 4, 5], axes: [2, 3], instanceNorm: true },
    { name: 'the last axis alone', shape: [2, 3, 4], axes: [2], instanceNorm: true },
    { name: 'every axis, the batch included', shape: [2, 3, 4], axes: [0, 1, 2], instanceNorm: false },
    { name: 'a middle axis', shape: [2, 3, 4], axes: [1], instanceNorm: false },
    { name: 'axes with a gap', shape: [2, 3, 4, 5], axes: [1, 3], instanceNorm: false },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.instanceNorm ? 'InstanceNormalization' : 'the mean and variance chain'}`, async () => {
      const x = draw(rng, 'normal', sizeOf(c.shape));
      const want = ref.readSync(normalization(ref, ref.fromArray(x, c.shape), c.axes, EPS));
      const options: TraceExportOptions = { optimize: { layout: 'nhwc' } };
      const model = exportTrace((tr) => ({ y: normalization(tr, tr.input('x0', c.shape), c.axes, EPS) }), options);
      const ops = opTypes(model);
      expect(ops.includes('InstanceNormalization'), ops.join(' ')).toBe(c.instanceNorm);
      expect(ops).not.toContain('Reciprocal');
      const err = errors.record('normalize', relativeError(await run(model, x, c.shape), want));
      expect(err, c.name).toBeLessThan(1e-5);
    });
  }

  it('a dynamic batch on the leading axis keeps InstanceNormalization; one on a normalised axis takes the chain', async () => {
    // The second graph moves the batch to axis 1 before normalising over axes 1 and 2.
    const leading = <T>(o: TensorOps<T>, x: T) => normalization(o, x, [1, 2], EPS);
    const inner = <T>(o: TensorOps<T>, x: T) => normalization(o, o.transpose(x, [1, 0, 2]), [1, 2], EPS);
    for (const [f, instanceNorm] of [
      [leading, true],
      [inner, false],
    ] as const) {
      const model = exportTrace((tr, n) => ({ y: f(tr, tr.input('x0', [n, 3, 4])) }), { optimize: { layout: 'nhwc' } });
      expect(opTypes(model).includes('InstanceNormalization')).toBe(instanceNorm);
      for (const n of [1, 5]) {
        const x = draw(rng, 'normal', n * 12);
        const want = ref.readSync(f(ref, ref.fromArray(x, [n, 3, 4])));
        const got = await run(model, x, [n, 3, 4], instanceNorm ? [n, 3, 4] : [3, n, 4]);
        expect(relativeError(got, want), `batch ${n}`).toBeLessThan(1e-5);
      }
    }
  });
});

describe('conv2dBackpropInput', () => {
  it('is a Conv of the flipped filter at stride 1 (1x1 filters included) and a ConvTranspose when strided, in both layouts', () => {
    const cases = primitiveCases().filter((c) => c.name.startsWith('conv2dBackpropInput'));
    expect(cases.length).toBeGreaterThanOrEqual(6);
    for (const c of cases) {
      const strided = /"strides"/.test(c.name);
      for (const optimize of [false, undefined] as const) {
        const ops = opTypes(exportTrace((tr) => ({ y: c.fn(tr, c.inputs.map((s, i) => tr.input(`x${i}`, s))) }), optimize === false ? { optimize } : {}));
        expect(ops.includes('ConvTranspose'), `${c.name} ${optimize}`).toBe(strided);
        expect(ops.includes('Conv'), `${c.name} ${optimize}`).toBe(!strided);
      }
    }
  });
});

describe('conv2dBackpropFilter emits no dead nodes', () => {
  const filterCase = (tag: string) => {
    const c = primitiveCases().find((k) => k.name === `conv2dBackpropFilter ${tag}`);
    if (!c) throw new Error(`no case ${tag}`);
    return (optimize: false | undefined) =>
      opTypes(exportTrace((tr) => ({ y: c.fn(tr, c.inputs.map((s, i) => tr.input(`x${i}`, s))) }), optimize === false ? { optimize } : {}));
  };
  const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;

  it('channels first, 1x1 filter, one group: the whole image is the only view (no Slice, Pad or Concat)', () => {
    const ops = filterCase('x=[2,4,4,3] w=[1,1,3,5] {}')(undefined);
    expect(ops).toContain('MatMul');
    for (const op of ['Slice', 'Pad', 'Concat']) expect(ops, op).not.toContain(op);
  });

  it('channels first, 3x3 unpadded filter, one group: nine views joined by one Concat, no Pad', () => {
    const ops = filterCase('x=[2,5,5,3] w=[3,3,3,4] {}')(undefined);
    expect(count(ops, 'Slice')).toBe(9);
    expect(count(ops, 'Concat')).toBe(1);
    expect(ops).not.toContain('Pad');
  });

  it('channels first, padded and grouped: one Pad, and the groups joined by a Concat', () => {
    const ops = filterCase('x=[1,6,6,4] w=[3,3,2,6] {"padding":"same","groups":2}')(undefined);
    expect(count(ops, 'Pad')).toBe(1);
    expect(count(ops, 'MatMul')).toBe(2);
    expect(count(ops, 'Concat')).toBe(3);
  });

  it('traced NHWC: one group is one Conv with one Slice of its taps and no Concat; two groups slice channels and concatenate', () => {
    const one = filterCase('x=[2,5,5,3] w=[3,3,3,4] {}')(false);
    expect(count(one, 'Conv')).toBe(1);
    expect(count(one, 'Slice')).toBe(1);
    expect(one).not.toContain('Concat');
    const two = filterCase('x=[1,6,6,4] w=[3,3,2,6] {"padding":"same","groups":2}')(false);
    expect(count(two, 'Conv')).toBe(2);
    expect(count(two, 'Slice')).toBe(2 + 2 * 2);
    expect(count(two, 'Concat')).toBe(1);
  });
});

describe('fused softmax', () => {
  for (const axis of [1, 2]) {
    it(`over axis ${axis} of [2,3,4]`, async () => {
      const shape = [2, 3, 4];
      const x = draw(rng, 'normal', sizeOf(shape));
      const want = ref.readSync(softmax(ref, ref.fromArray(x, shape), axis));
      const model = exportTrace((tr) => ({ y: softmax(tr, tr.input('x0', shape), axis) }), { optimize: { layout: 'nhwc' } });
      expect(opTypes(model)).toContain('Softmax');
      expect(relativeError(await run(model, x, shape), want)).toBeLessThan(1e-5);
    });
  }
});

describe('no-op shapes', () => {
  it('a scalar slice and a scalar pad are identities', async () => {
    const x = draw(rng, 'normal', 1);
    const model = exportTrace((tr) => ({ y: tr.pad(tr.slice(tr.input('x0', []), [], []), []) }), { optimize: false });
    expect(opTypes(model)).not.toContain('Slice');
    expect(opTypes(model)).not.toContain('Pad');
    expect(Array.from(await run(model, x, []))).toEqual([Math.fround(x[0])]);
  });
});

describe('leaves at a run-time batch', () => {
  it('fills: fixed, one over the batch, and shaped outputs that follow the batch', async () => {
    const model = exportTrace(
      (tr, n) => ({
        y: tr.add(tr.input('x0', [n, 3]), tr.fill([n, 3], 1 / n)),
        filled: tr.fill([n, 2], 2.5),
        scalar: tr.fill([], 1.5),
      }),
      { optimize: false },
    );
    checkModel(model);
    const session = await ort.InferenceSession.create(model);
    for (const n of [1, 4]) {
      const x = Float32Array.from({ length: 3 * n }, (_, i) => i);
      const out = await session.run({ x0: new ort.Tensor('float32', x, [n, 3]) });
      expect(out.y.dims).toEqual([n, 3]);
      Array.from(out.y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(i + 1 / n, 6));
      expect(out.filled.dims).toEqual([n, 2]);
      expect(Array.from(out.filled.data as Float32Array)).toEqual(new Array(2 * n).fill(2.5));
      expect(out.scalar.dims).toEqual([]);
      expect(Array.from(out.scalar.data as Float32Array)).toEqual([1.5]);
    }
    await session.release();
  });

  it('an int64 input is cast to float; a float input is read as it is', async () => {
    const model = exportTrace((tr, n) => ({ y: tr.add(tr.mul(tr.input('label', [n]), tr.fill([], 2)), tr.input('x0', [n])) }), {
      optimize: false,
      int64Inputs: ['label'],
    });
    checkModel(model);
    expect(opTypes(model)).toContain('Cast');
    const session = await ort.InferenceSession.create(model);
    const out = await session.run({
      label: new ort.Tensor('int64', BigInt64Array.from([3n, -1n, 0n]), [3]),
      x0: new ort.Tensor('float32', Float32Array.from([0.5, 0.25, -2]), [3]),
    });
    expect(Array.from(out.y.data as Float32Array)).toEqual([6.5, -1.75, -2]);
    await session.release();
  });
});

describe('convolution shapes that single out each branch of the conv lowerings', () => {
  // [x, w, options]: kernels of one row or column, 1x1 kernels strided along one axis, a grouped 1x1
  // kernel, padding beyond the kernel (negative pads for the flipped-filter Conv), stride 3.
  const settings: [Shape, Shape, Conv2DOptions][] = [
    [[2, 4, 5, 3], [2, 1, 3, 2], {}],
    [[2, 5, 4, 3], [1, 2, 3, 2], {}],
    [[1, 5, 5, 2], [1, 1, 2, 3], { strides: [2, 1] }],
    [[1, 5, 5, 2], [1, 1, 2, 3], { strides: [1, 2] }],
    [[1, 4, 4, 4], [1, 1, 2, 4], { groups: 2 }],
    [[1, 4, 4, 2], [1, 1, 2, 3], { padding: [[1, 1], [0, 0]] }],
    [[1, 7, 7, 2], [2, 2, 2, 3], { strides: 3, padding: [[1, 1], [1, 1]] }],
  ];
  for (const [xShape, wShape, opts] of settings) {
    const yShape = conv2dShape('conv2d', xShape, wShape, opts);
    const cases: [string, Shape[], OpFn][] = [
      ['conv2d', [xShape, wShape], (o, [a, b]) => o.conv2d(a, b, opts)],
      ['conv2dBackpropInput', [yShape, wShape], (o, [dy, b]) => o.conv2dBackpropInput(dy, b, xShape, opts)],
      ['conv2dBackpropFilter', [xShape, yShape], (o, [a, dy]) => o.conv2dBackpropFilter(a, dy, wShape, opts)],
    ];
    for (const [op, inputs, fn] of cases) {
      it(`${op} x=${JSON.stringify(xShape)} w=${JSON.stringify(wShape)} ${JSON.stringify(opts)}, channels first and as traced`, async () => {
        const xs = inputs.map((s) => draw(rng, 'normal', sizeOf(s)));
        const want = ref.readSync(fn(ref, xs.map((x, i) => ref.fromArray(x, inputs[i]))));
        for (const options of [{}, { optimize: false }] as const) {
          const model = exportTrace((tr) => ({ y: fn(tr, inputs.map((s, i) => tr.input(`x${i}`, s))) }), options);
          checkModel(model);
          const session = await ort.InferenceSession.create(model);
          const feeds = Object.fromEntries(xs.map((x, i) => [`x${i}`, new ort.Tensor('float32', Float32Array.from(x), [...inputs[i]])]));
          const got = (await session.run(feeds)).y;
          await session.release();
          const err = errors.record(op, relativeError(got.data as Float32Array, want));
          expect(err, JSON.stringify(options)).toBeLessThan(1e-4);
        }
      });
    }
  }
});

describe('channels-first upsampling and pooling by 3 between convolutions', () => {
  it('Resize reads pixel floor(i / 3) and AveragePool averages 3x3 windows', async () => {
    const shape = [1, 6, 6, 2];
    const w = draw(rng, 'normal', 3 * 3 * 2 * 2);
    const net = <T>(o: TensorOps<T>, x: T, wt: T) => {
      const up = o.upsampleNearest(o.conv2d(x, wt, { padding: 'same' }), 3);
      return o.conv2d(o.avgPool(o.conv2d(up, wt, { padding: 'same' }), 3), wt, { padding: 'same' });
    };
    const x = draw(rng, 'normal', sizeOf(shape));
    const want = ref.readSync(net(ref, ref.fromArray(x, shape), ref.fromArray(w, [3, 3, 2, 2])));
    const model = exportTrace((tr) => ({ y: net(tr, tr.input('x0', shape), tr.fromArray(w, [3, 3, 2, 2])) }));
    const ops = opTypes(model);
    expect(ops).toContain('Resize');
    expect(ops).toContain('AveragePool');
    expect(relativeError(await run(model, x, shape), want)).toBeLessThan(1e-4);
  });
});

describe('small lowerings', () => {
  it('a reduction over no axes is an identity (ONNX would reduce every axis)', async () => {
    const shape = [2, 3];
    const x = draw(rng, 'normal', 6);
    for (const op of ['sum', 'mean', 'max'] as const) {
      const model = exportTrace((tr) => ({ y: tr[op](tr.input('x0', shape), [], false) }), { optimize: false });
      expect(Array.from(await run(model, x, shape)), op).toEqual(Array.from(Float32Array.from(x)));
    }
  });

  it('a square is a Mul, other powers a Pow', () => {
    const square = opTypes(exportTrace((tr) => ({ y: tr.powScalar(tr.input('x0', [3]), 2) }), { optimize: false }));
    expect(square).toContain('Mul');
    expect(square).not.toContain('Pow');
    expect(opTypes(exportTrace((tr) => ({ y: tr.powScalar(tr.input('x0', [3]), 3) }), { optimize: false }))).toContain('Pow');
  });
});

describe('Resize attributes', () => {
  it('spells out nearest, asymmetric and floor, which runtimes need not default alike', () => {
    const model = exportTrace((tr) => ({ y: tr.conv2d(tr.upsampleNearest(tr.conv2d(tr.input('x0', [1, 2, 2, 1]), tr.fromArray(new Float32Array(1), [1, 1, 1, 1])), 2), tr.fromArray(new Float32Array(1), [1, 1, 1, 1])) }));
    const resize = decodeModelProto(model).graph?.node?.find((n) => n.opType === 'Resize');
    const attrs = Object.fromEntries((resize?.attribute ?? []).map((a) => [a.name, new TextDecoder().decode(a.s ?? new Uint8Array())]));
    expect(attrs).toEqual({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  });
});
