/** The optimisation passes a lowering runs over a traced graph, in order. */
import { rewrite, type BuilderOptions } from './builder.js';
import { fuseAll } from './fuse.js';
import type { Graph } from './ir.js';
import { assignLayout } from './layout.js';

/** Options of {@link optimizeGraph}. */
export interface OptimizeOptions extends BuilderOptions {
  /** Run convolutions channels first (see assignLayout); default: keep core's NHWC. */
  readonly layout?: 'nchw' | 'nhwc';
  /** Replace normalisation and softmax chains by `normalize` and `softmax` nodes (see fuseNormalize and fuseSoftmax). Default true. */
  readonly fuse?: boolean;
}

/**
 * The same computation with fewer nodes: transposes and reshapes merged, cancelled or folded into
 * constants, common subexpressions shared, dead nodes dropped; optionally channels first and fused.
 */
export function optimizeGraph(graph: Graph, options: OptimizeOptions = {}): Graph {
  const laidOut = options.layout === 'nchw' ? assignLayout(graph, options) : rewrite(graph, undefined, options);
  return options.fuse === false ? laidOut : fuseAll(laidOut, options);
}
