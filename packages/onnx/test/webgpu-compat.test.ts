/**
 * What ONNX Runtime Web's WebGPU kernels need beyond the ONNX spec. They run only in browsers
 * (apps/demo's end-to-end test runs exported samplers on them), so here the graph is checked.
 */
import { describe, expect, it } from 'vitest';
import { decodeModel, exportTrace } from '../src/index.js';

describe('graphs for ONNX Runtime Web on WebGPU', () => {
  it('every Conv and ConvTranspose states its dilations: the WebGPU kernels reject the ONNX default', () => {
    const options = { padding: 'same', strides: 2 } as const;
    const bytes = exportTrace((tr) => {
      const [x, w] = [tr.input('x', [1, 8, 8, 2]), tr.input('w', [3, 3, 2, 4])];
      const y = tr.conv2d(x, w, options);
      return { y, dx: tr.conv2dBackpropInput(y, w, [1, 8, 8, 2], options) };
    });
    const convs = (decodeModel(bytes).graph?.node ?? []).filter((n) => n.opType === 'Conv' || n.opType === 'ConvTranspose');
    expect(convs.map((n) => n.opType).sort()).toEqual(['Conv', 'ConvTranspose']);
    for (const n of convs) expect(n.attribute?.find((a) => a.name === 'dilations')?.ints?.map(Number), n.opType ?? '').toEqual([1, 1]);
  });
});
