export { attention, groupNorm, linear, normalize, silu, softmax } from './functional.js';
export { fourierEmbedding, positionalEmbedding } from './embedding.js';
export { modulate, pixelNorm, type AdaptiveNorm } from './adaptive.js';
export {
  canonicalNames,
  countParams,
  drawParams,
  hostTensor,
  linearParams,
  linearSpecs,
  normalInit,
  toDevice,
  toHost,
  withPrefix,
  zeros,
  type HostParams,
  type HostTensor,
  type ParamSpec,
  type ParamSpecs,
} from './params.js';
