/**
 * A static graph of primitive calls: what the tracer records and what exporters (ONNX) lower.
 * Node ops are the TensorOps method names; attrs are the non-tensor arguments of the call.
 */
import type { Conv2DOptions, MatMulOptions, Shape } from '../tensor/ops.js';

export type NodeAttrs =
  | { op: 'input'; name: string }
  | { op: 'constant'; data: Float32Array }
  | { op: 'fill'; value: number }
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

export type OpName = NodeAttrs['op'];

export interface GraphNode {
  readonly id: number;
  readonly attrs: NodeAttrs;
  /** Ids of the nodes this one reads, in argument order. */
  readonly inputs: readonly number[];
  readonly shape: Shape;
}

export interface Graph {
  /** Topologically ordered: every node comes after its inputs. */
  readonly nodes: readonly GraphNode[];
  /** Named graph inputs, in declaration order. */
  readonly inputs: readonly { readonly name: string; readonly id: number }[];
  readonly outputs: readonly { readonly name: string; readonly id: number }[];
}
