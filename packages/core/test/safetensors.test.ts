import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsTensor,
} from '../src/train/index.js';

const ascii = (text: string): number[] =>
  Array.from(text, (c) => {
    expect(c.charCodeAt(0)).toBeLessThan(128);
    return c.charCodeAt(0);
  });
const u64le = (n: number): number[] => Array.from({ length: 8 }, (_, i) => Math.floor(n / 256 ** i) % 256);

/** A file assembled byte by byte from an ASCII header and data, bypassing the encoder. */
const file = (header: string, data: number[] = []): Uint8Array =>
  Uint8Array.from([...u64le(header.length), ...ascii(header), ...data]);

const bytesOf = (a: ArrayBufferView): number[] => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

const ELEMENT_BYTES: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, U8: 1 };

describe('encodeSafetensors', () => {
  it('writes the bytes the format specifies for one small tensor', () => {
    // {"x":...} is 54 bytes, padded with two spaces to 56 = 0x38; then 1.0f = 0x3f800000 and
    // -2.0f = 0xc0000000, little-endian.
    const header = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(header.length).toBe(54);
    const expected = [0x38, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), 0x20, 0x20, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0];
    const encoded = encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: Float32Array.from([1, -2]) } });
    expect(Array.from(encoded)).toEqual(expected);

    const decoded = decodeSafetensors(Uint8Array.from(expected));
    expect(decoded.metadata).toEqual({});
    expect(decoded.tensors.x.dtype).toBe('F32');
    expect(decoded.tensors.x.shape).toEqual([2]);
    expect(decoded.tensors.x.data).toEqual(Float32Array.from([1, -2]));
  });

  it('lays data out contiguously, largest elements first, aligned, after a space-padded header', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) },
        a: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) },
        c: { dtype: 'F64', shape: [1], data: Float64Array.from([1]) },
        d: { dtype: 'I32', shape: [1], data: Int32Array.from([1]) },
      },
      { note: 'x' },
    );
    const n = bytes[0] + 256 * bytes[1];
    expect(bytes.subarray(2, 8).every((b) => b === 0)).toBe(true);
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text[0]).toBe('{');
    expect(text.slice(text.lastIndexOf('}') + 1)).toMatch(/^ *$/);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(header.__metadata__).toEqual({ note: 'x' });
    const order = Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .sort(([, x], [, y]) => x.data_offsets[0] - y.data_offsets[0]);
    expect(order.map(([k]) => k)).toEqual(['c', 'a', 'd', 'b']);
    let end = 0;
    for (const [, { dtype, data_offsets: [begin, stop] }] of order) {
      expect(begin).toBe(end);
      expect(begin % ELEMENT_BYTES[dtype]).toBe(0);
      end = stop;
    }
    expect(bytes.length).toBe(8 + n + end);
  });

  it('names the problem with tensors it cannot encode', () => {
    const f32 = Float32Array.from([1, 2]);
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: f32 } })).toThrow(
      'safetensors: cannot encode tensor "x": shape [3] has 3 elements but data has 2',
    );
    expect(() =>
      encodeSafetensors({ x: { dtype: 'F64', shape: [2], data: f32 } as unknown as SafetensorsTensor }),
    ).toThrow(/tensor "x": dtype F64 needs a Float64Array/);
    expect(() => encodeSafetensors({ x: { dtype: 'BF16', shape: [2], data: f32 } as unknown as SafetensorsTensor })).toThrow(
      /unsupported dtype "BF16"/,
    );
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [-2], data: f32 } })).toThrow(/shape must be non-negative integers/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [2], data: f32 } })).toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { step: 3 } as unknown as Record<string, string>)).toThrow(
      /__metadata__ entry "step" must be a string, got 3/,
    );
  });
});

describe('decodeSafetensors round trip', () => {
  it('restores every dtype, scalars, empty tensors, odd names and metadata exactly', () => {
    const tensors: Record<string, SafetensorsTensor> = {
      weight: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1.5, -0, Number.NaN, Infinity, 1e-45, -3.25]) },
      bias: { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
      count: { dtype: 'I32', shape: [], data: Int32Array.from([-7]) },
      step: { dtype: 'I64', shape: [], data: BigInt64Array.from([2n ** 62n + 1n]) },
      ids: { dtype: 'I64', shape: [3], data: BigInt64Array.from([-1n, 0n, 9007199254740993n]) },
      mask: { dtype: 'U8', shape: [5], data: Uint8Array.from([0, 1, 127, 128, 255]) },
      empty: { dtype: 'F32', shape: [0], data: new Float32Array(0) },
      empty3d: { dtype: 'I32', shape: [2, 0, 3], data: new Int32Array(0) },
      '0': { dtype: 'U8', shape: [1], data: Uint8Array.from([9]) },
      'décodé.x': { dtype: 'F32', shape: [1, 1], data: Float32Array.from([2]) },
    };
    // A tensor named __proto__ must stay a tensor (a literal would set the prototype instead).
    Object.defineProperty(tensors, '__proto__', {
      value: { dtype: 'F32', shape: [1], data: Float32Array.from([4]) },
      enumerable: true,
    });
    const metadata = { format: 'scm', step: '10', empty: '' };
    const bytes = encodeSafetensors(tensors, metadata);
    // Decoding must not depend on the array starting at byte 0 of its buffer.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    for (const input of [bytes, shifted.subarray(3)]) {
      const decoded = decodeSafetensors(input);
      expect(decoded.metadata).toEqual(metadata);
      expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const got = decoded.tensors[name];
        expect(got.dtype).toBe(t.dtype);
        expect(got.shape).toEqual(t.shape);
        expect(got.data.constructor).toBe(t.data.constructor);
        expect(bytesOf(got.data)).toEqual(bytesOf(t.data));
      }
    }
  });

  it('encodes only the viewed part of a subarray and decodes copies', () => {
    const view = Float32Array.from([9, 1, 2, 9]).subarray(1, 3);
    const bytes = encodeSafetensors({ v: { dtype: 'F32', shape: [2], data: view } });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.tensors.v.data).toEqual(Float32Array.from([1, 2]));
    bytes.fill(0);
    expect(decoded.tensors.v.data).toEqual(Float32Array.from([1, 2]));
  });

  it('reads files from other writers: unpadded header, other key order, metadata last', () => {
    const bytes = file('{"b":{"shape":[],"data_offsets":[0,1],"dtype":"U8"},"__metadata__":{"format":"pt"}}', [200]);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.b).toEqual({ dtype: 'U8', shape: [], data: Uint8Array.from([200]) });
  });
});

describe('decodeSafetensors validation', () => {
  const f32 = (offsets: string, shape = '[2]'): string => `{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}`;
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated file', Uint8Array.from([1, 0, 0, 0, 0]), /truncated file: 5 bytes, fewer than the 8-byte header length/],
    ['header length beyond the file', Uint8Array.from([...u64le(100), ...ascii('{}'.padEnd(10))]), /header length 100 runs past the end of the file \(10 bytes follow the length\)/],
    ['header length over the format\'s 100 MB cap', Uint8Array.from([...u64le(100_000_008), ...ascii('{}'.padEnd(8))]), /header length 100000008 is over the format's limit of 100000000 bytes/],
    ['a header length of 2^63 - 1', Uint8Array.from([...Array(7).fill(0xff), 0x7f, ...ascii('{}')]), /header length 9223372036854775807 is over the format.s limit of 100000000 bytes/],
    ['invalid UTF-8', Uint8Array.from([...u64le(3), 0x7b, 0xff, 0x7d]), /header is not valid UTF-8/],
    ['invalid JSON', file('{"x":'), /header is not valid JSON/],
    ['a header that is not an object', file('[1,2]'), /header must be a JSON object starting with '\{'/],
    ['leading whitespace', file(' {}'), /header must be a JSON object starting with '\{'/],
    ['an entry that is not an object', file('{"x":3}'), /tensor "x": entry must be an object with dtype, shape and data_offsets/],
    ['unknown dtype', file('{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /tensor "x": unsupported dtype "BF16" \(supported: F32, F64, I32, I64, U8\)/],
    ['a bad shape', file(`{"x":${f32('[0,8]', '[-2]')}}`, Array(8).fill(0)), /tensor "x": shape must be an array of non-negative integers, got \[-2\]/],
    ['reversed offsets', file(`{"x":${f32('[8,0]')}}`, Array(8).fill(0)), /tensor "x": data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[8,0\]/],
    ['offsets out of bounds', file(`{"x":${f32('[0,16]', '[4]')}}`, Array(8).fill(0)), /tensor "x": data_offsets \[0, 16\] run past the end of the 8-byte data buffer/],
    ['size not matching dtype and shape', file(`{"x":${f32('[0,8]', '[3]')}}`, Array(8).fill(0)), /tensor "x": data_offsets span 8 bytes, but F32 of shape \[3\] needs 12/],
    ['overlapping tensors', file(`{"a":${f32('[0,8]')},"b":${f32('[4,12]')}}`, Array(12).fill(0)), /tensors "a" and "b" overlap \(bytes \[0, 8\) and \[4, 12\)\)/],
    ['a hole between tensors', file(`{"a":${f32('[0,4]', '[1]')},"b":${f32('[8,12]', '[1]')}}`, Array(12).fill(0)), /data is not contiguous: bytes \[4, 8\) before tensor "b" belong to no tensor/],
    ['a hole at the start', file(`{"a":${f32('[4,8]', '[1]')}}`, Array(8).fill(0)), /bytes \[0, 4\) before tensor "a" belong to no tensor/],
    ['trailing bytes', file(`{"a":${f32('[0,4]', '[1]')}}`, Array(6).fill(0)), /the last 2 bytes of the data buffer belong to no tensor/],
    ['non-string metadata', file('{"__metadata__":{"step":3}}'), /__metadata__ entry "step" must be a string, got 3/],
    ['metadata that is not an object', file('{"__metadata__":["a"]}'), /__metadata__ must be an object mapping strings to strings/],
  ];

  it.each(cases)('rejects %s', (_, bytes, message) => {
    expect(() => decodeSafetensors(bytes)).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(bytes)).toThrow(message);
  });

  it('accepts the empty file with an empty header', () => {
    expect(decodeSafetensors(file('{}'))).toEqual({ tensors: {}, metadata: {} });
    expect(decodeSafetensors(encodeSafetensors({}))).toEqual({ tensors: {}, metadata: {} });
  });
});

describe('decoding a Node Buffer', () => {
  it('copies each tensor even though Buffer#slice returns a view of the whole pool', async () => {
    const { encodeSafetensors: enc, decodeSafetensors: dec } = await import('../src/train/safetensors.js');
    const bytes = enc({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) }, b: { dtype: 'F32', shape: [1], data: new Float32Array([7]) } });
    // A Buffer inside a larger allocation, as fs.readFile can return.
    const pool = Buffer.alloc(bytes.length + 16);
    pool.set(bytes, 8);
    const view = pool.subarray(8, 8 + bytes.length);
    const { tensors } = dec(view);
    expect(Array.from(tensors.a.data as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(tensors.b.data as Float32Array)).toEqual([7]);
  });
});
