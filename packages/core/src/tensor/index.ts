export type { Conv2DOptions, Conv2DPadding, HostArray, MatMulOptions, ResolvedConv2D, Shape, TensorOps } from './ops.js';
export * from './shape.js';
export { collectTensors } from './collect.js';
