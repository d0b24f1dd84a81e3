import { describe, expect, it } from 'vitest';
import { adam, createClassifier, Rng, scalarTensors, valueAndGrad, type TensorOps } from '../src/index.js';
import { ReferenceOps, assertClose, centralDifference } from '../src/testing/index.js';
import { dot } from '../src/testing/numeric.js';
import { groupNorm, silu } from '../src/nn/functional.js';

const o = new ReferenceOps();

/** One-hot rows [n, classes] (no null class: the classifier has none). */
const oneHot = (labels: ArrayLike<number>, classes: number) =>
  o.fromArray(Float64Array.from({ length: labels.length * classes }, (_, j) => Number(labels[Math.floor(j / classes)] === j % classes)), [labels.length, classes]);

const B = 4;

/** Built inside each test: Stryker does not activate its mutants in time for code run while test files load. */
function fixture() {
  const net = createClassifier({ imageSize: 8, channels: 1, numClasses: 3, width: 4, normGroups: 2 });
  const params = Object.fromEntries(Object.entries(net.init(new Rng(1))).map(([k, v]) => [k, o.fromArray(v.data, v.shape)]));
  const rng = new Rng(2);
  return { net, params, rng, x: o.fromArray(rng.normal64(B * 8 * 8), [B, 8, 8, 1]), onehot: oneHot([0, 1, 2, 1], 3) };
}

describe('classifier', () => {

  it('gives features [B, width 2^(stages - 1)], logits [B, classes] and a scalar loss', () => {
    const { net, params, x, onehot } = fixture();
    expect(net.featureDim).toBe(8);
    expect(o.shape(net.features(o, params, x))).toEqual([B, 8]);
    const logits = net.logits(o, params, x);
    expect(o.shape(logits)).toEqual([B, 3]);
    expect(o.shape(net.crossEntropy(o, logits, onehot))).toEqual([]);
  });

  it('cross-entropy is the mean negative log-likelihood, finite for huge logits', () => {
    const { net } = fixture();
    const logits = o.fromArray([1000, 0, -1000, 2, 2, 2], [2, 3]);
    const y = o.fromArray([0, 1, 0, 0, 0, 1], [2, 3]);
    // Row 1: -log softmax picks 1000 - 1000 = 0 away from the max; row 2: log 3.
    expect(o.readSync(net.crossEntropy(o, logits, y))[0]).toBeCloseTo((1000 + Math.log(3)) / 2, 12);
  });

  it('its gradient matches float64 central differences along each parameter', () => {
    const { net, params, rng, x, onehot } = fixture();
    const loss = <T,>(ops: TensorOps<T>, p: Record<string, T>, xs: T, ys: T) => net.crossEntropy(ops, net.logits(ops, p, xs), ys);
    const { grads } = valueAndGrad(o, (tape, p) => loss(tape, p, tape.lift(x), tape.lift(onehot)), params);
    const names = Object.keys(params);
    const values = names.map((k) => o.readSync(params[k]) as Float64Array);
    const f = (xs: readonly Float64Array[]) =>
      o.readSync(loss(o, Object.fromEntries(names.map((k, i) => [k, o.fromArray(xs[i], o.shape(params[k]))])), x, onehot));
    for (const [i, k] of names.entries()) {
      const v = rng.normal64(values[i].length).map((z) => z / Math.sqrt(values[i].length));
      const fd = centralDifference(f, values, names.map((_, j) => (j === i ? v : null)));
      assertClose([dot(o.readSync(grads[k]), v)], fd, 1e-6, `gradient of ${k}`);
    }
  });

  it('rejects sizes the pooling cannot halve and widths the groups do not divide', () => {
    expect(() => createClassifier({ imageSize: 28, channels: 1, numClasses: 10, width: 8, stages: 3 })).toThrow(
      'classifier: imageSize 28 is not divisible by 2^3, which 3 pooling stages need',
    );
    expect(() => createClassifier({ imageSize: 8, channels: 1, numClasses: 10, width: 6 })).toThrow('classifier: width 6 is not divisible by normGroups 8');
    expect(createClassifier({ imageSize: 28, channels: 1, numClasses: 10, width: 8 }).featureDim).toBe(16);
  });

  const valid = { imageSize: 8, channels: 1, numClasses: 3, width: 4, stages: 1, normGroups: 2 };
  it.each((['imageSize', 'channels', 'numClasses', 'width', 'stages', 'normGroups'] as const).flatMap((key) => [0, -1, 2.5].map((v) => [key, v] as const)))(
    'rejects %s = %s by name',
    (key, value) => {
      expect(() => createClassifier({ ...valid, [key]: value })).toThrow(`classifier: ${key} must be a positive integer, got ${value}`);
    },
  );

  it('accepts 1 for every size, and defaults to 2 stages of 8 groups', () => {
    expect(createClassifier({ imageSize: 2, channels: 1, numClasses: 1, width: 1, stages: 1, normGroups: 1 }).featureDim).toBe(1);
    expect(createClassifier({ imageSize: 4, channels: 1, numClasses: 2, width: 8 }).config).toEqual({ imageSize: 4, channels: 1, numClasses: 2, width: 8, stages: 2, normGroups: 8 });
  });

  it('3 stages double the channels twice: exactly these parameters, features of width 4 x width', () => {
    const net = createClassifier({ imageSize: 8, channels: 2, numClasses: 5, width: 4, stages: 3, normGroups: 2 });
    const shapes = Object.fromEntries(Object.entries(net.init(new Rng(1))).map(([k, v]) => [k, [...v.shape]]));
    expect(shapes).toEqual({
      'stages.0.conv.weight': [3, 3, 2, 4],
      'stages.0.conv.bias': [4],
      'stages.1.conv.weight': [3, 3, 4, 8],
      'stages.1.conv.bias': [8],
      'stages.2.conv.weight': [3, 3, 8, 16],
      'stages.2.conv.bias': [16],
      'head.weight': [16, 5],
      'head.bias': [5],
    });
    expect(net.featureDim).toBe(16);
  });

  it('features are the global average of the last stage; logits a linear layer of them', () => {
    // An independent forward pass from the layer functions, stage by stage.
    const net = createClassifier({ imageSize: 8, channels: 1, numClasses: 3, width: 4, stages: 2, normGroups: 2 });
    const rng = new Rng(7);
    // Biases start at zero; random ones show that each is added.
    const p = Object.fromEntries(Object.entries(net.init(rng)).map(([k, v]) => [k, o.fromArray(k.endsWith('.bias') ? rng.normal64(v.data.length) : v.data, v.shape)]));
    const xs = o.fromArray(rng.normal64(2 * 64), [2, 8, 8, 1]);
    let h = xs;
    for (const s of [0, 1]) {
      const a = o.add(o.conv2d(h, p[`stages.${s}.conv.weight`], { padding: 'same' }), p[`stages.${s}.conv.bias`]);
      h = o.avgPool(silu(o, groupNorm(o, a, 2)), 2);
    }
    const features = o.mean(h, [1, 2]);
    assertClose(o.readSync(net.features(o, p, xs)), o.readSync(features), 1e-12, 'features');
    const logits = o.add(o.matmul(features, p['head.weight']), p['head.bias']);
    assertClose(o.readSync(net.logits(o, p, xs)), o.readSync(logits), 1e-12, 'logits');
  });
});

/** Bright top half (class 0) or bright bottom half (class 1), plus noise. */
function halves(rng: Rng, n: number, size: number) {
  const labels = rng.randint(n, 2);
  const noise = rng.normal(n * size * size);
  const x = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < size; r++) {
      const bright = (r < size / 2) === (labels[i] === 0);
      for (let c = 0; c < size; c++) x[(i * size + r) * size + c] = (bright ? 1 : -1) + 0.5 * noise[(i * size + r) * size + c];
    }
  }
  return { x: o.fromArray(x, [n, size, size, 1]), labels, onehot: oneHot(labels, 2) };
}

it('training with Adam separates bright-top from bright-bottom images (> 95% held out)', () => {
  const size = 8;
  const net = createClassifier({ imageSize: size, channels: 1, numClasses: 2, width: 8 });
  let params = Object.fromEntries(Object.entries(net.init(new Rng(3))).map(([k, v]) => [k, o.fromArray(v.data, v.shape)]));
  const optimizer = adam();
  let state = optimizer.init(o, params);
  const rng = new Rng(4);
  for (let step = 1; step <= 30; step++) {
    const batch = halves(rng, 16, size);
    const { grads } = valueAndGrad(o, (tape, p) => net.crossEntropy(tape, net.logits(tape, p, tape.lift(batch.x)), tape.lift(batch.onehot)), params);
    ({ params, state } = optimizer.apply(o, params, grads, state, scalarTensors(o, optimizer.scalars(step, 1e-2))));
  }
  const test = halves(new Rng(5), 200, size);
  const logits = o.readSync(net.logits(o, params, test.x));
  let correct = 0;
  for (let i = 0; i < 200; i++) if (Number(logits[2 * i + 1] > logits[2 * i]) === test.labels[i]) correct++;
  expect(correct / 200).toBeGreaterThan(0.95);
});
