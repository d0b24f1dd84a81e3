import { describe, expect, it } from 'vitest';
import { TOY2D_NAMES, toy2dSource } from '../src/index.js';

describe('toy2dSource', () => {
  it('states its toData as the affine map x / scale + mean', () => {
    for (const name of TOY2D_NAMES) {
      const d = toy2dSource(name, { sigmaD: 0.5 });
      const { scale, mean } = d.affine!;
      expect(mean).toHaveLength(2);
      const x = Float32Array.from([0.1, -0.3, 1.2, 0.7, -2, 0]);
      expect(Array.from(d.toData(x))).toEqual(Array.from(x, (v, i) => Math.fround(v / scale + mean[i % 2])));
    }
  });
});
