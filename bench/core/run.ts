/**
 * bench/core: per-primitive timings and, for the composite nets, forward vs forward+JVP vs
 * forward+backward, on tfjs's cpu and wasm backends. Writes bench/results/core.{json,md}.
 * Run: npm run bench:core (after npm run build).
 */
import os from 'node:os';
import { createMlp, jvp, Rng, toDevice, valueAndGrad, type TensorOps, type Model } from '@scm/core';
import { convNet, type CompositeNet } from '@scm/core/testing';
import { createTfjsOps } from '@scm/tfjs';
import { fmtMs, markdownTable, time, writeResults } from '../lib.js';

interface OpCase {
  readonly name: string;
  readonly shapes: number[][];
  readonly flops?: number;
  run<T>(o: TensorOps<T>, xs: T[]): T;
}

const opCases: OpCase[] = [
  { name: 'matmul 256x256x256', shapes: [[256, 256], [256, 256]], flops: 2 * 256 ** 3, run: (o, [a, b]) => o.matmul(a, b) },
  { name: 'matmul batch 8x128x128x128', shapes: [[8, 128, 128], [8, 128, 128]], flops: 8 * 2 * 128 ** 3, run: (o, [a, b]) => o.matmul(a, b) },
  { name: 'add broadcast [256,512]+[512]', shapes: [[256, 512], [512]], run: (o, [a, b]) => o.add(a, b) },
  { name: 'mul [256,512]', shapes: [[256, 512], [256, 512]], run: (o, [a, b]) => o.mul(a, b) },
  { name: 'exp [256,512]', shapes: [[256, 512]], run: (o, [a]) => o.exp(a) },
  { name: 'sigmoid [256,512]', shapes: [[256, 512]], run: (o, [a]) => o.sigmoid(a) },
  { name: 'sum axis 1 [256,512]', shapes: [[256, 512]], run: (o, [a]) => o.sum(a, [1], true) },
  { name: 'transpose [64,32,32] (2,0,1)', shapes: [[64, 32, 32]], run: (o, [a]) => o.transpose(a, [2, 0, 1]) },
  {
    name: 'conv2d [8,16,16,32]x[3,3,32,32] same',
    shapes: [[8, 16, 16, 32], [3, 3, 32, 32]],
    flops: 2 * 8 * 16 * 16 * 32 * 9 * 32,
    run: (o, [x, w]) => o.conv2d(x, w, { padding: 'same' }),
  },
  {
    name: 'conv2dBackpropInput same',
    shapes: [[8, 16, 16, 32], [3, 3, 32, 32]],
    flops: 2 * 8 * 16 * 16 * 32 * 9 * 32,
    run: (o, [dy, w]) => o.conv2dBackpropInput(dy, w, [8, 16, 16, 32], { padding: 'same' }),
  },
  {
    name: 'conv2dBackpropFilter same',
    shapes: [[8, 16, 16, 32], [8, 16, 16, 32]],
    flops: 2 * 8 * 16 * 16 * 32 * 9 * 32,
    run: (o, [x, dy]) => o.conv2dBackpropFilter(x, dy, [3, 3, 32, 32], { padding: 'same' }),
  },
  { name: 'upsampleNearest x2 [8,16,16,32]', shapes: [[8, 16, 16, 32]], run: (o, [x]) => o.upsampleNearest(x, 2) },
  { name: 'avgPool /2 [8,32,32,32]', shapes: [[8, 32, 32, 32]], run: (o, [x]) => o.avgPool(x, 2) },
];

/** A net under test as a function of (x, t) with fixed params, so its JVP and gradient can be timed. */
interface NetCase {
  readonly name: string;
  readonly xShape: number[];
  forward<T>(o: TensorOps<T>, p: Record<string, T>, x: T, t: T): T;
  params<T>(o: TensorOps<T>): Record<string, T>;
}

function mlpCase(model: Model, batch: number): NetCase {
  return {
    name: `sCM MLP (width 128, 4 blocks), batch ${batch}`,
    xShape: [batch, 2],
    forward: (o, p, x, t) => model.F(o, p, x, t),
    params: (o) => toDevice(o, model.init(new Rng(0))),
  };
}

function compositeCase(net: CompositeNet, batch: number): NetCase {
  const rng = new Rng(1);
  return {
    name: `conv net (group norm, SiLU, attention), batch ${batch}`,
    xShape: [batch, ...net.inputShape.slice(1)],
    // t scales the input so the JVP has a time tangent to carry, as in sCM.
    forward: (o, p, x, t) => net.forward(o, p, o.mul(x, o.reshape(t, [o.shape(t)[0], 1, 1, 1]))),
    params: (o) =>
      Object.fromEntries(
        Object.entries(net.params).map(([k, s]) => [k, o.fromArray(rng.normal(s.reduce((a, b) => a * b, 1)).map((v) => v * 0.3), s)]),
      ),
  };
}

async function benchBackend(backend: string) {
  const o = await createTfjsOps({ backend });
  const rng = new Rng(2);
  const make = (s: number[]) => o.fromArray(rng.normal(s.reduce((a, b) => a * b, 1)), s);
  const ops = [];
  for (const c of opCases) {
    const xs = c.shapes.map(make);
    const t = await time(() => o.dispose(o.tidy(() => o.keep(o.sum(c.run(o, xs)))) as never));
    o.dispose(xs);
    ops.push({ op: c.name, ms: t.ms, gflops: c.flops ? c.flops / (t.ms * 1e6) : null });
    console.error(`${backend}  ${c.name}: ${fmtMs(t.ms)} ms`);
  }
  const nets = [];
  for (const net of [mlpCase(createMlp(), 256), compositeCase(convNet, 16)]) {
    const p = net.params(o);
    const x = make(net.xShape);
    const t = o.fromArray(rng.uniform(net.xShape[0]).map((u) => 0.2 + u), [net.xShape[0]]);
    const tx = make(net.xShape);
    const tt = o.fill([net.xShape[0]], 0.5);
    const sync = (y: unknown) => {
      o.readSync(y as never);
      o.dispose(y as never);
    };
    const forward = await time(() => sync(o.tidy(() => o.keep(o.sum(net.forward(o, p, x, t))))));
    const withJvp = await time(() => {
      const r = jvp(o, (d, xd, td) => net.forward(d, Object.fromEntries(Object.entries(p).map(([k, v]) => [k, d.lift(v)])), xd, td), [x, t], [tx, tt]);
      sync(r.primal);
      sync(r.tangent);
    });
    const withGrad = await time(() => {
      const { value, grads } = valueAndGrad(o, (tape, q) => tape.mean(tape.powScalar(net.forward(tape, q, tape.lift(x), tape.lift(t)), 2)), p);
      sync(value);
      for (const g of Object.values(grads)) sync(g);
    });
    nets.push({ net: net.name, forwardMs: forward.ms, jvpMs: withJvp.ms, gradMs: withGrad.ms, jvpRatio: withJvp.ms / forward.ms, gradRatio: withGrad.ms / forward.ms });
    console.error(`${backend}  ${net.name}: fwd ${fmtMs(forward.ms)} ms, fwd+jvp ${fmtMs(withJvp.ms)} ms, fwd+bwd ${fmtMs(withGrad.ms)} ms`);
    o.dispose([...Object.values(p), x, t, tx, tt]);
  }
  return { backend, ops, nets };
}

const results: Awaited<ReturnType<typeof benchBackend>>[] = [];
for (const backend of ['cpu', 'wasm']) results.push(await benchBackend(backend));

const machine = `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, Node ${process.version}`;
const opRows = opCases.map((c, i) => [c.name, ...results.flatMap((r) => [fmtMs(r.ops[i].ms), r.ops[i].gflops?.toFixed(2) ?? '']), (results[0].ops[i].ms / results[1].ops[i].ms).toFixed(1)]);
const netRows = results.flatMap((r) =>
  r.nets.map((n) => [r.backend, n.net, fmtMs(n.forwardMs), fmtMs(n.jvpMs), fmtMs(n.gradMs), n.jvpRatio.toFixed(2), n.gradRatio.toFixed(2)]),
);
const md = [
  '# bench/core',
  '',
  `Machine: ${machine}. Median of repeated runs after warm-up; every timing includes reading the result back.`,
  '',
  '## Primitives (ms, GFLOP/s)',
  '',
  markdownTable(['op', 'cpu ms', 'cpu GFLOP/s', 'wasm ms', 'wasm GFLOP/s', 'cpu / wasm'], opRows),
  '',
  '## Composite nets: forward vs forward+JVP vs forward+backward',
  '',
  'Target: forward+JVP at most 2.5x the forward (the JVP runs primal and tangent in one pass; parameters carry no tangent).',
  '',
  markdownTable(['backend', 'net', 'forward ms', 'forward+JVP ms', 'forward+backward ms', 'JVP / forward', 'backward / forward'], netRows),
].join('\n');
writeResults('core', { machine, date: new Date().toISOString(), results }, md);
console.log(md);
