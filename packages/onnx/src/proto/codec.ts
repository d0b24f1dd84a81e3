/**
 * Encoding and decoding messages by their field tables (messages.ts) over the wire format (wire.ts).
 *
 * Writing: fields in number order, absent (undefined or null) fields and empty repeated fields left
 * out, repeated numbers packed. Reading: unknown fields skipped by their wire type, repeated numbers
 * accepted packed or one by one, a message field that comes twice merged, as protobuf does.
 */
import type { Field, MessageType, Scalar } from './messages.js';
import { MAX_DEPTH, Reader, WireType, Writer, type Int64 } from './wire.js';

type Fields = Record<string, unknown>;

const WIRE_TYPES: Record<Scalar, number> = {
  int32: WireType.VARINT,
  int64: WireType.VARINT,
  uint64: WireType.VARINT,
  float: WireType.FIXED32,
  double: WireType.FIXED64,
  string: WireType.BYTES,
  bytes: WireType.BYTES,
};

/** Bytes per value of the fixed-width scalars, whose packed length is known before writing. */
const FIXED_WIDTH: Partial<Record<Scalar, number>> = { float: 4, double: 8 };

function writeScalar(w: Writer, type: Scalar, value: unknown, what: string): void {
  const expect = (ok: boolean, kind: string) => {
    if (!ok) throw new TypeError(`${what}: expected ${kind}, got ${value === null ? 'null' : typeof value}`);
  };
  switch (type) {
    case 'int32':
      expect(typeof value === 'number', 'a number');
      w.int32(value as number, what);
      return;
    case 'int64':
    case 'uint64':
      expect(typeof value === 'number' || typeof value === 'bigint', 'a number or a bigint');
      if (type === 'int64') w.int64(value as Int64, what);
      else w.uint64(value as Int64, what);
      return;
    case 'float':
    case 'double':
      expect(typeof value === 'number', 'a number');
      if (type === 'float') w.float(value as number);
      else w.double(value as number);
      return;
    case 'string':
      expect(typeof value === 'string', 'a string');
      w.string(value as string);
      return;
    case 'bytes':
      expect(value instanceof Uint8Array, 'a Uint8Array');
      w.bytes(value as Uint8Array);
      return;
  }
}

function writeRepeated(w: Writer, f: Field, values: ArrayLike<unknown>, what: string): void {
  if (typeof f.type === 'object') {
    for (let i = 0; i < values.length; i++) writeMessage(w.tag(f.no, WireType.BYTES), f.type, values[i], `${what}[${i}]`);
    return;
  }
  const type = f.type;
  if (WIRE_TYPES[type] === WireType.BYTES) {
    for (let i = 0; i < values.length; i++) writeScalar(w.tag(f.no, WireType.BYTES), type, values[i], `${what}[${i}]`);
    return;
  }
  // Packed: one length-delimited run of the values.
  w.tag(f.no, WireType.BYTES);
  const width = FIXED_WIDTH[type];
  if (width === undefined) w.fork();
  else w.uint32(width * values.length);
  for (let i = 0; i < values.length; i++) writeScalar(w, type, values[i], what);
  if (width === undefined) w.ldelim();
}

function writeMessage(w: Writer, type: MessageType<object>, value: unknown, what: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what}: expected a ${type.name} object`);
  w.fork();
  writeFields(w, type, value as Fields, what);
  w.ldelim();
}

function writeFields(w: Writer, type: MessageType<object>, message: Fields, path: string): void {
  for (const f of type.fields) {
    const value = message[f.key];
    if (value === undefined || value === null) continue;
    const what = `${path}.${f.key}`;
    if (f.repeated) {
      const values = value as ArrayLike<unknown>;
      if (typeof value !== 'object' || typeof values.length !== 'number') throw new TypeError(`${what}: expected an array`);
      if (values.length > 0) writeRepeated(w, f, values, what);
    } else if (typeof f.type === 'object') {
      writeMessage(w.tag(f.no, WireType.BYTES), f.type, value, what);
    } else {
      writeScalar(w.tag(f.no, WIRE_TYPES[f.type]), f.type, value, what);
    }
  }
}

/** The message as protobuf bytes. Throws a TypeError or RangeError naming the field of a value that cannot be written. */
export function encodeMessage<T extends object>(type: MessageType<T>, message: T): Uint8Array {
  const w = new Writer();
  writeFields(w, type, message as Fields, type.name);
  return w.finish();
}

/** The Reader's method of each scalar type has the type's name. */
const readScalar = (r: Reader, type: Scalar): unknown => r[type]();

const byNumber = new WeakMap<MessageType<object>, Map<number, Field>>();

function fieldsByNumber(type: MessageType<object>): Map<number, Field> {
  let m = byNumber.get(type);
  if (!m) byNumber.set(type, (m = new Map(type.fields.map((f) => [f.no, f]))));
  return m;
}

/** Checks that the fields read ended exactly where their run (message or packed values) does. */
function endAt(r: Reader, end: number, what: string): void {
  if (r.pos !== end) throw new Error(`malformed ${what}: its last field runs ${r.pos - end} bytes past its end at offset ${end}`);
}

function readFields(r: Reader, type: MessageType<object>, end: number, into: Fields, depth: number): Fields {
  if (depth > MAX_DEPTH) throw new Error(`messages nested more than ${MAX_DEPTH} deep at offset ${r.pos}`);
  const fields = fieldsByNumber(type);
  for (const f of type.fields) if (f.repeated) into[f.key] ??= [];
  while (r.pos < end) {
    const [no, wireType] = r.tag();
    const f = fields.get(no);
    if (f === undefined) {
      r.skip(no, wireType);
    } else if (typeof f.type === 'object') {
      // A field of another wire type than its schema's is unknown data, as protobuf treats it.
      if (wireType !== WireType.BYTES) r.skip(no, wireType);
      else {
        const stop = r.delimited();
        if (f.repeated) (into[f.key] as unknown[]).push(readFields(r, f.type, stop, {}, depth + 1));
        else into[f.key] = readFields(r, f.type, stop, (into[f.key] as Fields | undefined) ?? {}, depth + 1);
        endAt(r, stop, `${type.name}.${f.key}`);
      }
    } else if (f.repeated && wireType === WireType.BYTES && WIRE_TYPES[f.type] !== WireType.BYTES) {
      const stop = r.delimited();
      const values = into[f.key] as unknown[];
      while (r.pos < stop) values.push(readScalar(r, f.type));
      endAt(r, stop, `${type.name}.${f.key}`);
    } else if (wireType !== WIRE_TYPES[f.type]) {
      r.skip(no, wireType);
    } else if (f.repeated) {
      (into[f.key] as unknown[]).push(readScalar(r, f.type));
    } else {
      into[f.key] = readScalar(r, f.type);
    }
  }
  return into;
}

/**
 * The message in `bytes`. Data that ends inside a field throws a RangeError; other malformed data
 * (a bad wire type, an overlong varint, fields crossing their message's end) throws an Error.
 */
export function decodeMessage<T extends object>(type: MessageType<T>, bytes: Uint8Array): T {
  const r = new Reader(bytes);
  return readFields(r, type, r.end, {}, 0) as T;
}
