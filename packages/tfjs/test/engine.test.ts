/** createTfjsEngine: the driver (train, sample) on TensorFlow.js gives what core's loop gives on the same ops. */
import { describe, expect, it } from 'vitest';
import { createMlp, defaultTrainConfig, generate, initState, makeOptimizer, sample, toDevice, toHost, toy2dSource, train, trainLoop } from '@scm/core';
import { createTfjsEngine, createTfjsOps } from '../src/index.js';

const data = toy2dSource('checkerboard', { sigmaD: 0.5 });
const model = createMlp({ sigmaD: 0.5, width: 16, blocks: 1 });
const config = defaultTrainConfig('teacher', { steps: 3, batch: 16, seed: 4 });

describe('createTfjsEngine', () => {
  it('trains and samples as trainLoop and generate do on createTfjsOps, and leaks no tensor', async () => {
    const engine = await createTfjsEngine({ backend: 'cpu' });
    expect(engine.name).toBe('tfjs-cpu');
    const ops = await createTfjsOps({ backend: 'cpu' });
    const live = ops.numTensors();

    const state = await train(engine, { model, data, config });
    const x = await sample(engine, model, state.ema, 0.5, { sampler: 'consistency', steps: 2, n: 50, seed: 1 });
    expect(ops.numTensors()).toBe(live);

    const reference = await trainLoop(ops, { model, data, config, optimizer: makeOptimizer(config) }, initState(ops, model, config), { until: 3, logEvery: 3, checkpointEvery: 3 });
    expect(state.step).toBe(3);
    const ema = await toHost(ops, reference.ema);
    for (const [name, t] of Object.entries(ema)) expect(state.ema[name].data, name).toEqual(t.data);
    const params = toDevice(ops, ema);
    expect(x).toEqual(await generate(ops, model, params, 0.5, { sampler: 'consistency', steps: 2, n: 50, seed: 1 }));
  });
});
