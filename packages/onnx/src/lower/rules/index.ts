/** One lowering per primitive, joined by op name: the type requires every op of the graph IR. */
import type { OpName } from '@scm/core';
import { conv } from './conv.js';
import { creation } from './creation.js';
import { elementwise } from './elementwise.js';
import { layout } from './layout.js';
import { linalg } from './linalg.js';
import { fused } from './fused.js';
import { reductions } from './reduce.js';
import { resample } from './resample.js';
import type { Lowerings } from './types.js';

export const lowerings: Lowerings<OpName> = { ...creation, ...elementwise, ...reductions, ...layout, ...linalg, ...conv, ...resample, ...fused };
