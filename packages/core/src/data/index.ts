export { checkerboardInSupport, sampleToy2d, standardize, TOY2D_NAMES, unstandardize } from './toy2d.js';
export type { Standardization, Toy2dName, Toy2dSample } from './toy2d.js';
export { toy2dSource, type DataBatch, type DataSource, type Toy2dSourceOptions } from './source.js';
