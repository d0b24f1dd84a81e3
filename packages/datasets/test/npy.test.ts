import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../src/index.js';

const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

describe('encodeNpy', () => {
  it('writes the version 1.0 header, padded so the data starts at byte 64', () => {
    const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    // 10 bytes of preamble + 54 of header = 64. The dict is 59 characters: too long for 54, so 118.
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const header = dict + ' '.repeat(118 - dict.length - 1) + '\n';
    expect(Array.from(bytes.subarray(0, 10))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
    expect(text(bytes.subarray(10, 128))).toBe(header);
    expect(bytes.length).toBe(128 + 24);
    expect(Array.from(bytes.subarray(128, 132))).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f, little-endian
  });

  it("spells a one-element shape with Python's trailing comma, and int32 as '<i4'", () => {
    const bytes = encodeNpy(new Int32Array([-1, 0, 1, 2, 3]), [5]);
    expect(text(bytes.subarray(10, 128))).toBe("{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }" + ' '.repeat(60) + '\n');
    expect(Array.from(bytes.subarray(128, 132))).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(text(encodeNpy(new Float32Array([7]), []).subarray(10, 128))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(\), \} +\n$/);
  });

  it('round-trips through decodeNpy', () => {
    const floats = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i) * 1e3);
    const a = decodeNpy(encodeNpy(floats, [2, 3, 4]));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(a.data).toEqual(floats);
    const ints = Int32Array.from([2 ** 31 - 1, -(2 ** 31), 0]);
    const b = decodeNpy(encodeNpy(ints, [3]));
    expect(b.data).toBeInstanceOf(Int32Array);
    expect(b.data).toEqual(ints);
    expect(decodeNpy(encodeNpy(new Float32Array(0), [0, 5])).shape).toEqual([0, 5]);
  });

  it('reports mismatches and what it cannot read', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow('shape [2,3] holds 6 values, but data has 5');
    expect(() => decodeNpy(new Uint8Array(20))).toThrow('not a .npy file');
    // Two float32 values behind a hand-written header of the same 118 bytes.
    const withHeader = (dict: string) => {
      const bytes = encodeNpy(new Float32Array(2), [2]);
      const header = dict.padEnd(117, ' ') + '\n';
      for (let i = 0; i < 118; i++) bytes[10 + i] = header.charCodeAt(i);
      return bytes;
    };
    expect(() => decodeNpy(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }"))).toThrow("dtype <f8 is not supported");
    expect(() => decodeNpy(withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }"))).toThrow('Fortran-order');
    expect(() => decodeNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"))).toThrow('needs 12 data bytes, the file has 8');
  });
});
