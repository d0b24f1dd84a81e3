/**
 * @scm/onnx: sCM models as ONNX. Export the denoiser F_theta or a whole few-step consistency sampler
 * (any traced computation, in general) as one ONNX graph, check models structurally, and sample
 * with ONNX Runtime through the runtime module the caller brings.
 */
export { exportDenoiser, type DenoiserExportOptions } from './export/denoiser.js';
export { exportSampler, type DataTransform, type SamplerExportOptions } from './export/sampler.js';
export { exportTrace, type TraceExportOptions, type TraceFn } from './export/trace.js';
export { DynamicBatchError } from './lower/batch.js';
export { checkModel, modelProblems, OnnxCheckError } from './check.js';
export { decodeModel, OnnxModelError } from './runtime/decode.js';
export { OnnxSampler, type InputData, type OrtModule } from './runtime/sampler.js';
export { IR_VERSION, OPSET } from './proto.js';
