export { drawnLabels, loadModel, loadPipeline, Pipeline, type LabelChoice, type LoadedModel, type LoadPipelineOptions, type PipelineGenerateOptions } from './pipeline.js';
export { Generation, type RgbaImage } from './result.js';
export { encodePng } from './png.js';
export { ModelSourceError, type LoadProgress, type ModelFiles, type ModelLocation, type PipelineSource } from './source.js';
export { checkSpec, dataUnits, guidanceRange, MODEL_FORMAT, ModelSpecError, specOfCheckpoint, type DataUnits, type ModelRun, type ModelSpec } from './spec.js';
export { decodeModelWeights, encodeModelWeights } from './weights.js';
