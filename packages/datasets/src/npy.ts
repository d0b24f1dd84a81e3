/**
 * NumPy .npy files (format version 1.0) for float32 and int32 arrays, so samples and labels open
 * with numpy.load. Layout: the magic "\x93NUMPY", version bytes 1 0, a little-endian uint16 header
 * length, then the header, a Python dict literal padded with spaces and ended by "\n" so that the
 * data starts at a multiple of 64 bytes, then the data in C order, little-endian.
 */

/** An array read from a .npy file. */
export interface NpyArray {
  /** The values in C (row-major) order: float32 ('<f4') or int32 ('<i4'). */
  readonly data: Float32Array | Int32Array;
  /** The array's dimensions; [] for a scalar. */
  readonly shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const PREAMBLE = MAGIC.length + 4;
const ALIGN = 64;

/**
 * A .npy file (version 1.0, little-endian, C order) holding `data` with `shape`, for numpy.load.
 *
 * @throws Error when the shape is not non-negative integers or its size differs from data.length.
 */
export function encodeNpy(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`encodeNpy: shape must be non-negative integers, got [${shape}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape [${shape}] holds ${count} values, but data has ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pythonTuple(shape)}, }`;
  const headerLength = Math.ceil((PREAMBLE + dict.length + 1) / ALIGN) * ALIGN - PREAMBLE;
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  const out = new Uint8Array(PREAMBLE + headerLength + data.length * 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out.set([1, 0], MAGIC.length);
  view.setUint16(MAGIC.length + 2, headerLength, true);
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i);
  const start = PREAMBLE + headerLength;
  const write = data instanceof Float32Array ? view.setFloat32.bind(view) : view.setInt32.bind(view);
  for (let i = 0; i < data.length; i++) write(start + 4 * i, data[i], true);
  return out;
}

/**
 * Reads what `encodeNpy` writes (and version 2.0/3.0 headers): '<f4' or '<i4', C order.
 *
 * @throws Error naming the problem for a file that is not .npy, another dtype, Fortran order or a
 *   truncated body.
 */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < PREAMBLE || !MAGIC.every((b, i) => bytes[i] === b)) throw new Error('decodeNpy: not a .npy file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[MAGIC.length];
  if (major < 1 || major > 3) throw new Error(`decodeNpy: unsupported format version ${major}`);
  // Versions 2 and 3 widen the header length to uint32.
  const [headerLength, headerStart] = major === 1 ? [view.getUint16(8, true), PREAMBLE] : [view.getUint32(8, true), PREAMBLE + 2];
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`decodeNpy: malformed header ${JSON.stringify(header)}`);
  if (fortran === 'True') throw new Error('decodeNpy: Fortran-order arrays are not supported');
  if (descr !== '<f4' && descr !== '<i4') throw new Error(`decodeNpy: dtype ${descr} is not supported (only '<f4' and '<i4')`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`decodeNpy: bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLength;
  if (bytes.length !== start + 4 * count) {
    throw new Error(`decodeNpy: shape (${shape}) needs ${4 * count} data bytes, the file has ${bytes.length - start}`);
  }
  const data = descr === '<f4' ? new Float32Array(count) : new Int32Array(count);
  const read = descr === '<f4' ? view.getFloat32.bind(view) : view.getInt32.bind(view);
  for (let i = 0; i < count; i++) data[i] = read(start + 4 * i, true);
  return { data, shape };
}

/** (), (5,), (2, 3): Python's spelling, a one-element tuple keeps its comma. */
function pythonTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}
