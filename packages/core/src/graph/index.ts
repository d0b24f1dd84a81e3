export type { Graph, GraphNode, NodeAttrs, OpName } from './ir.js';
export { Sym, TraceOps } from './tracer.js';
export { interpret } from './interpret.js';
