import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createTfjsOps } from '../src/index.js';

describe('backend selection', () => {
  it("defaults to 'wasm'", async () => {
    const ops = await createTfjsOps();
    expect(ops.backendName).toBe('wasm');
    expect(ops.name).toBe('tfjs-wasm');
  });

  it('rejects an unregistered backend with one actionable message, remembered for later calls', async () => {
    const first = await createTfjsOps({ backend: 'nope' }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Error);
    expect((first as Error).message).toMatch(/no tfjs backend named 'nope' is registered \(registered: .*cpu.*\)\. Import the package/);
    await expect(createTfjsOps({ backend: 'nope' })).rejects.toBe(first);
  });

  it('refuses to restart the wasm backend with other options', async () => {
    await createTfjsOps({ backend: 'wasm' });
    await expect(createTfjsOps({ backend: 'wasm', wasmThreads: 3 })).rejects.toThrow(/started with wasmThreads unset and cannot restart with wasmThreads = 3/);
  });

  it('runs each instance on its own backend, however calls interleave', async () => {
    const [cpu, wasm] = await Promise.all([createTfjsOps({ backend: 'cpu' }), createTfjsOps({ backend: 'wasm' })]);
    const a = cpu.fromArray([1, 2, 3], [3]);
    expect(tf.getBackend()).toBe('cpu');
    const b = wasm.mul(a, a);
    expect(tf.getBackend()).toBe('wasm');
    const c = cpu.add(b, a);
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(await wasm.read(c))).toEqual([2, 6, 12]);
    cpu.dispose([a, b, c]);
  });
});
