/**
 * The ONNX operators the checker knows (those the lowering emits, each with one output), with the
 * input counts and required attributes of each version (from the ONNX operator spec, Changelog.md).
 * A model is checked against the newest version of each operator that its opset includes, as
 * runtimes resolve them.
 */
interface OpVersion {
  /** The opset that introduced this version. */
  readonly since: number;
  /** [min, max] inputs; optional trailing inputs may be omitted. */
  readonly inputs: readonly [number, number];
  readonly required?: readonly string[];
}

const MANY = Infinity;
const one = (since: number, inputs: [number, number], extra: Partial<OpVersion> = {}): OpVersion => ({ since, inputs, ...extra });
const unary = (since: number) => [one(since, [1, 1])];
const binary = (since: number) => [one(since, [2, 2])];

const SCHEMAS: Record<string, readonly OpVersion[]> = {
  Identity: unary(1),
  Neg: unary(6),
  Exp: unary(6),
  Log: unary(6),
  Sqrt: unary(6),
  Reciprocal: unary(6),
  Sin: unary(7),
  Cos: unary(7),
  Tanh: unary(6),
  Sigmoid: unary(6),
  Pow: binary(7),
  Add: binary(7),
  Sub: binary(7),
  Mul: binary(7),
  Div: binary(7),
  Greater: binary(7),
  Equal: binary(7),
  Max: [one(8, [1, MANY])],
  Where: [one(9, [3, 3])],
  Cast: [one(6, [1, 1], { required: ['to'] })],
  // ReduceSum takes its axes as an input from opset 13; the others only from opset 18.
  ReduceSum: [one(1, [1, 1]), one(13, [1, 2])],
  ReduceMean: [one(1, [1, 1]), one(18, [1, 2])],
  ReduceMax: [one(1, [1, 1]), one(18, [1, 2])],
  Reshape: [one(5, [2, 2])],
  Transpose: unary(1),
  Expand: binary(8),
  Slice: [one(1, [1, 1], { required: ['starts', 'ends'] }), one(10, [3, 5])],
  Concat: [one(4, [1, MANY], { required: ['axis'] })],
  Pad: [one(2, [1, 1], { required: ['pads'] }), one(11, [2, 3]), one(18, [2, 4])],
  Shape: unary(1),
  MatMul: binary(1),
  Conv: [one(1, [2, 3])],
  ConvTranspose: [one(1, [2, 3])],
  Resize: [one(10, [2, 2]), one(11, [1, 4])],
  AveragePool: [one(1, [1, 1], { required: ['kernel_shape'] })],
  InstanceNormalization: [one(1, [3, 3])],
  Softmax: unary(1),
};

/** The version of `opType` in effect at `opset`, or undefined if the opset does not have the op. */
export function opVersion(opType: string, opset: number): OpVersion | undefined {
  const versions = SCHEMAS[opType];
  if (!versions) return undefined;
  let found: OpVersion | undefined;
  for (const v of versions) if (v.since <= opset) found = v;
  return found;
}
