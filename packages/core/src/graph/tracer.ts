/**
 * A TensorOps whose tensors are graph nodes: running any computation on it (a model, a sampler, a
 * JVP, a whole training step) records a static graph instead of computing. Shapes are inferred by
 * the same checks every backend runs, so a trace fails where a backend would, with the same message.
 */
import type { Conv2DOptions, HostArray, MatMulOptions, Shape, TensorOps } from '../tensor/ops.js';
import * as S from '../tensor/shape.js';
import type { Graph, GraphNode, NodeAttrs } from './ir.js';

/** A traced tensor: a node of the graph being recorded, and its (statically known) shape. */
export class Sym {
  constructor(
    /** The node's id in the trace. */
    readonly id: number,
    /** The tensor's shape, inferred with core's shape rules. */
    readonly shape: Shape,
  ) {}
}

export class TraceOps implements TensorOps<Sym> {
  readonly name = 'trace';
  private readonly nodes: GraphNode[] = [];
  private readonly inputs: { name: string; id: number }[] = [];

  private node(attrs: NodeAttrs, inputs: readonly Sym[], shape: Shape): Sym {
    const id = this.nodes.length;
    this.nodes.push({ id, attrs, inputs: inputs.map((x) => x.id), shape: [...shape] });
    return new Sym(id, shape);
  }

  /** A named graph input of a fixed shape. */
  input(name: string, shape: Shape): Sym {
    if (this.inputs.some((i) => i.name === name)) throw new Error(`trace: input "${name}" is declared twice`);
    S.checkShape('input', shape);
    const s = this.node({ op: 'input', name }, [], shape);
    this.inputs.push({ name, id: s.id });
    return s;
  }

  /** The recorded graph with the given named outputs, pruned to what they depend on. */
  graph(outputs: Record<string, Sym>): Graph {
    const live = new Set<number>();
    const stack = Object.values(outputs).map((s) => s.id);
    while (stack.length > 0) {
      const id = stack.pop() as number;
      if (live.has(id)) continue;
      live.add(id);
      stack.push(...this.nodes[id].inputs);
    }
    // Inputs stay even when unused, so the graph's interface is what the caller declared.
    for (const i of this.inputs) live.add(i.id);
    return {
      nodes: this.nodes.filter((n) => live.has(n.id)),
      inputs: [...this.inputs],
      outputs: Object.entries(outputs).map(([name, s]) => ({ name, id: s.id })),
    };
  }

  fromArray(data: HostArray | readonly number[], shape: Shape): Sym {
    S.checkData('fromArray', data.length, shape);
    return this.node({ op: 'constant', data: Float32Array.from(data) }, [], shape);
  }
  fill(shape: Shape, value: number): Sym {
    S.checkShape('fill', shape);
    return this.node({ op: 'fill', value }, [], shape);
  }
  shape(x: Sym): Shape {
    return x.shape;
  }
  read(): Promise<HostArray> {
    return Promise.reject(new Error('trace: values cannot be read while tracing (the graph has not run)'));
  }
  readSync(): HostArray {
    throw new Error('trace: values cannot be read while tracing (the graph has not run)');
  }

  private unary(op: 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid', x: Sym): Sym {
    return this.node({ op }, [x], x.shape);
  }
  neg(x: Sym): Sym {
    return this.unary('neg', x);
  }
  exp(x: Sym): Sym {
    return this.unary('exp', x);
  }
  log(x: Sym): Sym {
    return this.unary('log', x);
  }
  sqrt(x: Sym): Sym {
    return this.unary('sqrt', x);
  }
  rsqrt(x: Sym): Sym {
    return this.unary('rsqrt', x);
  }
  sin(x: Sym): Sym {
    return this.unary('sin', x);
  }
  cos(x: Sym): Sym {
    return this.unary('cos', x);
  }
  tanh(x: Sym): Sym {
    return this.unary('tanh', x);
  }
  sigmoid(x: Sym): Sym {
    return this.unary('sigmoid', x);
  }
  powScalar(x: Sym, p: number): Sym {
    return this.node({ op: 'powScalar', p }, [x], x.shape);
  }

  private binary(op: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'greater' | 'equal', a: Sym, b: Sym): Sym {
    return this.node({ op }, [a, b], S.broadcastShapes(op, a.shape, b.shape));
  }
  add(a: Sym, b: Sym): Sym {
    return this.binary('add', a, b);
  }
  sub(a: Sym, b: Sym): Sym {
    return this.binary('sub', a, b);
  }
  mul(a: Sym, b: Sym): Sym {
    return this.binary('mul', a, b);
  }
  div(a: Sym, b: Sym): Sym {
    return this.binary('div', a, b);
  }
  maximum(a: Sym, b: Sym): Sym {
    return this.binary('maximum', a, b);
  }
  greater(a: Sym, b: Sym): Sym {
    return this.binary('greater', a, b);
  }
  equal(a: Sym, b: Sym): Sym {
    return this.binary('equal', a, b);
  }
  select(c: Sym, a: Sym, b: Sym): Sym {
    return this.node({ op: 'select' }, [c, a, b], S.broadcastShapes('select', c.shape, S.broadcastShapes('select', a.shape, b.shape)));
  }

  private reduce(op: 'sum' | 'mean' | 'max', x: Sym, axes: readonly number[] | undefined, keepDims = false): Sym {
    const ax = S.normalizeAxes(op, axes, x.shape.length);
    return this.node({ op, axes: ax, keepDims }, [x], S.reduceShape(op, x.shape, ax, keepDims));
  }
  sum(x: Sym, axes?: readonly number[], keepDims?: boolean): Sym {
    return this.reduce('sum', x, axes, keepDims);
  }
  mean(x: Sym, axes?: readonly number[], keepDims?: boolean): Sym {
    return this.reduce('mean', x, axes, keepDims);
  }
  max(x: Sym, axes?: readonly number[], keepDims?: boolean): Sym {
    return this.reduce('max', x, axes, keepDims);
  }

  reshape(x: Sym, shape: Shape): Sym {
    const out = S.reshapeShape('reshape', x.shape, shape);
    return this.node({ op: 'reshape', shape: out }, [x], out);
  }
  transpose(x: Sym, perm: readonly number[]): Sym {
    return this.node({ op: 'transpose', perm: [...perm] }, [x], S.transposeShape('transpose', x.shape, perm));
  }
  broadcastTo(x: Sym, shape: Shape): Sym {
    const out = S.broadcastToShape('broadcastTo', x.shape, shape);
    return this.node({ op: 'broadcastTo', shape: out }, [x], out);
  }
  slice(x: Sym, begin: readonly number[], size: readonly number[]): Sym {
    const out = S.sliceShape('slice', x.shape, begin, size);
    return this.node({ op: 'slice', begin: [...begin], size: out }, [x], out);
  }
  concat(xs: readonly Sym[], axis: number): Sym {
    const out = S.concatShape('concat', xs.map((x) => x.shape), axis);
    return this.node({ op: 'concat', axis: S.normalizeAxis('concat', axis, out.length) }, xs, out);
  }
  pad(x: Sym, paddings: readonly (readonly [number, number])[], value = 0): Sym {
    const out = S.padShape('pad', x.shape, paddings);
    return this.node({ op: 'pad', paddings: paddings.map(([a, b]) => [a, b] as [number, number]), value }, [x], out);
  }

  matmul(a: Sym, b: Sym, options: MatMulOptions = {}): Sym {
    return this.node({ op: 'matmul', options: { ...options } }, [a, b], S.matmulShape('matmul', a.shape, b.shape, options));
  }
  conv2d(x: Sym, w: Sym, options: Conv2DOptions = {}): Sym {
    return this.node({ op: 'conv2d', options: { ...options } }, [x, w], S.conv2dShape('conv2d', x.shape, w.shape, options));
  }
  conv2dBackpropInput(dy: Sym, w: Sym, xShape: Shape, options: Conv2DOptions = {}): Sym {
    S.checkConvBackprop('conv2dBackpropInput', xShape, w.shape, dy.shape, options);
    return this.node({ op: 'conv2dBackpropInput', xShape: [...xShape], options: { ...options } }, [dy, w], xShape);
  }
  conv2dBackpropFilter(x: Sym, dy: Sym, wShape: Shape, options: Conv2DOptions = {}): Sym {
    S.checkConvBackprop('conv2dBackpropFilter', x.shape, wShape, dy.shape, options);
    return this.node({ op: 'conv2dBackpropFilter', wShape: [...wShape], options: { ...options } }, [x, dy], wShape);
  }
  upsampleNearest(x: Sym, factor: number): Sym {
    return this.node({ op: 'upsampleNearest', factor }, [x], S.upsampleShape('upsampleNearest', x.shape, factor));
  }
  avgPool(x: Sym, factor: number): Sym {
    return this.node({ op: 'avgPool', factor }, [x], S.avgPoolShape('avgPool', x.shape, factor));
  }

  tidy<R>(fn: () => R): R {
    return fn();
  }
  keep<X extends Sym>(x: X): X {
    return x;
  }
  dispose(): void {}
}
