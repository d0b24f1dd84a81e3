import type { GraphNode, NodeAttrs, OpName } from '@scm/core';
import type { LowerContext } from '../context.js';

/** The attributes of op K (some variants of NodeAttrs serve several ops, which Extract would miss). */
type AttrsOf<K extends OpName> = NodeAttrs extends infer A ? (A extends { op: infer O } ? ([K] extends [O] ? A & { op: K } : never) : never) : never;

export type NodeOf<K extends OpName> = GraphNode & { readonly attrs: AttrsOf<K> };

/** Emits the ONNX nodes computing one graph node from its inputs' tensor names; returns the result's name. */
export type Lowering<K extends OpName> = (ctx: LowerContext, node: NodeOf<K>, inputs: readonly string[]) => string;

/** A lowering that reads no attributes, so it serves several ops. */
export type AnyLowering = (ctx: LowerContext, node: GraphNode, inputs: readonly string[]) => string;

/** A lowering for some of the primitives, each under its op name. */
export type Lowerings<K extends OpName> = { readonly [P in K]: Lowering<P> };
