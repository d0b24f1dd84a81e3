/** Runs a recorded graph on any TensorOps: the reference semantics of a graph, used to test tracing. */
import { normalize, softmax } from '../nn/functional.js';
import type { TensorOps } from '../tensor/ops.js';
import type { Graph, GraphNode } from './ir.js';
import { HWIO_TO_OIHW, NCHW_TO_NHWC, NHWC_TO_NCHW, OIHW_TO_HWIO, permute } from './perms.js';

/**
 * A channels-first node (see ChannelsFirst) as its NHWC primitive between transposes: the reference
 * semantics that every layout rewrite is checked against.
 */
function evalChannelsFirst<T>(o: TensorOps<T>, n: GraphNode, args: T[]): T {
  const image = (x: T) => o.transpose(x, NCHW_TO_NHWC);
  const filter = (w: T) => o.transpose(w, OIHW_TO_HWIO);
  const a = n.attrs;
  switch (a.op) {
    case 'conv2d':
      return o.transpose(o.conv2d(image(args[0]), filter(args[1]), a.options), NHWC_TO_NCHW);
    case 'conv2dBackpropInput':
      return o.transpose(o.conv2dBackpropInput(image(args[0]), filter(args[1]), permute(a.xShape, NCHW_TO_NHWC), a.options), NHWC_TO_NCHW);
    case 'conv2dBackpropFilter':
      return o.transpose(o.conv2dBackpropFilter(image(args[0]), image(args[1]), permute(a.wShape, OIHW_TO_HWIO), a.options), HWIO_TO_OIHW);
    case 'upsampleNearest':
    case 'avgPool':
      return o.transpose(o[a.op](image(args[0]), a.factor), NHWC_TO_NCHW);
    default:
      throw new Error(`interpret: ${a.op} has no channels-first form`);
  }
}

function evalNode<T>(o: TensorOps<T>, n: GraphNode, args: T[], inputs: Record<string, T>): T {
  const a = n.attrs;
  if ('layout' in a && a.layout === 'nchw') return evalChannelsFirst(o, n, args);
  switch (a.op) {
    case 'input': {
      const v = inputs[a.name];
      if (v === undefined) throw new Error(`interpret: missing graph input "${a.name}"`);
      return v;
    }
    case 'constant':
      return o.fromArray(a.data, n.shape);
    case 'fill':
      return o.fill(n.shape, a.value);
    case 'neg':
    case 'exp':
    case 'log':
    case 'sqrt':
    case 'rsqrt':
    case 'sin':
    case 'cos':
    case 'tanh':
    case 'sigmoid':
      return o[a.op](args[0]);
    case 'powScalar':
      return o.powScalar(args[0], a.p);
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'maximum':
    case 'greater':
    case 'equal':
      return o[a.op](args[0], args[1]);
    case 'select':
      return o.select(args[0], args[1], args[2]);
    case 'sum':
    case 'mean':
    case 'max':
      return o[a.op](args[0], a.axes, a.keepDims);
    case 'reshape':
      return o.reshape(args[0], a.shape);
    case 'transpose':
      return o.transpose(args[0], a.perm);
    case 'broadcastTo':
      return o.broadcastTo(args[0], a.shape);
    case 'slice':
      return o.slice(args[0], a.begin, a.size);
    case 'concat':
      return o.concat(args, a.axis);
    case 'pad':
      return o.pad(args[0], a.paddings, a.value);
    case 'matmul':
      return o.matmul(args[0], args[1], a.options);
    case 'conv2d':
      return o.conv2d(args[0], args[1], a.options);
    case 'conv2dBackpropInput':
      return o.conv2dBackpropInput(args[0], args[1], a.xShape, a.options);
    case 'conv2dBackpropFilter':
      return o.conv2dBackpropFilter(args[0], args[1], a.wShape, a.options);
    case 'upsampleNearest':
      return o.upsampleNearest(args[0], a.factor);
    case 'avgPool':
      return o.avgPool(args[0], a.factor);
    case 'normalize':
      return normalize(o, args[0], a.axes, a.eps);
    case 'softmax':
      return softmax(o, args[0], a.axis);
  }
}

/** The graph's named outputs computed on `o` from its named inputs. */
export function interpret<T>(o: TensorOps<T>, graph: Graph, inputs: Record<string, T>): Record<string, T> {
  return o.tidy(() => {
    const values = new Map<number, T>();
    for (const n of graph.nodes) values.set(n.id, evalNode(o, n, n.inputs.map((id) => values.get(id) as T), inputs));
    return Object.fromEntries(graph.outputs.map(({ name, id }) => [name, values.get(id) as T]));
  });
}
