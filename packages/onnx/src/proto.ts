/**
 * The ONNX protobuf messages (onnx-proto: the official onnx.proto compiled by protobufjs) and the
 * few message builders every part of the exporter shares.
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

// onnx-proto is CommonJS whose exports Node cannot list statically: only its default import works in ESM.
export const onnx = onnxProto.onnx;
export type { P as proto };

/** The IR version and default-domain opset every exported model declares. */
export const IR_VERSION = 8;
export const OPSET = 17;

export const DataType = onnx.TensorProto.DataType;
type ElemType = 'float32' | 'int64';
const ELEM_TYPES: Record<ElemType, number> = { float32: DataType.FLOAT, int64: DataType.INT64 };

/** int64 fields decode as Long objects when the 'long' package is present, as plain numbers otherwise. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** A float32 or int64 tensor with little-endian raw data, as ONNX stores raw_data whatever the host. */
export function tensorProto(name: string, type: ElemType, dims: readonly number[], values: ArrayLike<number>): P.ITensorProto {
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

export function valueInfo(name: string, type: ElemType, dims: readonly DimSpec[]): P.IValueInfoProto {
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

/** Node attributes as plain values: integers, integer lists and strings are all the lowering needs. */
/** Integers, integer lists and strings as themselves; a float attribute as { float }. */
export type AttrValue = number | readonly number[] | string | { readonly float: number };

export function attributeProto(name: string, value: AttrValue): P.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: Type.STRING, s: new TextEncoder().encode(value) };
  if (!Array.isArray(value) && typeof value === 'object') return { name, type: Type.FLOAT, f: (value as { float: number }).float };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer`);
    return { name, type: Type.INT, i: value };
  }
  return { name, type: Type.INTS, ints: [...value] };
}
