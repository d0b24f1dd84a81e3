/** Parameter-light models written as plain functions, for tests that need every term of F visible. */
import type { Model } from '../../src/index.js';

export interface FunctionModelOptions {
  readonly sampleShape: readonly number[];
  /** u(t); zero by default, as a fresh logvar head gives. */
  readonly logvar?: Model['logvar'];
  readonly numClasses?: number;
  readonly guidanceInput?: boolean;
}

/** A Model whose F is `F`; init gives no parameters (tests pass their own). */
export function functionModel(F: Model['F'], { sampleShape, logvar, numClasses = 0, guidanceInput = false }: FunctionModelOptions): Model {
  return {
    config: {},
    sampleShape,
    numClasses,
    guidanceInput,
    paramSpecs: () => ({}),
    init: () => ({}),
    initLogvar: () => ({}),
    F,
    logvar: logvar ?? ((o, _p, t) => o.fill(o.shape(t), 0)),
  };
}
