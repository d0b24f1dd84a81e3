export { T_MID, consistencySample, consistencyTimes } from './consistency.js';
