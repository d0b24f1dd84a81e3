import { describe, expect, it } from 'vitest';
import { checkModel, exportDenoiser, modelProblems, OnnxCheckError } from '../src/index.js';
import { decodeModelProto, encodeModelProto, type proto } from '../src/proto.js';
import { SIGMA_D, smallMlp } from './models.js';

const { model, params } = smallMlp({ blocks: 1 });
const bytes = exportDenoiser(model, params, { sigmaD: SIGMA_D });
/** A fresh decoded copy of a valid model, to break one rule at a time. */
const fresh = (): proto.ModelProto => decodeModelProto(bytes);
/** Decoded messages have every repeated field; the interface types say "maybe" to all. */
const graph = (m: proto.ModelProto) => m.graph!;
const nodes = (m: proto.ModelProto) => graph(m).node!;
const nodeOf = (m: proto.ModelProto, opType: string) => nodes(m).find((n) => n.opType === opType)!;

describe('the structural checker', () => {
  it('accepts an exported model, decoded or as bytes', () => {
    expect(modelProblems(fresh())).toEqual([]);
    expect(() => checkModel(bytes)).not.toThrow();
  });

  const broken: [string, (m: proto.ModelProto) => void, RegExp][] = [
    ['no ir_version', (m) => (m.irVersion = 0), /ir_version 0 is not in 3\.\.8/],
    ['no default opset', (m) => (m.opsetImport = []), /no opset is imported/],
    ['nodes out of topological order', (m) => nodes(m).reverse(), /input ".*" is not defined before it/],
    ['a name assigned twice', (m) => (nodes(m)[1].output = [...nodes(m)[0].output!]), /output ".*" is assigned twice/],
    ['an unknown operator', (m) => (nodes(m)[0].opType = 'Frobnicate'), /unknown operator for opset 17/],
    ['an operator from a later opset', (m) => (m.opsetImport![0].version = 6), /\(Sin .*unknown operator for opset 6/],
    ['too many inputs for the opset (ReduceMean takes axes as an input only from opset 18)', (m) => {
      const n = nodeOf(m, 'ReduceMean');
      n.input!.push(n.input![0]);
    }, /ReduceMean .* has 2 inputs, opset 17 \(version 1\) takes 1\.\.1/],
    ['a missing required attribute', (m) => (nodeOf(m, 'Concat').attribute = []), /missing required attribute "axis"/],
    ['an initializer whose data does not fill its dims', (m) => {
      const t = graph(m).initializer![0];
      t.rawData = t.rawData!.subarray(4);
    }, /initializer ".*": dims \[.*\] need \d+ values, the tensor holds \d+ bytes of raw_data/],
    ['an untyped graph input', (m) => (graph(m).input![0].type = undefined), /graph input "x" has no tensor type/],
    ['a graph input without a shape', (m) => (graph(m).input![0].type!.tensorType!.shape = undefined), /graph input "x" has no shape/],
    ['an output nothing computes', (m) => (graph(m).output![0].name = 'nowhere'), /graph output "nowhere" is not computed by the graph/],
  ];
  for (const [name, breakIt, problem] of broken) {
    it(`rejects ${name}`, () => {
      const m = fresh();
      breakIt(m);
      const encoded = encodeModelProto(m);
      expect(() => checkModel(encoded)).toThrow(OnnxCheckError);
      expect(modelProblems(m).join('\n')).toMatch(problem);
    });
  }
});
