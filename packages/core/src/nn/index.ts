export { attention, groupNorm, linear, normalize, silu, softmax } from './functional.js';
