import { expect, it } from 'vitest';
import { createTfjsOps } from '../src/index.js';

// A file of its own: a wasm backend that failed to start stays failed for the whole process.
it('reports missing wasm binaries with where they were looked for, and the cpu backend still works', async () => {
  const error = await createTfjsOps({ backend: 'wasm', wasmPaths: '/nowhere' }).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/needs tfjs-backend-wasm\.wasm and tfjs-backend-wasm-simd\.wasm in \/nowhere\/.*wasmPaths option/);
  await expect(createTfjsOps()).rejects.toBe(error);
  const cpu = await createTfjsOps({ backend: 'cpu' });
  expect(Array.from(cpu.readSync(cpu.fill([2], 3)))).toEqual([3, 3]);
});
