/**
 * The field tables of the ONNX messages in types.ts, with the field numbers of the official
 * onnx.proto, and its enums. codec.ts encodes and decodes by these tables.
 */
import type * as T from './types.js';

export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

// ---- the field tables the codec walks ------------------------------------------------------------

/** Scalar field types; int32 covers enums. Every repeated scalar is written packed. */
export type Scalar = 'int32' | 'int64' | 'uint64' | 'float' | 'double' | 'string' | 'bytes';

export interface Field {
  readonly no: number;
  readonly key: string;
  readonly type: Scalar | MessageType<object>;
  readonly repeated: boolean;
}

/** A message's fields, in field-number order (the order they are written in). M only types the codec's results. */
export interface MessageType<M extends object> {
  readonly name: string;
  readonly fields: readonly Field[];
  /** Never set: carries M. */
  readonly _type?: M;
}

type Row = readonly [no: number, key: string, type: Scalar | MessageType<object>, repeated?: 'repeated'];

/** A message type whose rows are read on first use, so that messages can refer to each other (graph attributes). */
function message<M extends object>(name: string, rows: () => readonly Row[]): MessageType<M> {
  let fields: Field[] | undefined;
  return {
    name,
    get fields() {
      fields ??= rows()
        .map(([no, key, type, repeated]) => ({ no, key, type, repeated: repeated === 'repeated' }))
        .sort((a, b) => a.no - b.no);
      return fields;
    },
  };
}

export const StringStringEntryMessage = message<T.StringStringEntryProto>('StringStringEntryProto', () => [
  [1, 'key', 'string'],
  [2, 'value', 'string'],
]);

export const OperatorSetIdMessage = message<T.OperatorSetIdProto>('OperatorSetIdProto', () => [
  [1, 'domain', 'string'],
  [2, 'version', 'int64'],
]);

export const DimensionMessage = message<T.TensorShapeDimension>('TensorShapeProto.Dimension', () => [
  [1, 'dimValue', 'int64'],
  [2, 'dimParam', 'string'],
  [3, 'denotation', 'string'],
]);

export const TensorShapeMessage = message<T.TensorShapeProto>('TensorShapeProto', () => [[1, 'dim', DimensionMessage, 'repeated']]);

export const TypeTensorMessage = message<T.TypeProtoTensor>('TypeProto.Tensor', () => [
  [1, 'elemType', 'int32'],
  [2, 'shape', TensorShapeMessage],
]);

export const TypeMessage = message<T.TypeProto>('TypeProto', () => [
  [1, 'tensorType', TypeTensorMessage],
  [6, 'denotation', 'string'],
  [8, 'sparseTensorType', TypeTensorMessage],
]);

export const ValueInfoMessage = message<T.ValueInfoProto>('ValueInfoProto', () => [
  [1, 'name', 'string'],
  [2, 'type', TypeMessage],
  [3, 'docString', 'string'],
]);

export const TensorMessage = message<T.TensorProto>('TensorProto', () => [
  [1, 'dims', 'int64', 'repeated'],
  [2, 'dataType', 'int32'],
  [4, 'floatData', 'float', 'repeated'],
  [5, 'int32Data', 'int32', 'repeated'],
  [6, 'stringData', 'bytes', 'repeated'],
  [7, 'int64Data', 'int64', 'repeated'],
  [8, 'name', 'string'],
  [9, 'rawData', 'bytes'],
  [10, 'doubleData', 'double', 'repeated'],
  [11, 'uint64Data', 'uint64', 'repeated'],
  [12, 'docString', 'string'],
  [13, 'externalData', StringStringEntryMessage, 'repeated'],
  [14, 'dataLocation', 'int32'],
]);

export const SparseTensorMessage = message<T.SparseTensorProto>('SparseTensorProto', () => [
  [1, 'values', TensorMessage],
  [2, 'indices', TensorMessage],
  [3, 'dims', 'int64', 'repeated'],
]);

export const AttributeMessage = message<T.AttributeProto>('AttributeProto', () => [
  [1, 'name', 'string'],
  [2, 'f', 'float'],
  [3, 'i', 'int64'],
  [4, 's', 'bytes'],
  [5, 't', TensorMessage],
  [6, 'g', GraphMessage],
  [7, 'floats', 'float', 'repeated'],
  [8, 'ints', 'int64', 'repeated'],
  [9, 'strings', 'bytes', 'repeated'],
  [10, 'tensors', TensorMessage, 'repeated'],
  [11, 'graphs', GraphMessage, 'repeated'],
  [13, 'docString', 'string'],
  [14, 'tp', TypeMessage],
  [15, 'typeProtos', TypeMessage, 'repeated'],
  [20, 'type', 'int32'],
  [21, 'refAttrName', 'string'],
  [22, 'sparseTensor', SparseTensorMessage],
  [23, 'sparseTensors', SparseTensorMessage, 'repeated'],
]);

export const NodeMessage = message<T.NodeProto>('NodeProto', () => [
  [1, 'input', 'string', 'repeated'],
  [2, 'output', 'string', 'repeated'],
  [3, 'name', 'string'],
  [4, 'opType', 'string'],
  [5, 'attribute', AttributeMessage, 'repeated'],
  [6, 'docString', 'string'],
  [7, 'domain', 'string'],
]);

export const GraphMessage: MessageType<T.GraphProto> = message<T.GraphProto>('GraphProto', () => [
  [1, 'node', NodeMessage, 'repeated'],
  [2, 'name', 'string'],
  [5, 'initializer', TensorMessage, 'repeated'],
  [10, 'docString', 'string'],
  [11, 'input', ValueInfoMessage, 'repeated'],
  [12, 'output', ValueInfoMessage, 'repeated'],
  [13, 'valueInfo', ValueInfoMessage, 'repeated'],
  [15, 'sparseInitializer', SparseTensorMessage, 'repeated'],
]);

export const ModelMessage = message<T.ModelProto>('ModelProto', () => [
  [1, 'irVersion', 'int64'],
  [2, 'producerName', 'string'],
  [3, 'producerVersion', 'string'],
  [4, 'domain', 'string'],
  [5, 'modelVersion', 'int64'],
  [6, 'docString', 'string'],
  [7, 'graph', GraphMessage],
  [8, 'opsetImport', OperatorSetIdMessage, 'repeated'],
  [14, 'metadataProps', StringStringEntryMessage, 'repeated'],
]);
