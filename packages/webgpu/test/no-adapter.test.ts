import { afterAll, expect, it, vi } from 'vitest';
import { createWebGpuOps } from '../src/index.js';

// A file of its own: the outcome of starting WebGPU is kept for the whole process.
vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
afterAll(() => {
  vi.unstubAllGlobals();
});

it('reports a WebGPU without an adapter as such, and falls back when asked', async () => {
  await expect(createWebGpuOps()).rejects.toThrow(
    "WebGPU is not available: navigator.gpu.requestAdapter() found no adapter: no GPU and driver this WebGPU implementation supports (pass fallback: 'wasm')",
  );
  const { backend, adapter } = await createWebGpuOps({ fallback: 'cpu' });
  expect(backend).toBe('cpu');
  expect(adapter.reason).toMatch(/found no adapter/);
});
