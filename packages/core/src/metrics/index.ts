export { energyDistance } from './energy-distance.js';
export type { EnergyDistanceOptions } from './energy-distance.js';
export { slicedWasserstein2 } from './sliced-wasserstein.js';
export type { SlicedWassersteinOptions } from './sliced-wasserstein.js';
export { checkerboardSupportFraction, inSupportFraction } from './support.js';
export { featureStats, frechetDistance } from './frechet.js';
export type { FeatureStats } from './frechet.js';
