export { ReferenceOps, RefTensor } from './reference.js';
export { conformanceCases, draw, type ConformanceCase, type ConformanceOptions } from './conformance.js';
export { primitiveCases, type InputKind, type OpFn, type PrimitiveCase } from './cases.js';
export { compositeNets, convNet, mlp, tinyUnetConfig, type CompositeNet } from './composites.js';
export { assertClose, assertShape, centralDifference, relativeError } from './numeric.js';
