export * from './tensor/index.js';
export * from './autodiff/index.js';
