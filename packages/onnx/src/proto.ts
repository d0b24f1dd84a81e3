/**
 * The ONNX protobuf messages (our own codec of the onnx.proto messages used here: proto/) and the
 * few message builders every part of the exporter shares.
 */
import { decodeMessage, encodeMessage } from './proto/codec.js';
import { AttributeType, DataType, ModelMessage } from './proto/messages.js';
import type * as P from './proto/types.js';
import type { Int64, ModelProto } from './proto/types.js';

export type { P as proto, Int64 };
export { AttributeType, DataLocation, DataType } from './proto/messages.js';

/** A model as ONNX bytes. Throws a TypeError or RangeError naming the field of a value that cannot be written. */
export function encodeModelProto(model: ModelProto): Uint8Array {
  return encodeMessage(ModelMessage, model);
}

/**
 * The model in ONNX bytes, without any check of what it holds (decodeModel checks).
 * Data that ends inside a field throws a RangeError; other malformed data an Error.
 */
export function decodeModelProto(bytes: Uint8Array): ModelProto {
  return decodeMessage(ModelMessage, bytes);
}

/** The ONNX IR version every exported model declares. */
export const IR_VERSION = 8;
/** The default-domain (ai.onnx) opset every exported model imports. */
export const OPSET = 17;

type ElemType = 'float32' | 'int64';
const ELEM_TYPES: Record<ElemType, number> = { float32: DataType.FLOAT, int64: DataType.INT64 };

/** An int64 field as a number (0 where absent): int64 fields decode as numbers, as bigints beyond 2^53. */
export function toNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return Number(v);
}

/** A float32 or int64 tensor with little-endian raw data, as ONNX stores raw_data whatever the host. */
export function tensorProto(name: string, type: ElemType, dims: readonly number[], values: ArrayLike<number>): P.TensorProto {
  const width = type === 'float32' ? 4 : 8;
  const raw = new Uint8Array(values.length * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    if (type === 'float32') view.setFloat32(i * 4, values[i], true);
    else view.setBigInt64(i * 8, BigInt(values[i]), true);
  }
  return { name, dataType: ELEM_TYPES[type], dims: [...dims], rawData: raw };
}

/** A dimension of a graph input or output: a size, or a named symbolic size such as 'batch'. */
export type DimSpec = number | string;

export function valueInfo(name: string, type: ElemType, dims: readonly DimSpec[]): P.ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPES[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Node attributes as plain values: integers, integer lists and strings as themselves; a float attribute as { float }. */
export type AttrValue = number | readonly number[] | string | { readonly float: number };

export function attributeProto(name: string, value: AttrValue): P.AttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (!Array.isArray(value) && typeof value === 'object') return { name, type: AttributeType.FLOAT, f: (value as { float: number }).float };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer`);
    return { name, type: AttributeType.INT, i: value };
  }
  return { name, type: AttributeType.INTS, ints: [...value] };
}
