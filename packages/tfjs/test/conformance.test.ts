import { describe, it } from 'vitest';
import { conformanceCases } from '@scm/core/testing';
import { createTfjsOps } from '../src/index.js';

// The suite every adapter runs unchanged: values against the float64 reference, every JVP and VJP
// rule against float64 finite differences, composite nets, shape errors and the leak check.
for (const backend of ['cpu', 'wasm']) {
  describe(`conformance: tfjs-${backend}`, async () => {
    const ops = await createTfjsOps({ backend });
    for (const c of conformanceCases(ops, { tolerance: 1e-3, liveTensors: () => ops.numTensors() })) it(c.name, () => c.run());
  });
}
