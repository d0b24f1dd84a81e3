// A CommonJS TypeScript consumer (module nodenext): require() of the ESM builds, typed.
import core = require('@scm/core');
import testing = require('@scm/core/testing');
import tfjs = require('@scm/tfjs');

export const rng: core.Rng = new core.Rng(0);
export const reference: core.TensorOps<unknown> = new testing.ReferenceOps() as core.TensorOps<unknown>;
export const ops: Promise<core.TensorOps<unknown>> = tfjs.createTfjsOps({ backend: 'cpu' }) as Promise<core.TensorOps<unknown>>;
