/**
 * The protobuf codec (src/proto/): bytes worked out by hand from the protobuf encoding rules, round
 * trips of every message kind, what a decoder must tolerate (unknown fields of every wire type,
 * unpacked repeated numbers, a message field given twice) and refuse, and a model written by python
 * onnx's own serializer (fixtures/make_helper_model.py), read against what python read back from it.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/proto/codec.js';
import * as M from '../src/proto/messages.js';
import { decodeModelProto, encodeModelProto, type Int64, type proto } from '../src/proto.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const NEG_ONE_64 = 'ffffffffffffffffff01';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

describe('encoding, byte for byte', () => {
  const cases: [string, Uint8Array, string][] = [
    ['an opset import: an empty string is written, a varint', encodeMessage(M.OperatorSetIdMessage, { domain: '', version: 17 }), '0a00 1011'],
    ['a two-byte varint', encodeMessage(M.DimensionMessage, { dimValue: 300 }), '08ac02'],
    ['int64 -1: ten bytes of two\'s complement', encodeMessage(M.DimensionMessage, { dimValue: -1 }), `08${NEG_ONE_64}`],
    ['int64 minimum', encodeMessage(M.DimensionMessage, { dimValue: INT64_MIN }), '08 80808080808080808001'],
    ['int64 maximum', encodeMessage(M.DimensionMessage, { dimValue: INT64_MAX }), '08 ffffffffffffffff7f'],
    ['a negative int32 (enum) is sign-extended to ten bytes', encodeMessage(M.TypeTensorMessage, { elemType: -1 }), `08${NEG_ONE_64}`],
    ['a float attribute: fixed32 little-endian; field 20 takes a two-byte tag', encodeMessage(M.AttributeMessage, { name: 'alpha', f: 1.5, type: M.AttributeType.FLOAT }), '0a05616c706861 150000c03f a00101'],
    ['packed int64 dims with a negative one', encodeMessage(M.TensorMessage, { dims: [2, -3] }), '0a0b 02 fdffffffffffffffff01'],
    ['packed floats', encodeMessage(M.TensorMessage, { floatData: [1, -2] }), '2208 0000803f 000000c0'],
    ['packed doubles', encodeMessage(M.TensorMessage, { doubleData: [1] }), '5208 000000000000f03f'],
    ['packed uint64 maximum', encodeMessage(M.TensorMessage, { uint64Data: [2n ** 64n - 1n] }), '5a0a ffffffffffffffffff01'],
    ['repeated bytes one by one, an empty one too', encodeMessage(M.TensorMessage, { stringData: [new Uint8Array(0), Uint8Array.of(0xab)] }), '3200 3201ab'],
    ['UTF-8 strings', encodeMessage(M.StringStringEntryMessage, { key: 'ü', value: '✓' }), '0a02c3bc 1203e29c93'],
    ['fields in number order whatever the key order; empty repeated fields and absent ones left out', encodeMessage(M.ModelMessage, { opsetImport: [{ version: 1 }], metadataProps: [], graph: undefined, irVersion: 8 }), '0808 42021001'],
    ['a nested message: length-prefixed', encodeMessage(M.ValueInfoMessage, { name: 'x', type: { tensorType: { elemType: 1 } } }), '0a0178 1204 0a020801'],
  ];
  it.each(cases)('%s', (_name, got, want) => expect(hex(got)).toBe(want.replace(/\s/g, '')));

  it('names the field of a value that cannot be written', () => {
    expect(() => encodeModelProto({ irVersion: 1.5 })).toThrow('ModelProto.irVersion: 1.5 is not an integer');
    expect(() => encodeModelProto({ graph: { node: [{ input: ['a', 3 as unknown as string] }] } })).toThrow('ModelProto.graph.node[0].input[1]: expected a string, got number');
    expect(() => encodeModelProto({ graph: { initializer: [{ dataType: 2 ** 31 }] } })).toThrow('ModelProto.graph.initializer[0].dataType: 2147483648 is not a 32-bit integer');
    expect(() => encodeModelProto({ modelVersion: 2n ** 64n })).toThrow(/ModelProto\.modelVersion: 18446744073709551616 does not fit in 64 bits/);
    expect(() => encodeMessage(M.TensorMessage, { uint64Data: [-1] })).toThrow('TensorProto.uint64Data: -1 is negative');
    expect(() => encodeModelProto({ graph: 'g' as unknown as proto.GraphProto })).toThrow('ModelProto.graph: expected a GraphProto object');
  });
});

/** Values of each scalar type, in the form the decoder gives them back (numbers, bigints beyond 2^53). */
const SCALARS: Record<M.Scalar, unknown[]> = {
  int32: [0, -1, 2 ** 31 - 1, -(2 ** 31), 7],
  int64: [0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, INT64_MAX, INT64_MIN, 2n ** 53n, 300],
  uint64: [0, 2n ** 64n - 1n, 2n ** 63n, 5],
  float: [0, 1.5, -2.25, Math.fround(0.1), -0, Infinity, NaN],
  double: [0.1, -1e300, -0, NaN],
  string: ['', 'ünïcode ✓', 'plain'],
  bytes: [new Uint8Array(0), Uint8Array.of(0, 255, 1), new Uint8Array(5000).fill(7)],
};

/** A message with every field set (repeated ones to several values), nested messages `depth` deep. */
function sample(type: M.MessageType<object>, depth: number, seed = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  type.fields.forEach((f, i) => {
    if (typeof f.type === 'object') {
      const sub = f.type;
      if (depth > 0) out[f.key] = f.repeated ? [sample(sub, depth - 1, seed + i), sample(sub, depth - 1, seed + i + 1)] : sample(sub, depth - 1, seed + i);
      else if (f.repeated) out[f.key] = [];
    } else {
      const values = SCALARS[f.type];
      out[f.key] = f.repeated ? values : values[(seed + i) % values.length];
    }
  });
  return out;
}

const MESSAGES: M.MessageType<object>[] = [
  M.ModelMessage,
  M.GraphMessage,
  M.NodeMessage,
  M.AttributeMessage,
  M.TensorMessage,
  M.SparseTensorMessage,
  M.ValueInfoMessage,
  M.TypeMessage,
  M.TypeTensorMessage,
  M.TensorShapeMessage,
  M.DimensionMessage,
  M.OperatorSetIdMessage,
  M.StringStringEntryMessage,
];

describe('round trips', () => {
  it.each(MESSAGES.map((m) => [m.name, m] as const))('%s: every field, nested, decodes to what was encoded', (_name, type) => {
    const message = sample(type, 3);
    const encoded = encodeMessage(type, message);
    expect(decodeMessage(type, encoded)).toEqual(message);
    // From inside a larger buffer too: fixed-width numbers are read at the view's offset.
    const padded = new Uint8Array(encoded.length + 7);
    padded.set(encoded, 3);
    expect(decodeMessage(type, padded.subarray(3, 3 + encoded.length))).toEqual(message);
  });

  it.each(MESSAGES.map((m) => [m.name, m] as const))('%s: an empty message is no bytes, and decodes with its repeated fields empty', (_name, type) => {
    expect(encodeMessage(type, {})).toHaveLength(0);
    const empty = Object.fromEntries(type.fields.filter((f) => f.repeated).map((f) => [f.key, []]));
    expect(decodeMessage(type, new Uint8Array(0))).toEqual(empty);
  });

  it('a model with negative int64 dims and attributes, float and string attributes, empty names and large data', () => {
    const raw = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) & 255);
    const floats = Array.from({ length: 50_000 }, (_, i) => Math.fround(Math.sin(i)));
    const model: proto.ModelProto = {
      irVersion: 8,
      producerName: '',
      opsetImport: [{ domain: '', version: 17 }],
      metadataProps: [{ key: 'scm.kind', value: 'sampler' }],
      graph: {
        name: 'g',
        node: [
          {
            opType: 'Op',
            name: '',
            input: ['', 'x'],
            output: ['y'],
            attribute: [
              { name: 'axis', type: M.AttributeType.INT, i: -1 },
              { name: 'ends', type: M.AttributeType.INTS, ints: [INT64_MIN, -2, 0, INT64_MAX] },
              { name: 'alpha', type: M.AttributeType.FLOAT, f: Math.fround(0.2) },
              { name: 'scales', type: M.AttributeType.FLOATS, floats: [1.5, -0.25] },
              { name: 'mode', type: M.AttributeType.STRING, s: new TextEncoder().encode('nearest') },
            ],
          },
        ],
        initializer: [
          { name: 'raw', dataType: M.DataType.UINT8, dims: [200_000], rawData: raw },
          { name: 'typed', dataType: M.DataType.FLOAT, dims: [250, -200], floatData: floats },
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: M.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: -1 }, { dimValue: 0 }] } } } }],
      },
    };
    const decoded = decodeModelProto(encodeModelProto(model));
    expect(decoded.graph!.initializer![0].rawData).toEqual(raw);
    expect(decoded.graph!.initializer![1].floatData).toEqual(floats);
    expect(decoded.graph!.node![0].attribute).toMatchObject(model.graph!.node![0].attribute!);
    expect(decoded.graph!.input![0].type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'batch' }, { dimValue: -1 }, { dimValue: 0 }]);
    expect(encodeModelProto(decoded)).toEqual(encodeModelProto(model));
  });
});

describe('decoding what other writers write', () => {
  const model = encodeMessage(M.ModelMessage, { irVersion: 8 });
  const tail = encodeMessage(M.ModelMessage, { producerName: 'p' });

  it('skips unknown fields of every wire type, groups included, and known fields of an unexpected wire type', () => {
    const unknown = [
      '9806 05', // field 99, varint
      'a106 0102030405060708', // field 100, fixed64
      'a201 03 0a0100', // field 20 (training_info, not modelled), length-delimited
      'ab06 0801 b306 1002 b406 ac06', // field 101, a group holding a varint and a nested group 102
      'b506 01020304', // field 102, fixed32
      '38 07', // field 7 (graph) as a varint: not the wire type of a message
    ].join('');
    const data = Uint8Array.from([...model, ...bytes(unknown), ...tail]);
    expect(decodeModelProto(data)).toEqual({ irVersion: 8, producerName: 'p', opsetImport: [], metadataProps: [] });
  });

  it('accepts repeated numbers unpacked, packed, or both mixed, as protobuf parsers must', () => {
    // dims 2 and 3 one by one (as proto2 writers, python onnx among them, write dims), then 4 packed;
    // a float one by one, then two packed.
    const data = bytes('0802 0803 0a0104 25 0000803f 2208 00000040 00004040');
    expect(decodeMessage(M.TensorMessage, data)).toMatchObject({ dims: [2, 3, 4], floatData: [1, 2, 3] });
  });

  it('merges a message field given twice, as protobuf does', () => {
    const data = Uint8Array.from([...encodeMessage(M.ModelMessage, { graph: { name: 'g', node: [{ opType: 'A' }] } }), ...encodeMessage(M.ModelMessage, { graph: { node: [{ opType: 'B' }] } })]);
    const graph = decodeModelProto(data).graph!;
    expect(graph.name).toBe('g');
    expect(graph.node!.map((n) => n.opType)).toEqual(['A', 'B']);
  });

  it('refuses malformed data: cut-off data as a RangeError, other damage as an Error that says what it is', () => {
    const whole = encodeModelProto({ irVersion: 8, producerName: 'producer', graph: { name: 'g' } });
    for (let cut = 1; cut < whole.length; cut++) {
      if ([2, 12].includes(cut)) continue; // field boundaries: a shorter message, not a broken one
      expect(() => decodeModelProto(whole.subarray(0, cut)), `cut at ${cut}`).toThrow(RangeError);
    }
    const broken: [string, RegExp][] = [
      ['0f', /invalid wire type 7 \(field 1\)/],
      ['08 ffffffffffffffffffff01', /malformed varint/],
      ['0000', /invalid field number 0/],
      ['ab06 0801 ac07', /group 101 closed as group 117/],
      ['3a02 1205 6162636465', /malformed ModelProto\.graph: its last field runs 5 bytes past its end/],
      ['2202 00000000', /malformed TensorProto\.floatData: its last field runs 2 bytes past its end/],
    ];
    for (const [data, message] of broken) {
      const type = data.startsWith('22') ? M.TensorMessage : M.ModelMessage;
      expect(() => decodeMessage(type, bytes(data)), data).toThrow(message);
      expect(() => decodeMessage(type, bytes(data)), data).not.toThrow(RangeError);
    }
  });

  it('refuses messages nested deeper than protobuf parsers allow', () => {
    let graph: proto.GraphProto = { name: 'innermost' };
    for (let i = 0; i < 60; i++) graph = { node: [{ attribute: [{ g: graph }] }] };
    expect(() => decodeMessage(M.GraphMessage, encodeMessage(M.GraphMessage, graph))).toThrow(/nested more than 100 deep/);
  });
});

// ---- a model written by python onnx ---------------------------------------------------------------

const fixture = (name: string) => new URL(`fixtures/${name}`, import.meta.url);
const i64 = (v: Int64 | undefined) => String(v ?? 0);
const i64s = (vs: Int64[] | undefined) => (vs ?? []).map(i64);

/** The summary make_helper_model.py writes of python's reading, from ours. */
function tensorSummary(t: proto.TensorProto) {
  return {
    name: t.name ?? '',
    dataType: t.dataType,
    dims: i64s(t.dims),
    ...(t.floatData?.length ? { floatData: t.floatData } : {}),
    ...(t.int64Data?.length ? { int64Data: i64s(t.int64Data) } : {}),
    ...(t.int32Data?.length ? { int32Data: t.int32Data } : {}),
    ...(t.rawData ? { rawData: hex(t.rawData) } : {}),
  };
}

function valueInfoSummary(v: proto.ValueInfoProto) {
  const t = v.type?.tensorType;
  if (!t) return { name: v.name ?? '' };
  const dims = t.shape?.dim?.map((d) => (d.dimValue !== undefined ? { value: i64(d.dimValue) } : { param: d.dimParam }));
  return { name: v.name ?? '', elemType: t.elemType, ...(dims ? { dims } : {}) };
}

function attributeSummary(a: proto.AttributeProto): Record<string, unknown> {
  return {
    name: a.name ?? '',
    type: a.type,
    ...(a.f !== undefined ? { f: a.f } : {}),
    ...(a.i !== undefined ? { i: i64(a.i) } : {}),
    ...(a.s ? { s: new TextDecoder().decode(a.s) } : {}),
    ...(a.t ? { t: tensorSummary(a.t) } : {}),
    ...(a.g ? { g: graphSummary(a.g) } : {}),
    ...(a.floats?.length ? { floats: a.floats } : {}),
    ...(a.ints?.length ? { ints: i64s(a.ints) } : {}),
  };
}

function graphSummary(g: proto.GraphProto): Record<string, unknown> {
  return {
    name: g.name ?? '',
    inputs: g.input!.map(valueInfoSummary),
    outputs: g.output!.map(valueInfoSummary),
    valueInfo: g.valueInfo!.map(valueInfoSummary),
    initializers: g.initializer!.map(tensorSummary),
    sparseInitializers: g.sparseInitializer!.map((s) => ({ dims: i64s(s.dims), values: tensorSummary(s.values!), indices: tensorSummary(s.indices!) })),
    nodes: g.node!.map((n) => ({ opType: n.opType, name: n.name ?? '', domain: n.domain ?? '', input: n.input, output: n.output, attributes: n.attribute!.map(attributeSummary) })),
  };
}

function modelSummary(m: proto.ModelProto) {
  return {
    irVersion: i64(m.irVersion),
    modelVersion: i64(m.modelVersion),
    producerName: m.producerName,
    opsetImport: m.opsetImport!.map((o) => [o.domain, i64(o.version)]),
    metadata: Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value])),
    graph: graphSummary(m.graph!),
  };
}

describe('a model python onnx wrote (fixtures/make_helper_model.py)', () => {
  const written = new Uint8Array(readFileSync(fixture('helper-model.onnx')));
  const pythonRead = JSON.parse(readFileSync(fixture('helper-model.json'), 'utf8')) as unknown;

  it('decodes to what python read from it: nodes, attributes of every kind, subgraphs, typed and raw data, a sparse initializer', () => {
    const decoded = decodeModelProto(written);
    expect(modelSummary(decoded)).toEqual(pythonRead);
    expect(decoded.graph!.node!.map((n) => n.opType)).toEqual(['Constant', 'Add', 'LeakyRelu', 'Transpose', 'Transpose', 'Slice', 'Pad', 'If', 'Concat']);
  });

  it('re-encoded by us, it decodes the same and ONNX Runtime computes the same from it', async () => {
    const ours = encodeModelProto(decodeModelProto(written));
    expect(modelSummary(decodeModelProto(ours))).toEqual(pythonRead);
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, -4, -5, -6]), [2, 3]);
    for (const branch of [true, false]) {
      const feeds = { x, cond: new ort.Tensor('bool', Uint8Array.from([branch ? 1 : 0]), []) };
      const [a, b] = await Promise.all([written, ours].map(async (bytes) => {
        const session = await ort.InferenceSession.create(bytes);
        const y = (await session.run(feeds)).y.data as Float32Array;
        await session.release();
        return Array.from(y);
      }));
      expect(b).toEqual(a);
      expect(a).toHaveLength(24);
    }
  });
});
