import { describe, expect, it } from 'vitest';
import {
  createMlp,
  defaultTrainConfig,
  initState,
  interpret,
  jvp,
  makeOptimizer,
  Rng,
  TraceOps,
  valueAndGrad,
  type Sym,
} from '../src/index.js';
import { compositeNets, primitiveCases, ReferenceOps } from '../src/testing/index.js';

const ref = new ReferenceOps();
const rng = new Rng(11);
const draw = (shape: readonly number[]) =>
  ref.fromArray(rng.uniform64(shape.reduce((a, b) => a * b, 1)).map((u) => 0.5 + u), shape);

describe('tracing records a graph that computes what the eager ops compute', () => {
  for (const c of primitiveCases()) {
    it(c.name, () => {
      const tr = new TraceOps();
      const syms = c.inputs.map((s, i) => tr.input(`x${i}`, s));
      const out = c.fn(tr, syms);
      const xs = c.inputs.map(draw);
      const g = tr.graph({ y: out });
      const got = interpret(ref, g, Object.fromEntries(xs.map((x, i) => [`x${i}`, x])));
      const want = c.fn(ref, xs);
      expect(got.y.shape).toEqual(want.shape);
      expect(Array.from(got.y.data)).toEqual(Array.from(want.data));
    });
  }

  it('a JVP and a gradient of the conv net trace into one graph with the eager values', () => {
    const net = compositeNets[1];
    const names = Object.keys(net.params);
    const shapes = [net.inputShape, ...names.map((k) => net.params[k])];
    const run = <T,>(o: import('../src/index.js').TensorOps<T>, xs: T[], v: T) => {
      const params = Object.fromEntries(names.map((k, i) => [k, xs[i + 1]]));
      const { tangent } = jvp(o, (d, x) => net.forward(d, Object.fromEntries(names.map((k) => [k, d.lift(params[k])])), x), [xs[0]], [v]);
      const { grads } = valueAndGrad(o, (tape, p) => tape.mean(tape.powScalar(net.forward(tape, p, tape.lift(xs[0])), 2)), params);
      return { tangent, g: grads.c2 };
    };
    const tr = new TraceOps();
    const syms = shapes.map((s, i) => tr.input(`x${i}`, s));
    const v = tr.input('v', net.inputShape);
    const traced = run(tr, syms, v);
    const xs = shapes.map(draw);
    const vv = draw(net.inputShape);
    const got = interpret(ref, tr.graph({ tangent: traced.tangent, g: traced.g }), { ...Object.fromEntries(xs.map((x, i) => [`x${i}`, x])), v: vv });
    const want = run(ref, xs, vv);
    expect(Array.from(got.tangent.data)).toEqual(Array.from(want.tangent.data));
    expect(Array.from(got.g.data)).toEqual(Array.from(want.g.data));
  });

  it('pruning keeps only what the outputs need, in topological order', () => {
    const tr = new TraceOps();
    const a = tr.input('a', [2]);
    const b = tr.input('b', [2]);
    tr.exp(b);
    const y = tr.add(a, tr.sin(a));
    const g = tr.graph({ y });
    expect(g.nodes.map((n) => n.attrs.op)).toEqual(['input', 'input', 'sin', 'add']);
    g.nodes.forEach((n) => n.inputs.forEach((i) => expect(g.nodes.findIndex((m) => m.id === i)).toBeLessThan(g.nodes.indexOf(n))));
  });

  it('shape errors surface while tracing, and values cannot be read', () => {
    const tr = new TraceOps();
    const a: Sym = tr.input('a', [2, 3]);
    expect(() => tr.matmul(a, a)).toThrow(/matmul: inner dimensions differ/);
    expect(() => tr.readSync()).toThrow(/cannot be read while tracing/);
    expect(() => tr.input('a', [1])).toThrow(/declared twice/);
  });
});

it('a whole gradient + Adam step of the MLP traces and interprets to the eager step', () => {
  const model = createMlp({ width: 16, blocks: 1, embChannels: 8, normGroups: 4, logvarChannels: 8 });
  const config = defaultTrainConfig('sct', { batch: 8 });
  const opt = makeOptimizer(config);
  const state = initState(ref, model, config, model.init(new Rng(3)));
  const names = Object.keys(state.params);
  const step = <T,>(o: import('../src/index.js').TensorOps<T>, params: Record<string, T>, x0: T, z: T, t: T) => {
    const { grads } = valueAndGrad(o, (tape, p) => {
      const F = model.F(tape, p, tape.mul(tape.lift(x0), tape.fill([], 2)), tape.lift(t));
      return tape.mean(tape.mul(F, tape.lift(z)));
    }, params);
    const scalars = Object.fromEntries(Object.entries(opt.scalars(1, 1e-3)).map(([k, v]) => [k, o.fill([], v)]));
    return opt.apply(o, params, grads, opt.init(o, params), scalars).params;
  };
  const tr = new TraceOps();
  const p = Object.fromEntries(names.map((k) => [k, tr.input(k, ref.shape(state.params[k]))]));
  const traced = step(tr, p, tr.input('x0', [8, 2]), tr.input('z', [8, 2]), tr.input('t', [8]));
  const [x0, z, t] = [draw([8, 2]), draw([8, 2]), draw([8])];
  const got = interpret(ref, tr.graph(traced), { ...state.params, x0, z, t });
  const want = step(ref, state.params, x0, z, t);
  for (const k of names) expect(Array.from(got[k].data)).toEqual(Array.from(want[k].data));
});
