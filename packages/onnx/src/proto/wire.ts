/**
 * The protobuf wire format: tags, varints, fixed-width numbers and length-delimited bytes. Nothing
 * here knows a message; codec.ts walks the message tables of messages.ts with these.
 *
 * 64-bit varints travel as two unsigned 32-bit halves so that the common small values need no
 * BigInt; a 64-bit value is a number where it is a safe integer and a bigint beyond.
 */

export const WireType = { VARINT: 0, FIXED64: 1, BYTES: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

/** A protobuf int64/uint64 as this codec reads and writes it. */
export type Int64 = number | bigint;

const TWO_32 = 2 ** 32;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The two's complement halves of a 64-bit integer; throws for a non-integer or one out of 64-bit range. */
export function int64Halves(value: Int64, what: string): [lo: number, hi: number] {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`${what}: ${value} is not an integer`);
    // Non-negative safe integers split exactly without BigInt.
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) return [value >>> 0, Math.floor(value / TWO_32) >>> 0];
    value = BigInt(value);
  }
  if (value < -(1n << 63n) || value >= 1n << 64n) throw new RangeError(`${what}: ${value} does not fit in 64 bits`);
  const u = BigInt.asUintN(64, value);
  return [Number(u & 0xffffffffn), Number(u >> 32n)];
}

/** A 64-bit value from its halves: a number where that is exact, a bigint beyond. */
export function int64FromHalves(lo: number, hi: number, signed: boolean): Int64 {
  const high = signed ? hi | 0 : hi >>> 0;
  const value = high * TWO_32 + (lo >>> 0);
  if (Number.isSafeInteger(value)) return value;
  const u = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return signed ? BigInt.asIntN(64, u) : u;
}

/** How deep messages (and groups) may nest, as protobuf's own parsers limit it: deeper data is not a model. */
export const MAX_DEPTH = 100;

const CHUNK = 64 * 1024;
/** Byte arrays longer than this are kept by reference until finish() rather than copied twice. */
const BY_REFERENCE = 1024;

/** Writes an unsigned 32-bit varint (at most 5 bytes) at `at`; returns the offset after it. */
function putUint32(buf: Uint8Array, at: number, value: number): number {
  let v = value >>> 0;
  while (v > 0x7f) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/**
 * Appends fields to a list of parts. A length-delimited message is written with fork()/ldelim():
 * fork leaves an empty slot for the length, which ldelim fills once the contents are written.
 */
export class Writer {
  private readonly parts: (Uint8Array | undefined)[] = [];
  private readonly open: { slot: number; at: number }[] = [];
  /** Bytes in parts, not counting the unflushed [start, pos) of buf. */
  private committed = 0;
  private buf = new Uint8Array(CHUNK);
  private view = new DataView(this.buf.buffer);
  private start = 0;
  private pos = 0;

  private flush(): void {
    if (this.pos > this.start) {
      this.parts.push(this.buf.subarray(this.start, this.pos));
      this.committed += this.pos - this.start;
      this.start = this.pos;
    }
  }

  private reserve(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    this.flush();
    this.buf = new Uint8Array(Math.max(CHUNK, n));
    this.view = new DataView(this.buf.buffer);
    this.start = this.pos = 0;
  }

  tag(field: number, wireType: number): this {
    return this.uint32(((field << 3) | wireType) >>> 0);
  }

  uint32(value: number): this {
    this.reserve(5);
    this.pos = putUint32(this.buf, this.pos, value);
    return this;
  }

  /** A varint of 64-bit two's complement halves: up to 10 bytes, as negative int32/int64 values take. */
  varint64(lo: number, hi: number): this {
    if (hi === 0) return this.uint32(lo);
    this.reserve(10);
    let l = lo >>> 0;
    let h = hi >>> 0;
    while (h > 0 || l > 0x7f) {
      this.buf[this.pos++] = (l & 0x7f) | 0x80;
      l = ((l >>> 7) | (h << 25)) >>> 0;
      h >>>= 7;
    }
    this.buf[this.pos++] = l;
    return this;
  }

  /** int32 and enums: a negative value is sign-extended to 64 bits, as protobuf requires. */
  int32(value: number, what: string): this {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw new RangeError(`${what}: ${value} is not a 32-bit integer`);
    return value >= 0 ? this.uint32(value) : this.varint64(value >>> 0, 0xffffffff);
  }

  int64(value: Int64, what: string): this {
    const [lo, hi] = int64Halves(value, what);
    return this.varint64(lo, hi);
  }

  uint64(value: Int64, what: string): this {
    if (value < 0) throw new RangeError(`${what}: ${value} is negative`);
    return this.int64(value, what);
  }

  float(value: number): this {
    this.reserve(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  double(value: number): this {
    this.reserve(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  /** Length-prefixed bytes. */
  bytes(value: Uint8Array): this {
    this.uint32(value.length);
    if (value.length > BY_REFERENCE) {
      this.flush();
      this.parts.push(value);
      this.committed += value.length;
    } else {
      this.reserve(value.length);
      this.buf.set(value, this.pos);
      this.pos += value.length;
    }
    return this;
  }

  string(value: string): this {
    return this.bytes(utf8Encoder.encode(value));
  }

  /** Starts a length-delimited run whose length ldelim() writes in front of it. */
  fork(): this {
    this.flush();
    this.open.push({ slot: this.parts.length, at: this.committed });
    this.parts.push(undefined);
    return this;
  }

  ldelim(): this {
    const run = this.open.pop();
    if (!run) throw new Error('Writer.ldelim without a fork');
    this.flush();
    const prefix = new Uint8Array(5);
    const length = prefix.subarray(0, putUint32(prefix, 0, this.committed - run.at));
    this.parts[run.slot] = length;
    this.committed += length.length;
    return this;
  }

  finish(): Uint8Array {
    if (this.open.length > 0) throw new Error('Writer.finish inside a fork');
    this.flush();
    const out = new Uint8Array(this.committed);
    let at = 0;
    for (const p of this.parts) {
      out.set(p!, at);
      at += p!.length;
    }
    return out;
  }
}

/**
 * Reads fields from a byte range. Running out of data is a RangeError that says where: callers tell a
 * cut-off model from other bad data by it.
 */
export class Reader {
  private readonly view: DataView;
  /** The halves of the last varint64(). */
  lo = 0;
  hi = 0;

  constructor(
    readonly data: Uint8Array,
    public pos = 0,
    readonly end = data.length,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new RangeError(`the data ends inside a field: ${n} bytes needed at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Reads a varint of up to 10 bytes into lo/hi. */
  varint64(): void {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.data[this.pos++];
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new Error(`malformed varint ending at offset ${this.pos}: longer than 10 bytes`);
  }

  uint32(): number {
    this.varint64();
    return this.lo;
  }

  /** int32 and enums: the low 32 bits of the (sign-extended) varint. */
  int32(): number {
    this.varint64();
    return this.lo | 0;
  }

  int64(): Int64 {
    this.varint64();
    return int64FromHalves(this.lo, this.hi, true);
  }

  uint64(): Int64 {
    this.varint64();
    return int64FromHalves(this.lo, this.hi, false);
  }

  float(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The length-prefixed bytes, as a view into the data (not a copy). */
  bytes(): Uint8Array {
    const n = this.uint32();
    this.need(n);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return utf8Decoder.decode(this.bytes());
  }

  /** The end of a length-delimited run starting here (its length already read past). */
  delimited(): number {
    const n = this.uint32();
    this.need(n);
    return this.pos + n;
  }

  /** The field number and wire type of the next tag. */
  tag(): [field: number, wireType: number] {
    const t = this.uint32();
    const field = t >>> 3;
    const wireType = t & 7;
    if (field === 0) throw new Error(`invalid field number 0 at offset ${this.pos}`);
    return [field, wireType];
  }

  /** Skips a field of any wire type, groups included (nested at most MAX_DEPTH deep). */
  skip(field: number, wireType: number, depth = 0): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint64();
        return;
      case WireType.FIXED64:
        return this.advance(8);
      case WireType.BYTES:
        return this.advance(this.uint32());
      case WireType.FIXED32:
        return this.advance(4);
      case WireType.START_GROUP:
        if (depth >= MAX_DEPTH) throw new Error(`groups nested more than ${MAX_DEPTH} deep at offset ${this.pos}`);
        for (;;) {
          const [f, w] = this.tag();
          if (w === WireType.END_GROUP) {
            if (f !== field) throw new Error(`group ${field} closed as group ${f} at offset ${this.pos}`);
            return;
          }
          this.skip(f, w, depth + 1);
        }
      default:
        throw new Error(`invalid wire type ${wireType} (field ${field}) at offset ${this.pos}`);
    }
  }
}
