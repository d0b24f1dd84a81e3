import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { createMlp, defaultTrainConfig, toy2dSource, train } from '@scm/core';
import { conformanceCases } from '@scm/core/testing';
import { BACKEND, INSTALL_HINT } from '../src/index.js';

/** The module anew, so its memoised loader starts clean. */
async function fresh() {
  vi.resetModules();
  return import('../src/index.js');
}

/** A stand-in for tfjs-node-gpu: the CPU backend and its kernels registered under the name 'tensorflow'. */
async function standIn() {
  if (!(BACKEND in tf.engine().registryFactory)) {
    tf.registerBackend(BACKEND, () => new MathBackendCPU());
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: BACKEND });
  }
}

let realModule = true;
try {
  const name = '@tensorflow/tfjs-node-gpu';
  await import(name);
} catch {
  realModule = false;
}

describe('@scm/tfjs-node-gpu', () => {
  it.skipIf(realModule)('without @tensorflow/tfjs-node-gpu it says what to install (the module is absent here)', async () => {
    const { createNodeGpuOps } = await fresh();
    await expect(createNodeGpuOps()).rejects.toThrow(INSTALL_HINT);
    // The failure is cached: a second call gets the same answer without retrying.
    await expect(createNodeGpuOps()).rejects.toThrow(INSTALL_HINT);
  });

  it('a loader that throws something else is reported with its cause', async () => {
    const { createNodeGpuOps } = await fresh();
    await expect(createNodeGpuOps({ load: () => Promise.reject(new Error('libcudnn.so.8: cannot open shared object file')) })).rejects.toThrow(
      /failed to load \(libcudnn\.so\.8.*CUDA 11\.2/,
    );
  });

  describe('wiring, with a stand-in that registers the CPU backend as "tensorflow"', async () => {
    const { createNodeGpuOps, createNodeGpuEngine } = await fresh();
    const ops = await createNodeGpuOps({ load: standIn });
    it('runs on the backend named tensorflow', () => {
      expect(ops.backendName).toBe(BACKEND);
      expect(ops.name).toBe('tfjs-tensorflow');
    });
    it('createNodeGpuEngine trains with core\'s driver on it', async () => {
      const engine = await createNodeGpuEngine({ load: standIn });
      expect(engine.name).toBe('tfjs-tensorflow');
      const config = defaultTrainConfig('teacher', { steps: 2, batch: 8 });
      const state = await train(engine, { model: createMlp({ sigmaD: 0.5, width: 8, blocks: 1 }), data: toy2dSource('moons', { sigmaD: 0.5 }), config });
      expect(state.step).toBe(2);
      expect(state.skipped).toBe(0);
    });
    // The real module cannot be installed on this machine (it downloads libtensorflow with CUDA),
    // so the conformance suite runs through the same wiring on the stand-in.
    for (const c of conformanceCases(ops, { tolerance: 1e-3, liveTensors: () => ops.numTensors() })) {
      it(c.name, () => c.run());
    }
  });
});

if (realModule) {
  describe('@scm/tfjs-node-gpu on the real module', async () => {
    const { createNodeGpuOps } = await fresh();
    const ops = await createNodeGpuOps();
    for (const c of conformanceCases(ops, { tolerance: 1e-3, liveTensors: () => ops.numTensors() })) it(c.name, () => c.run());
  });
} else {
  it.skip('conformance on CUDA: @tensorflow/tfjs-node-gpu is not installed (its install downloads libtensorflow; needs an NVIDIA GPU)', () => {});
}
