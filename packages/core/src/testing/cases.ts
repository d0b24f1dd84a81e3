/**
 * The primitive cases of the conformance suite: every primitive on several shapes, with the
 * broadcasting and axis edge cases that backends tend to get wrong.
 */
import type { Conv2DOptions, Shape, TensorOps } from '../tensor/ops.js';
import { conv2dShape } from '../tensor/shape.js';

/** A function of tensors written once against TensorOps, run on the backend and on the reference. */
export type OpFn = <U>(o: TensorOps<U>, xs: readonly U[]) => U;

/**
 * How an input is drawn. normal: N(0, 1); positive: U[0.5, 2] (domains of log, sqrt, pow);
 * mask: 0/1 values; int: values in {-1, 0, 1} so that ties occur. mask and int inputs are
 * not differentiated (they feed comparisons and conditions).
 */
export type InputKind = 'normal' | 'positive' | 'mask' | 'int';

/** One primitive on fixed input shapes: checked for its value, its JVP and its VJP against the reference. */
export interface PrimitiveCase {
  /** The op and its shapes, e.g. 'add [3,1] [1,4]'. */
  readonly name: string;
  /** The shape of each input. */
  readonly inputs: readonly Shape[];
  /** How each input is drawn. Default 'normal' for every input. */
  readonly kinds?: readonly InputKind[];
  /** The call under test. */
  readonly fn: OpFn;
  /** false for ops whose derivative is zero everywhere (comparisons). */
  readonly differentiable?: boolean;
}

const unary = (name: string, f: <U>(o: TensorOps<U>, x: U) => U, shape: Shape = [3, 4], kind: InputKind = 'normal'): PrimitiveCase => ({
  name: `${name} ${JSON.stringify(shape)}`,
  inputs: [shape],
  kinds: [kind],
  fn: (o, [x]) => f(o, x),
});

const binaryShapes: [Shape, Shape][] = [
  [[3, 4], [3, 4]],
  [[2, 3, 4], [4]],
  [[3, 1], [1, 4]],
  [[], [2, 3]],
  [[2, 1, 3], [4, 1]],
];

const binary = (
  name: 'add' | 'sub' | 'mul' | 'div' | 'maximum',
  kinds: [InputKind, InputKind] = ['normal', 'normal'],
): PrimitiveCase[] =>
  binaryShapes.map(([a, b]) => ({
    name: `${name} ${JSON.stringify(a)} ${JSON.stringify(b)}`,
    inputs: [a, b],
    kinds,
    fn: (o, [x, y]) => o[name](x, y),
  }));

type Reduction = 'sum' | 'mean' | 'max';
const reductionAxes: [readonly number[] | undefined, boolean][] = [
  [undefined, false],
  [[1], false],
  [[-1], true],
  [[0, 2], false],
  [[0, 1, 2], true],
];
const reductions = (name: Reduction): PrimitiveCase[] =>
  reductionAxes.map(([axes, keep]) => ({
    name: `${name} [2,3,4] axes=${JSON.stringify(axes)} keepDims=${keep}`,
    inputs: [[2, 3, 4]],
    fn: (o, [x]) => o[name](x, axes, keep),
  }));

const convSettings: { x: Shape; w: Shape; opts: Conv2DOptions }[] = [
  { x: [2, 5, 5, 3], w: [3, 3, 3, 4], opts: {} },
  { x: [2, 5, 6, 3], w: [3, 3, 3, 2], opts: { strides: 2, padding: 'same' } },
  { x: [1, 6, 5, 2], w: [2, 3, 2, 3], opts: { strides: [2, 1], padding: [[1, 0], [0, 2]] } },
  { x: [1, 6, 6, 4], w: [3, 3, 2, 6], opts: { padding: 'same', groups: 2 } },
  { x: [1, 4, 4, 3], w: [3, 3, 1, 3], opts: { padding: 'same', groups: 3 } },
  { x: [2, 4, 4, 3], w: [1, 1, 3, 5], opts: {} },
];

const convCases = (): PrimitiveCase[] =>
  convSettings.flatMap(({ x, w, opts }) => {
    const y = conv2dShape('conv2d', x, w, opts);
    const tag = `x=${JSON.stringify(x)} w=${JSON.stringify(w)} ${JSON.stringify(opts)}`;
    return [
      { name: `conv2d ${tag}`, inputs: [x, w], fn: (o, [a, b]) => o.conv2d(a, b, opts) },
      { name: `conv2dBackpropInput ${tag}`, inputs: [y, w], fn: (o, [dy, b]) => o.conv2dBackpropInput(dy, b, x, opts) },
      { name: `conv2dBackpropFilter ${tag}`, inputs: [x, y], fn: (o, [a, dy]) => o.conv2dBackpropFilter(a, dy, w, opts) },
    ] satisfies PrimitiveCase[];
  });

const matmulCases: [Shape, Shape, { transposeA?: boolean; transposeB?: boolean }][] = [
  [[3, 4], [4, 5], {}],
  [[4, 3], [4, 5], { transposeA: true }],
  [[3, 4], [5, 4], { transposeB: true }],
  [[4, 3], [5, 4], { transposeA: true, transposeB: true }],
  [[2, 3, 4], [2, 4, 5], {}],
  [[2, 3, 4], [4, 5], {}],
  [[2, 1, 3, 4], [3, 4, 2], {}],
  [[2, 4, 3], [2, 2, 4], { transposeA: true, transposeB: true }],
];

/** Every primitive of TensorOps on several shapes, including broadcasting, negative-axis and conv padding edge cases. */
export function primitiveCases(): PrimitiveCase[] {
  return [
    unary('neg', (o, x) => o.neg(x)),
    unary('exp', (o, x) => o.exp(x)),
    unary('exp', (o, x) => o.exp(x), []),
    unary('log', (o, x) => o.log(x), [3, 4], 'positive'),
    unary('sqrt', (o, x) => o.sqrt(x), [3, 4], 'positive'),
    unary('rsqrt', (o, x) => o.rsqrt(x), [2, 5], 'positive'),
    unary('sin', (o, x) => o.sin(x)),
    unary('cos', (o, x) => o.cos(x)),
    unary('tanh', (o, x) => o.tanh(x)),
    unary('sigmoid', (o, x) => o.sigmoid(x), [4, 1, 3]),
    unary('powScalar^2', (o, x) => o.powScalar(x, 2)),
    unary('powScalar^3', (o, x) => o.powScalar(x, 3)),
    unary('powScalar^0.5', (o, x) => o.powScalar(x, 0.5), [3, 4], 'positive'),
    unary('powScalar^-1.5', (o, x) => o.powScalar(x, -1.5), [3, 4], 'positive'),
    ...binary('add'),
    ...binary('sub'),
    ...binary('mul'),
    ...binary('div', ['normal', 'positive']),
    ...binary('maximum'),
    {
      name: 'greater [3,4] [4]',
      inputs: [[3, 4], [4]],
      kinds: ['int', 'int'],
      fn: (o, [a, b]) => o.greater(a, b),
      differentiable: false,
    },
    {
      name: 'equal [3,4] [3,1]',
      inputs: [[3, 4], [3, 1]],
      kinds: ['int', 'int'],
      fn: (o, [a, b]) => o.equal(a, b),
      differentiable: false,
    },
    {
      name: 'select mask[3,1] [3,4] [4]',
      inputs: [[3, 1], [3, 4], [4]],
      kinds: ['mask', 'normal', 'normal'],
      fn: (o, [c, a, b]) => o.select(c, a, b),
    },
    {
      name: 'select mask[2,3] [] [3]',
      inputs: [[2, 3], [], [3]],
      kinds: ['mask', 'normal', 'normal'],
      fn: (o, [c, a, b]) => o.select(c, a, b),
    },
    ...reductions('sum'),
    ...reductions('mean'),
    ...reductions('max'),
    { name: 'reshape [2,3,4] -> [6,4]', inputs: [[2, 3, 4]], fn: (o, [x]) => o.reshape(x, [6, 4]) },
    { name: 'reshape [2,3,4] -> [-1]', inputs: [[2, 3, 4]], fn: (o, [x]) => o.reshape(x, [-1]) },
    { name: 'reshape [] -> [1,1]', inputs: [[]], fn: (o, [x]) => o.reshape(x, [1, 1]) },
    { name: 'transpose [2,3,4] [2,0,1]', inputs: [[2, 3, 4]], fn: (o, [x]) => o.transpose(x, [2, 0, 1]) },
    { name: 'transpose [2,3,4,5] [0,3,1,2]', inputs: [[2, 3, 4, 5]], fn: (o, [x]) => o.transpose(x, [0, 3, 1, 2]) },
    { name: 'broadcastTo [3,1] -> [2,3,4]', inputs: [[3, 1]], fn: (o, [x]) => o.broadcastTo(x, [2, 3, 4]) },
    { name: 'broadcastTo [] -> [2,2]', inputs: [[]], fn: (o, [x]) => o.broadcastTo(x, [2, 2]) },
    { name: 'slice [4,5] [1,2] [2,-1]', inputs: [[4, 5]], fn: (o, [x]) => o.slice(x, [1, 2], [2, -1]) },
    { name: 'slice [2,3,4] [0,1,1] [2,1,2]', inputs: [[2, 3, 4]], fn: (o, [x]) => o.slice(x, [0, 1, 1], [2, 1, 2]) },
    {
      name: 'concat axis 1',
      inputs: [[2, 1, 3], [2, 4, 3], [2, 2, 3]],
      fn: (o, xs) => o.concat(xs, 1),
    },
    { name: 'concat axis -1', inputs: [[3, 2], [3, 3]], fn: (o, xs) => o.concat(xs, -1) },
    { name: 'pad [2,3] value 0', inputs: [[2, 3]], fn: (o, [x]) => o.pad(x, [[1, 0], [2, 1]]) },
    { name: 'pad [1,2,2,1] value 0.5', inputs: [[1, 2, 2, 1]], fn: (o, [x]) => o.pad(x, [[0, 0], [1, 1], [0, 2], [0, 0]], 0.5) },
    ...matmulCases.map(([a, b, opts]) => ({
      name: `matmul ${JSON.stringify(a)} ${JSON.stringify(b)} ${JSON.stringify(opts)}`,
      inputs: [a, b],
      fn: (<U>(o: TensorOps<U>, [x, y]: readonly U[]) => o.matmul(x, y, opts)) as OpFn,
    })),
    ...convCases(),
    { name: 'upsampleNearest x2', inputs: [[1, 2, 3, 2]], fn: (o, [x]) => o.upsampleNearest(x, 2) },
    { name: 'upsampleNearest x3', inputs: [[2, 1, 2, 1]], fn: (o, [x]) => o.upsampleNearest(x, 3) },
    { name: 'avgPool /2', inputs: [[2, 4, 6, 3]], fn: (o, [x]) => o.avgPool(x, 2) },
    { name: 'avgPool /3', inputs: [[1, 3, 3, 2]], fn: (o, [x]) => o.avgPool(x, 3) },
  ];
}
