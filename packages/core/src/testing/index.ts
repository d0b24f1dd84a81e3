/**
 * The conformance suite every TensorOps backend runs unchanged, float64 reference ops to check
 * against, small reference networks and numeric helpers (finite differences, tolerant comparison).
 *
 * @module @scm/core/testing
 */
export { ReferenceOps, RefTensor } from './reference.js';
export { conformanceCases, draw, type ConformanceCase, type ConformanceOptions } from './conformance.js';
export { primitiveCases, type InputKind, type OpFn, type PrimitiveCase } from './cases.js';
export { compositeNets, convNet, mlp, tinyUnetConfig, type CompositeNet } from './composites.js';
export { assertClose, assertShape, centralDifference, relativeError } from './numeric.js';
