import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { createTfjsOps } from '../src/index.js';

// A file of its own: it needs a process where the wasm backend has not started yet.
it('a backend requested while another is still initialising ends up running its own ops', async () => {
  const wasm = createTfjsOps({ backend: 'wasm' });
  // Wait until tfjs is inside the asynchronous wasm initialisation (it names the backend first).
  for (let i = 0; i < 1000 && tf.getBackend() !== 'wasm'; i++) await new Promise((r) => setTimeout(r, 0));
  expect(tf.getBackend()).toBe('wasm');
  const cpu = await createTfjsOps({ backend: 'cpu' });
  await wasm;
  cpu.dispose(cpu.fill([1], 0));
  expect(tf.getBackend()).toBe('cpu');
  expect(tf.engine().backend).toBe(tf.engine().findBackend('cpu'));
});
