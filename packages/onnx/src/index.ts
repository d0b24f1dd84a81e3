/**
 * @scm/onnx: sCM models as ONNX. Export the denoiser F_theta or a whole few-step consistency sampler
 * (any traced computation, in general) as one ONNX graph, check models structurally, and sample
 * with ONNX Runtime through the runtime module the caller brings. A whole training step compiles
 * to one ONNX graph too, and `OnnxTrainer` trains with ONNX Runtime as the engine.
 *
 * @module @scm/onnx
 */
export { createOnnxEngine, type OnnxEngineOptions } from './engine.js';
export { exportDenoiser, type DenoiserExportOptions } from './export/denoiser.js';
export { exportSampler, type DataTransform, type SamplerExportOptions } from './export/sampler.js';
export { exportTrace, type TraceExportOptions, type TraceFn } from './export/trace.js';
export { DynamicBatchError } from './lower/batch.js';
export { checkModel, modelProblems, OnnxCheckError } from './check.js';
export { decodeModel, OnnxModelError } from './runtime/decode.js';
export { OnnxSampler, type InputData, type OrtModule } from './runtime/sampler.js';
export type { DeclaredFacts } from './runtime/model-facts.js';
export { IR_VERSION, OPSET } from './proto.js';
/** The ONNX message types (ModelProto, GraphProto, ...) that decodeModel returns and checkModel takes. */
export type { Int64, proto } from './proto.js';
export { compileTrainStep, CompileError, type CompiledStep, type CompileOptions } from './train/compile.js';
export { OnnxTrainer, type HostTrainState, type OnnxTrainerOptions, type TrainerState } from './train/trainer.js';
