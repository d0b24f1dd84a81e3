export { attention, groupNorm, linear, normalize, silu, softmax } from './functional.js';
export { fourierEmbedding, positionalEmbedding } from './embedding.js';
export { modulate, pixelNorm, type AdaptiveNorm } from './adaptive.js';
export {
  canonicalNames,
  hostTensor,
  linearParams,
  normalInit,
  toDevice,
  toHost,
  withPrefix,
  zeros,
  type HostParams,
  type HostTensor,
} from './params.js';
