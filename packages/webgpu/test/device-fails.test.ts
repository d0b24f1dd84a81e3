import { afterAll, expect, it, vi } from 'vitest';
import { createWebGpuOps } from '../src/index.js';

// An adapter that tfjs cannot get a device from: the probe succeeds, the backend does not start.
// A file of its own: the outcome of starting WebGPU is kept for the whole process.
const adapter = { features: new Set<string>(), limits: {}, info: { vendor: 'test' }, requestDevice: () => Promise.reject(new Error('device lost')) };
vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => adapter } });
afterAll(() => {
  vi.unstubAllGlobals();
});

it('reports a backend that tfjs could not start, after importing tfjs-backend-webgpu in Node', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  await expect(createWebGpuOps()).rejects.toThrow(
    /^WebGPU is not available: an adapter was found, but @scm\/tfjs: tfjs could not initialise its 'webgpu' backend.*\(pass fallback: 'wasm'\)$/,
  );
  expect(String(warn.mock.calls[0]?.[0])).toMatch(/webgpu/);
  warn.mockRestore();
});
