/**
 * The safetensors file format (https://github.com/huggingface/safetensors), the checkpoint codec:
 * an 8-byte little-endian u64 N, an N-byte UTF-8 JSON header, then the tensors' bytes.
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (byte offsets
 * into the data that follows the header) and may hold a "__metadata__" map of strings to strings.
 * Data is little-endian and row-major, and the tensors must cover the data exactly: no gaps, no
 * overlaps, no trailing bytes. Decoding checks all of this and names what is wrong.
 */

interface DtypeArrays {
  F32: Float32Array;
  F64: Float64Array;
  I32: Int32Array;
  I64: BigInt64Array;
  U8: Uint8Array;
}

/** The element types this codec reads and writes: float32/64, int32/64 and uint8. */
export type SafetensorsDtype = keyof DtypeArrays;

/** A tensor whose typed array matches its dtype (I64 holds bigints). Shape [] is a scalar. */
export type SafetensorsTensor = {
  [D in SafetensorsDtype]: {
    /** The element type. */
    readonly dtype: D;
    /** Dimensions, row-major. */
    readonly shape: readonly number[];
    /** The values, as the typed array of `dtype`. */
    readonly data: DtypeArrays[D];
  };
}[SafetensorsDtype];

/** A decoded safetensors file. */
export interface SafetensorsContents {
  /** The tensors by name. */
  readonly tensors: Record<string, SafetensorsTensor>;
  /** The "__metadata__" string map ({} when the file has none). */
  readonly metadata: Record<string, string>;
}

/** Bytes that are not a valid safetensors file; the message names what is wrong (header, offsets, dtype, size). */
export class SafetensorsError extends Error {
  constructor(detail: string) {
    super(`safetensors: ${detail}`);
    this.name = 'SafetensorsError';
  }
}

interface TypedArrayClass {
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
  new (buffer: ArrayBuffer): DtypeArrays[SafetensorsDtype];
}

const ARRAYS: Record<SafetensorsDtype, TypedArrayClass> = {
  F32: Float32Array,
  F64: Float64Array,
  I32: Int32Array,
  I64: BigInt64Array,
  U8: Uint8Array,
};
const DTYPES = Object.keys(ARRAYS) as SafetensorsDtype[];
const METADATA_KEY = '__metadata__';
const HEADER_ALIGNMENT = 8;
const SPACE = 0x20;
/** The format's cap on the header (as the reference implementation's MAX_HEADER_SIZE): a larger one is refused unread. */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Encodes tensors and optional string metadata. The data is laid out by element size, largest
 * first, then by name, so every tensor starts at a multiple of its element size (the header is
 * padded with spaces to a multiple of 8 bytes) and readers can view it in place.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  requireLittleEndianHost();
  const entries = Object.entries(tensors);
  for (const [name, tensor] of entries) checkTensor(name, tensor);
  if (metadata !== undefined) checkMetadata(metadata);
  entries.sort(([nameA, a], [nameB, b]) => {
    const bySize = ARRAYS[b.dtype].BYTES_PER_ELEMENT - ARRAYS[a.dtype].BYTES_PER_ELEMENT;
    return bySize !== 0 ? bySize : nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
  });

  // Assembled by hand to keep the layout order (an object would move integer-like names first).
  const fields: string[] = metadata === undefined ? [] : [`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`];
  let offset = 0;
  for (const [name, { dtype, shape, data }] of entries) {
    const info = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(SPACE, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, { data }] of entries) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

/** Decodes and validates a safetensors file; the tensors' data are copies, aligned. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  requireLittleEndianHost();
  if (bytes.length < 8) {
    throw new SafetensorsError(`truncated file: ${bytes.length} bytes, fewer than the 8-byte header length`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${headerLength} is over the format's limit of ${MAX_HEADER_BYTES} bytes`);
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(
      `header length ${headerLength} runs past the end of the file (${bytes.length - 8} bytes follow the length)`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  const header = parseHeader(bytes.subarray(8, dataStart));
  const dataLength = bytes.length - dataStart;

  const metadata = header[METADATA_KEY] === undefined ? {} : header[METADATA_KEY];
  checkMetadata(metadata);
  const layout = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, info]) => readTensorInfo(name, info, dataLength));
  checkCoverage(layout, dataLength);

  const tensors = Object.fromEntries(
    layout.map(({ name, dtype, shape, begin, end }) => {
      // Uint8Array.prototype.slice copies even when the input is a Node Buffer (whose own slice is a view).
      const copy = Uint8Array.prototype.slice.call(bytes, dataStart + begin, dataStart + end);
      const data = dtype === 'U8' ? copy : new ARRAYS[dtype](copy.buffer);
      return [name, { dtype, shape, data } as SafetensorsTensor];
    }),
  );
  return { tensors, metadata };
}

interface TensorLayout {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function parseHeader(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON: ${(e as Error).message}`);
  }
  // The format requires the first byte to be '{' (leading whitespace is not allowed).
  if (text[0] !== '{' || !isPlainObject(header)) throw new SafetensorsError("header must be a JSON object starting with '{'");
  return header;
}

function readTensorInfo(name: string, info: unknown, dataLength: number): TensorLayout {
  const fail = (detail: string): never => {
    throw new SafetensorsError(`tensor ${JSON.stringify(name)}: ${detail}`);
  };
  if (!isPlainObject(info)) return fail('entry must be an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !(DTYPES as string[]).includes(dtype)) {
    return fail(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${DTYPES.join(', ')})`);
  }
  if (!isIntegerArray(shape)) return fail(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!isIntegerArray(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
    return fail(`data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets;
  if (end > dataLength) {
    return fail(`data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data buffer`);
  }
  const needed = shape.reduce((n, d) => n * d, 1) * ARRAYS[dtype as SafetensorsDtype].BYTES_PER_ELEMENT;
  if (end - begin !== needed) {
    return fail(`data_offsets span ${end - begin} bytes, but ${dtype} of shape [${shape.join(', ')}] needs ${needed}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape, begin, end };
}

/** The tensors, in offset order, must tile [0, dataLength) exactly. */
function checkCoverage(layout: TensorLayout[], dataLength: number): void {
  const sorted = [...layout].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorLayout | undefined;
  for (const t of sorted) {
    if (t.begin < covered) {
      throw new SafetensorsError(
        `tensors ${JSON.stringify(previous!.name)} and ${JSON.stringify(t.name)} overlap ` +
          `(bytes [${previous!.begin}, ${previous!.end}) and [${t.begin}, ${t.end}))`,
      );
    }
    if (t.begin > covered) {
      throw new SafetensorsError(
        `data is not contiguous: bytes [${covered}, ${t.begin}) before tensor ${JSON.stringify(t.name)} belong to no tensor`,
      );
    }
    covered = t.end;
    previous = t;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(`the last ${dataLength - covered} bytes of the data buffer belong to no tensor`);
  }
}

function checkTensor(name: string, tensor: SafetensorsTensor): void {
  const fail = (detail: string): never => {
    throw new SafetensorsError(`cannot encode tensor ${JSON.stringify(name)}: ${detail}`);
  };
  if (name === METADATA_KEY) fail(`the name ${METADATA_KEY} is reserved for metadata`);
  if (!(DTYPES as string[]).includes(tensor.dtype)) {
    fail(`unsupported dtype ${JSON.stringify(tensor.dtype)} (supported: ${DTYPES.join(', ')})`);
  }
  const arrayClass = ARRAYS[tensor.dtype];
  if (!(tensor.data instanceof arrayClass)) fail(`dtype ${tensor.dtype} needs a ${arrayClass.name}`);
  if (!isIntegerArray(tensor.shape)) fail(`shape must be non-negative integers, got ${JSON.stringify(tensor.shape)}`);
  const size = tensor.shape.reduce((n, d) => n * d, 1);
  if (tensor.data.length !== size) fail(`shape [${tensor.shape.join(', ')}] has ${size} elements but data has ${tensor.data.length}`);
}

function checkMetadata(metadata: unknown): asserts metadata is Record<string, string> {
  if (!isPlainObject(metadata)) throw new SafetensorsError(`${METADATA_KEY} must be an object mapping strings to strings`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(`${METADATA_KEY} entry ${JSON.stringify(key)} must be a string, got ${JSON.stringify(value)}`);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntegerArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v >= 0);
}

/** Typed arrays use the host's byte order; the format is little-endian, as every JS host is. */
function requireLittleEndianHost(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
    throw new SafetensorsError('this codec needs a little-endian host');
  }
}
