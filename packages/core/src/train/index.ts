export { defaultTrainConfig, validateTrainConfig, type EmaConfig, type TrainConfig, type TrainMode } from './config.js';
export { TOY2D_RECIPE } from './recipes.js';
export { disposeState, initState, makeOptimizer, type TrainState } from './state.js';
export {
  drawBatch,
  emaDecay,
  stepFunction,
  stepScalars,
  trainStep,
  uploadBatch,
  type HostBatch,
  type StepContext,
  type StepInputs,
  type StepOutput,
  type StepResult,
  type Teacher,
} from './step.js';
export { EagerStepper, runLoop, trainLoop, type LogEntry, type LoopOptions, type StepCounts, type Stepper, type StepStats } from './loop.js';
export {
  CHECKPOINT_FORMAT,
  CheckpointError,
  checkpointMeta,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreState,
  snapshot,
  type CheckpointMeta,
  type DataConfig,
  type HostState,
  type RunInfo,
} from './checkpoint.js';
export { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsContents, type SafetensorsDtype, type SafetensorsTensor } from './safetensors.js';
