/**
 * A static graph of primitive calls: what the tracer records and what exporters (ONNX) lower.
 * Node ops are the TensorOps method names; attrs are the non-tensor arguments of the call.
 */
import type { Conv2DOptions, MatMulOptions, Shape } from '../tensor/ops.js';

/**
 * What a graph node computes: `op` is a {@link TensorOps} method name (or one of the graph-only ops
 * input, constant, normalize, softmax) and the other fields are that call's non-tensor arguments,
 * with the same names and meanings as the method's parameters.
 */
export type NodeAttrs =
  | {
      op: 'input';
      /** The graph input's name. */
      name: string;
    }
  | {
      op: 'constant';
      /** The constant's values, row-major in the node's shape. */
      data: Float32Array;
    }
  | {
      op: 'fill';
      /** The value every element holds. */
      value: number;
    }
  | { op: 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' }
  | { op: 'powScalar'; p: number }
  | { op: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'greater' | 'equal' | 'select' }
  | { op: 'sum' | 'mean' | 'max'; axes: number[]; keepDims: boolean }
  | { op: 'reshape'; shape: number[] }
  | { op: 'transpose'; perm: number[] }
  | { op: 'broadcastTo'; shape: number[] }
  | { op: 'slice'; begin: number[]; size: number[] }
  | { op: 'concat'; axis: number }
  | { op: 'pad'; paddings: [number, number][]; value: number }
  | { op: 'matmul'; options: MatMulOptions }
  | { op: 'conv2d'; options: Conv2DOptions; layout?: ChannelsFirst }
  | { op: 'conv2dBackpropInput'; xShape: number[]; options: Conv2DOptions; layout?: ChannelsFirst }
  | { op: 'conv2dBackpropFilter'; wShape: number[]; options: Conv2DOptions; layout?: ChannelsFirst }
  | { op: 'upsampleNearest' | 'avgPool'; factor: number; layout?: ChannelsFirst }
  /** (x - mean) / sqrt(var + eps) over `axes` (population variance): what `fuseNormalize` makes of nn's normalize. */
  | { op: 'normalize'; axes: number[]; eps: number }
  /** exp(x - max) / sum(exp(x - max)) over `axis`: what `fuseSoftmax` makes of nn's softmax. */
  | { op: 'softmax'; axis: number };

/**
 * Set only by `assignLayout`, never by the tracer: images are NCHW and filters OIHW [cout, cin / groups,
 * kh, kw], and every shape in the node (its own, xShape, wShape) is in that layout.
 */
export type ChannelsFirst = 'nchw';

/** Every op a graph node can have. */
export type OpName = NodeAttrs['op'];

/** One primitive call in a {@link Graph}. */
export interface GraphNode {
  /** Unique within the graph; inputs refer to nodes by it. */
  readonly id: number;
  /** The op and its non-tensor arguments. */
  readonly attrs: NodeAttrs;
  /** Ids of the nodes this one reads, in argument order. */
  readonly inputs: readonly number[];
  /** The node's output shape. */
  readonly shape: Shape;
}

/**
 * A static graph of primitive calls: what the tracer ({@link TraceOps}) records, the optimisation
 * passes rewrite, the float64 interpreter evaluates and exporters (ONNX) lower.
 */
export interface Graph {
  /** Topologically ordered: every node comes after its inputs. */
  readonly nodes: readonly GraphNode[];
  /** Named graph inputs, in declaration order. */
  readonly inputs: readonly {
    /** The input's name. */
    readonly name: string;
    /** The `input` node that holds it. */
    readonly id: number;
  }[];
  /** Named graph outputs, each the id of the node that computes it. */
  readonly outputs: readonly {
    /** The output's name. */
    readonly name: string;
    /** The node whose value it is. */
    readonly id: number;
  }[];
}
