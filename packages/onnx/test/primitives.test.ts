import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, sizeOf } from '@scm/core';
import { primitiveCases, ReferenceOps } from '@scm/core/testing';
import { checkModel, exportTrace, OnnxSampler } from '../src/index.js';
import { draw, ErrorLog, relativeError } from './helpers.js';

const ref = new ReferenceOps();
const rng = new Rng(7);
const errors = new ErrorLog();
afterAll(() => errors.print('primitives, onnxruntime-node vs float64 reference (max relative error):'));

describe('every primitive lowers to ONNX that computes what the float64 reference does', () => {
  for (const c of primitiveCases()) {
    it(c.name, async () => {
      const kinds = c.kinds ?? c.inputs.map(() => 'normal' as const);
      const xs = c.inputs.map((s, i) => draw(rng, kinds[i], sizeOf(s)));
      const want = ref.readSync(c.fn(ref, xs.map((x, i) => ref.fromArray(x, c.inputs[i]))));
      const model = exportTrace((tr) => ({ y: c.fn(tr, c.inputs.map((s, i) => tr.input(`x${i}`, s))) }));
      checkModel(model);
      const sampler = await OnnxSampler.create(ort, model);
      const got = await sampler.run(Object.fromEntries(xs.map((x, i) => [`x${i}`, Float32Array.from(x)])), 1);
      const err = errors.record(c.name.split(' ')[0], relativeError(got, want));
      expect(err, `${c.name}: got [${Array.from(got.slice(0, 6))}...], want [${Array.from(want.slice(0, 6))}...]`).toBeLessThan(1e-4);
    });
  }
});
