import { afterAll, expect, it, vi } from 'vitest';
import { createWebGpuOps } from '../src/index.js';

// A stand-in for the optional `webgpu` package (Dawn): it cannot find a GPU here, so its adapter
// request answers null, as Dawn's does on a machine without a Vulkan driver.
const created: string[][] = [];
vi.mock('webgpu', () => ({
  create: (flags: string[]) => {
    created.push(flags);
    return { requestAdapter: async () => null };
  },
  globals: { GPUBufferUsage: { MAP_READ: 1 } },
}));
afterAll(() => {
  vi.unstubAllGlobals();
  delete (globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage;
  delete (globalThis as { navigator?: unknown }).navigator;
});

// A file of its own: the outcome of starting WebGPU is kept for the whole process.
it("uses the 'webgpu' package in Node when it is installed: navigator.gpu and its globals come from it", async () => {
  vi.stubEnv('SCM_DAWN_FLAGS', 'enable-dawn-features=allow_unsafe_apis,backend=vulkan');
  await expect(createWebGpuOps()).rejects.toThrow(/navigator\.gpu\.requestAdapter\(\) found no adapter/);
  expect(created).toEqual([['enable-dawn-features=allow_unsafe_apis', 'backend=vulkan']]);
  expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeDefined();
  expect((globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage).toEqual({ MAP_READ: 1 });
});
