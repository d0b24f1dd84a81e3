/**
 * The conformance suite: written once, run unchanged by every adapter. It returns plain cases
 * (name + run) so any test runner can register them and core needs no test framework.
 *
 * Ground truth is the float64 reference ops: primitive values are compared with it, and every JVP
 * and VJP (computed on the backend under test) is compared with float64 central finite differences
 * of the same function on the reference.
 */
import type { HostArray, Shape, TensorOps } from '../tensor/ops.js';
import { sizeOf } from '../tensor/shape.js';
import { jvp } from '../autodiff/jvp.js';
import { valueAndGrad } from '../autodiff/tape.js';
import { Rng } from '../random/index.js';
import { ReferenceOps } from './reference.js';
import { primitiveCases, type InputKind, type OpFn, type PrimitiveCase } from './cases.js';
import { compositeNets, type CompositeNet } from './composites.js';
import { assertClose, assertShape, centralDifference, dot } from './numeric.js';

/** One check of the conformance suite, to register with a test runner. */
export interface ConformanceCase {
  /** The check's title, e.g. 'jvp: add [3,4] [3,4] (tangent on inputs 0)'. */
  readonly name: string;
  /** Runs the check; rejects with a message naming the op, shapes and error when it fails. */
  run(): Promise<void>;
}

/** Options of {@link conformanceCases}. */
export interface ConformanceOptions {
  /** Relative tolerance: 1e-6 for float64 backends, 1e-3 for float32 ones. */
  readonly tolerance: number;
  /** Live tensor count of the backend, to check that repeated training steps leak nothing. */
  readonly liveTensors?: () => number;
  /** Seed of the input draws. Default 1234. */
  readonly seed?: number;
}

const ref = new ReferenceOps();

/** Inputs of a kind, rounded to float32 so float32 backends and the reference see the same numbers. */
export function draw(rng: Rng, kind: InputKind, n: number): Float64Array {
  const out = new Float64Array(n);
  const u = rng.uniform64(n);
  const z = rng.normal64(n);
  for (let i = 0; i < n; i++) {
    const v = kind === 'normal' ? z[i] : kind === 'positive' ? 0.5 + 1.5 * u[i] : kind === 'mask' ? (u[i] < 0.5 ? 0 : 1) : Math.floor(u[i] * 3) - 1;
    // Inputs are float32-representable so the float32 backend and the reference see the same numbers.
    out[i] = Math.fround(v);
  }
  return out;
}

const drawAll = (rng: Rng, shapes: readonly Shape[], kinds: readonly InputKind[]) =>
  shapes.map((s, i) => draw(rng, kinds[i], sizeOf(s)));

/** Runs fn on the reference in float64 and returns its output values. */
function refEval(fn: OpFn, shapes: readonly Shape[]) {
  return (xs: readonly Float64Array[]): HostArray => ref.readSync(fn(ref, xs.map((x, i) => ref.fromArray(x, shapes[i]))));
}

function readAll<T>(ops: TensorOps<T>, xs: readonly T[]): Promise<HostArray[]> {
  return Promise.all(xs.map((x) => ops.read(x)));
}

function primitiveChecks<T>(ops: TensorOps<T>, c: PrimitiveCase, opts: ConformanceOptions, rng: Rng): ConformanceCase[] {
  const tol = opts.tolerance;
  const kinds = c.kinds ?? c.inputs.map(() => 'normal' as const);
  const diffIdx = c.inputs.map((_, i) => i).filter((i) => c.differentiable !== false && (kinds[i] === 'normal' || kinds[i] === 'positive'));
  const xs = drawAll(rng, c.inputs, kinds);
  const expected = refEval(c.fn, c.inputs)(xs);
  const expectedShape = ref.shape(c.fn(ref, xs.map((x, i) => ref.fromArray(x, c.inputs[i]))));
  const checks: ConformanceCase[] = [
    {
      name: `value: ${c.name}`,
      async run() {
        const out = ops.tidy(() => ops.keep(c.fn(ops, xs.map((x, i) => ops.fromArray(x, c.inputs[i])))));
        assertShape(ops.shape(out), expectedShape, `${ops.name} ${c.name}`);
        const got = await ops.read(out);
        ops.dispose(out);
        assertClose(got, expected, tol, `${ops.name} ${c.name}`);
      },
    },
  ];
  if (diffIdx.length === 0) return checks;

  // Tangents on all differentiable inputs at once, then on each alone (exercises the zero-tangent paths).
  const tangentSets = diffIdx.length > 1 ? [diffIdx, ...diffIdx.map((i) => [i])] : [diffIdx];
  for (const set of tangentSets) {
    const vs = c.inputs.map((s, i) => (set.includes(i) ? draw(rng, 'normal', sizeOf(s)) : null));
    const fd = centralDifference(refEval(c.fn, c.inputs), xs, vs);
    checks.push({
      name: `jvp: ${c.name} (tangent on inputs ${set.join(',')})`,
      async run() {
        const { tangent } = jvp(
          ops,
          (d, ...ins) => c.fn(d, ins),
          xs.map((x, i) => ops.fromArray(x, c.inputs[i])),
          vs.map((v, i) => (v ? ops.fromArray(v, c.inputs[i]) : null)),
        );
        const [got] = await readAll(ops, [tangent]);
        assertClose(got, fd, tol, `${ops.name} jvp ${c.name}`);
      },
    });
  }

  // Reverse mode: <grad_i <u, f(x)>, v_i> against the finite difference of <u, f(x)> along v_i.
  const u = draw(rng, 'normal', expected.length);
  for (const i of diffIdx) {
    const v = draw(rng, 'normal', sizeOf(c.inputs[i]));
    const vs = c.inputs.map((_, k) => (k === i ? v : null));
    const fd = dot(u, centralDifference(refEval(c.fn, c.inputs), xs, vs));
    checks.push({
      name: `vjp: ${c.name} (input ${i})`,
      async run() {
        const others = xs.map((x, k) => ops.fromArray(x, c.inputs[k]));
        const uT = ops.fromArray(u, expectedShape);
        const { grads } = valueAndGrad(
          ops,
          (tape, p) => {
            const ins = others.map((x, k) => (k === i ? p.x : tape.lift(x)));
            return tape.sum(tape.mul(c.fn(tape, ins), tape.lift(uT)));
          },
          { x: others[i] },
        );
        assertShape(ops.shape(grads.x), c.inputs[i], `${ops.name} vjp ${c.name}`);
        const [g] = await readAll(ops, [grads.x]);
        ops.dispose([...others, uT, grads.x]);
        assertClose([dot(g, v)], [fd], tol, `${ops.name} vjp ${c.name} input ${i}`);
      },
    });
  }
  return checks;
}

interface NetData {
  names: string[];
  shapes: Shape[];
  values: Float64Array[];
}

function netData(net: CompositeNet, rng: Rng): NetData {
  const names = Object.keys(net.params);
  const shapes = [net.inputShape, ...names.map((k) => net.params[k])];
  // Weights scaled by 1/sqrt(fan-in) keep activations O(1), where finite differences are reliable.
  const values = shapes.map((s, i) => {
    const z = draw(rng, 'normal', sizeOf(s));
    const fanIn = i === 0 ? 1 : sizeOf(s.slice(0, -1));
    return z.map((v) => Math.fround(v / Math.sqrt(fanIn)));
  });
  return { names: ['x', ...names], shapes, values };
}

const netFn = (net: CompositeNet, names: string[]): OpFn => (o, xs) =>
  net.forward(o, Object.fromEntries(names.slice(1).map((k, i) => [k, xs[i + 1]])), xs[0]);

/** The loss used by the gradient checks: half the mean square of the output. */
const netLoss = (net: CompositeNet, names: string[]): OpFn => (o, xs) => {
  const y = netFn(net, names)(o, xs);
  return o.mul(o.mean(o.mul(y, y)), o.fill([], 0.5));
};

/** Gradient of the loss with respect to every parameter (not x), concatenated into one vector. */
function flatGrad<T>(o: TensorOps<T>, net: CompositeNet, names: string[], xs: readonly T[]): T {
  const params = Object.fromEntries(names.slice(1).map((k, i) => [k, xs[i + 1]]));
  const { grads } = valueAndGrad(o, (tape, p) => netLoss(net, names)(tape, [tape.lift(xs[0]), ...names.slice(1).map((k) => p[k])]), params);
  return o.concat(names.slice(1).map((k) => o.reshape(grads[k], [-1])), 0);
}

function compositeChecks<T>(ops: TensorOps<T>, net: CompositeNet, opts: ConformanceOptions, rng: Rng): ConformanceCase[] {
  const tol = opts.tolerance;
  const { names, shapes, values } = netData(net, rng);
  const upload = () => values.map((v, i) => ops.fromArray(v, shapes[i]));
  const tangents = shapes.map((s) => draw(rng, 'normal', sizeOf(s)));
  const refTensors = (xs: readonly Float64Array[]) => xs.map((x, i) => ref.fromArray(x, shapes[i]));
  return [
    {
      name: `composite value: ${net.name}`,
      async run() {
        const xs = upload();
        const out = ops.tidy(() => ops.keep(netFn(net, names)(ops, xs)));
        const got = await ops.read(out);
        ops.dispose([...xs, out]);
        assertClose(got, refEval(netFn(net, names), shapes)(values), tol, `${ops.name} ${net.name} forward`);
      },
    },
    {
      name: `composite jvp vs finite differences: ${net.name}`,
      async run() {
        const fd = centralDifference(refEval(netFn(net, names), shapes), values, tangents);
        const xs = upload();
        const { tangent } = jvp(ops, (d, ...ins) => netFn(net, names)(d, ins), xs, tangents.map((t, i) => ops.fromArray(t, shapes[i])));
        const got = await ops.read(tangent);
        ops.dispose([...xs, tangent]);
        assertClose(got, fd, tol, `${ops.name} ${net.name} jvp`);
      },
    },
    {
      name: `composite gradient vs finite differences: ${net.name}`,
      async run() {
        const paramTangents = tangents.map((t, i) => (i === 0 ? null : t));
        const fd = centralDifference(refEval(netLoss(net, names), shapes), values, paramTangents);
        const xs = upload();
        const g = ops.tidy(() => ops.keep(flatGrad(ops, net, names, xs)));
        const got = await ops.read(g);
        ops.dispose([...xs, g]);
        const v = concatHost(tangents.slice(1));
        assertClose([dot(got, v)], fd, tol, `${ops.name} ${net.name} gradient`);
      },
    },
    {
      name: `composite jvp(valueAndGrad) vs finite differences of the gradient: ${net.name}`,
      async run() {
        // Hessian-vector product in forward-over-reverse mode on the backend, against central
        // differences of the reference gradient.
        const gradAt = (xs: readonly Float64Array[]) => ref.readSync(flatGrad(ref, net, names, refTensors(xs)));
        const fd = centralDifference(gradAt, values, tangents);
        const xs = upload();
        const { tangent } = jvp(ops, (d, ...ins) => flatGrad(d, net, names, ins), xs, tangents.map((t, i) => ops.fromArray(t, shapes[i])));
        const got = await ops.read(tangent);
        ops.dispose([...xs, tangent]);
        assertClose(got, fd, tol, `${ops.name} ${net.name} jvp(valueAndGrad)`);
      },
    },
  ];
}

function concatHost(xs: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(xs.reduce((n, x) => n + x.length, 0));
  let offset = 0;
  for (const x of xs) {
    out.set(x, offset);
    offset += x.length;
  }
  return out;
}

function leakCheck<T>(ops: TensorOps<T>, liveTensors: () => number, rng: Rng): ConformanceCase {
  return {
    name: 'memory: repeated forward + jvp + gradient steps leave the live-tensor count unchanged',
    async run() {
      const { names, shapes, values } = netData(compositeNets[1], rng);
      const xs = values.map((v, i) => ops.fromArray(v, shapes[i]));
      const ts = xs.map((x) => ops.fill(ops.shape(x), 0.1));
      const step = () => {
        const a = jvp(ops, (d, ...ins) => netFn(compositeNets[1], names)(d, ins), xs, ts);
        const g = ops.tidy(() => ops.keep(flatGrad(ops, compositeNets[1], names, xs)));
        ops.dispose([a.primal, a.tangent, g]);
      };
      step();
      const before = liveTensors();
      for (let k = 0; k < 3; k++) step();
      const after = liveTensors();
      ops.dispose([...xs, ...ts]);
      if (after !== before) throw new Error(`${ops.name}: live tensors went from ${before} to ${after} over 3 steps`);
    },
  };
}

function shapeErrorChecks<T>(ops: TensorOps<T>): ConformanceCase[] {
  const expectThrow = (label: string, pattern: RegExp, f: () => unknown): ConformanceCase => ({
    name: `shape error: ${label}`,
    async run() {
      let message = '';
      try {
        ops.tidy(() => {
          f();
        });
      } catch (e) {
        message = (e as Error).message;
      }
      if (!pattern.test(message)) throw new Error(`${ops.name} ${label}: expected an error matching ${pattern}, got "${message}"`);
    },
  });
  const t = (s: Shape) => ops.fill(s, 1);
  return [
    expectThrow('add [2,3] + [4]', /add.*\[2, 3\].*\[4\]/, () => ops.add(t([2, 3]), t([4]))),
    expectThrow('matmul [2,3] x [4,5]', /matmul.*\[2, 3\].*\[4, 5\]/, () => ops.matmul(t([2, 3]), t([4, 5]))),
    expectThrow('conv2d channels', /conv2d.*\[1, 4, 4, 3\].*\[3, 3, 2, 4\]/, () => ops.conv2d(t([1, 4, 4, 3]), t([3, 3, 2, 4]))),
    expectThrow('reshape [2,3] -> [4]', /reshape.*\[2, 3\].*\[4\]/, () => ops.reshape(t([2, 3]), [4])),
    expectThrow('fromArray size', /fromArray.*\[2, 2\]/, () => ops.fromArray(new Float32Array(3), [2, 2])),
  ];
}

/** Every conformance case for `ops`; register each with the test runner of your choice. */
export function conformanceCases<T>(ops: TensorOps<T>, options: ConformanceOptions): ConformanceCase[] {
  const rng = new Rng(options.seed ?? 1234);
  const cases = [
    ...primitiveCases().flatMap((c) => primitiveChecks(ops, c, options, rng)),
    ...compositeNets.flatMap((net) => compositeChecks(ops, net, options, rng)),
    ...shapeErrorChecks(ops),
  ];
  if (options.liveTensors) cases.push(leakCheck(ops, options.liveTensors, rng));
  return cases;
}
