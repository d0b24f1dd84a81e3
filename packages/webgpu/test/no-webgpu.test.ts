import { conformanceCases } from '@scm/core/testing';
import { describe, expect, it } from 'vitest';
import { createWebGpuEngine, createWebGpuOps, WebGpuUnavailableError } from '../src/index.js';

// Node 20 has no navigator at all, so this file sees the state of a plain Node process.
describe('without navigator.gpu', () => {
  it('rejects with an error naming what is missing, and the same error on every later call', async () => {
    const error = await createWebGpuOps().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebGpuUnavailableError);
    expect((error as Error).message).toMatch(
      /^WebGPU is not available: navigator\.gpu is undefined \(Node has no WebGPU of its own: install the 'webgpu' package \(Dawn\), which is used when present, .* or pass fallback: 'wasm'\)$/,
    );
    await expect(createWebGpuOps({ fallback: 'error' })).rejects.toBe(error);
  });

  // A few cases of each kind (a primitive value, a conv VJP, a composite gradient) show the ops work.
  const SAMPLE = ['value: matmul', 'jvp: conv2d', 'vjp: conv2dBackpropFilter', 'composite gradient'];

  for (const fallback of ['cpu', 'wasm'] as const) {
    it(`falls back to tfjs-${fallback}, says so, and runs conformance cases there`, async () => {
      const { ops, adapter, backend } = await createWebGpuOps({ fallback });
      expect(backend).toBe(fallback);
      expect(ops.name).toBe(`tfjs-${fallback}`);
      expect(adapter).toMatchObject({ available: false, info: {}, limits: {}, features: [] });
      expect(adapter.reason).toMatch(/^WebGPU is not available: navigator\.gpu is undefined/);
      const cases = conformanceCases(ops, { tolerance: 1e-3 });
      for (const prefix of SAMPLE) await cases.find((c) => c.name.startsWith(prefix))!.run();
    });
  }

  it('createWebGpuEngine: the driver\'s engine on the fallback, or the same error without one', async () => {
    expect((await createWebGpuEngine({ fallback: 'cpu' })).name).toBe('tfjs-cpu');
    await expect(createWebGpuEngine()).rejects.toBeInstanceOf(WebGpuUnavailableError);
  });

  it('rejects unknown options by name', async () => {
    await expect(createWebGpuOps({ fallback: 'webgl' as 'cpu' })).rejects.toThrow(
      `@scm/webgpu: unknown fallback "webgl"; expected one of 'wasm', 'cpu', 'error'.`,
    );
    await expect(createWebGpuOps({ powerPreference: 'fast' as 'low-power' })).rejects.toThrow(/unknown powerPreference "fast"/);
  });

  it('takes powerPreference at the first call only, as tfjs starts its backend once', async () => {
    await expect(createWebGpuOps({ powerPreference: 'low-power', fallback: 'cpu' })).rejects.toThrow(
      /started with powerPreference 'high-performance' and cannot restart with 'low-power'/,
    );
  });
});
