export type { Graph, GraphNode, NodeAttrs, OpName } from './ir.js';
export { Sym, TraceOps } from './tracer.js';
export { interpret } from './interpret.js';
export type { ChannelsFirst } from './ir.js';
export { GraphBuilder, rewrite, type BuilderOptions } from './builder.js';
export { assignLayout } from './layout.js';
export { fuseAll, fuseNormalize, fuseSoftmax } from './fuse.js';
export { optimizeGraph, type OptimizeOptions } from './optimize.js';
export { HWIO_TO_OIHW, NCHW_TO_NHWC, NHWC_TO_NCHW, OIHW_TO_HWIO, permute } from './perms.js';
