/**
 * The ONNX messages this package reads and writes, as plain objects: the fields of the official
 * onnx.proto (IR version 8) that this package models, in camelCase. Fields it does not model
 * (training_info, functions, quantization annotations, sequence/map types, ...) are skipped when
 * decoding and so are not written back.
 *
 * Every field is optional. A decoded message has each repeated field (an empty array where the data
 * had none) and the other fields the data held; bytes fields are views into the decoded data.
 */
import type { Int64 } from './wire.js';

export type { Int64 } from './wire.js';

/** A key-value pair (model metadata, external-data locations). */
export interface StringStringEntryProto {
  /** The key. */
  key?: string;
  /** The value. */
  value?: string;
}

/** An operator set the model imports. */
export interface OperatorSetIdProto {
  /** The operator domain; '' (or absent) is the default ai.onnx domain. */
  domain?: string;
  /** The opset version of that domain. */
  version?: Int64;
}

/** One dimension of a tensor shape: a fixed size or a named symbolic size. */
export interface TensorShapeDimension {
  /** The size, when fixed. */
  dimValue?: Int64;
  /** The symbolic name (e.g. 'batch'), when the size is not fixed. */
  dimParam?: string;
  /** An optional standard denotation of the dimension (e.g. DATA_BATCH). */
  denotation?: string;
}

/** A tensor shape: one entry per axis, outermost first. */
export interface TensorShapeProto {
  /** The dimensions, outermost first. */
  dim?: TensorShapeDimension[];
}

/** TypeProto.Tensor, and TypeProto.SparseTensor, which has the same fields. */
export interface TypeProtoTensor {
  /** The element type: a `DataType` value (1 = float32, 7 = int64). */
  elemType?: number;
  /** The shape; absent for a tensor of unknown rank. */
  shape?: TensorShapeProto;
}

/** The type of a value: this codec models tensor and sparse-tensor types only. */
export interface TypeProto {
  /** Set for a dense tensor. */
  tensorType?: TypeProtoTensor;
  /** Set for a sparse tensor. */
  sparseTensorType?: TypeProtoTensor;
  /** An optional standard denotation of the type. */
  denotation?: string;
}

/** A named, typed value: a graph input, output or intermediate. */
export interface ValueInfoProto {
  /** The value name that nodes refer to. */
  name?: string;
  /** Its type and shape. */
  type?: TypeProto;
  /** Human-readable documentation. */
  docString?: string;
}

/** A tensor: a graph initializer or an attribute value. The data is in rawData (little-endian) or in the typed field matching dataType. */
export interface TensorProto {
  /** The shape, outermost first. */
  dims?: Int64[];
  /** The element type: a `DataType` value. */
  dataType?: number;
  /** float32 (and float16/bfloat16/complex as stored by ONNX) elements, when not in rawData. */
  floatData?: number[];
  /** int32 and narrower integer or bool elements, when not in rawData. */
  int32Data?: number[];
  /** string elements as UTF-8 bytes. */
  stringData?: Uint8Array[];
  /** int64 elements, when not in rawData. */
  int64Data?: Int64[];
  /** The name (initializers: the value name nodes refer to). */
  name?: string;
  /** All elements as little-endian bytes, in row-major order. */
  rawData?: Uint8Array;
  /** float64 (and complex128) elements, when not in rawData. */
  doubleData?: number[];
  /** uint32 and uint64 elements, when not in rawData. */
  uint64Data?: Int64[];
  /** Human-readable documentation. */
  docString?: string;
  /** Where the data lives when it is stored outside the model file (this package refuses such models). */
  externalData?: StringStringEntryProto[];
  /** A `DataLocation` value: DEFAULT (in the model) or EXTERNAL. */
  dataLocation?: number;
}

/** A sparse tensor in coordinate format. */
export interface SparseTensorProto {
  /** The non-zero values, a 1-D tensor. */
  values?: TensorProto;
  /** Their positions: a [nnz] tensor of linear indices or an [nnz, rank] tensor of coordinates. */
  indices?: TensorProto;
  /** The shape of the dense tensor it stands for. */
  dims?: Int64[];
}

/** A named attribute of a node; `type` (an `AttributeType` value) says which value field holds it. */
export interface AttributeProto {
  /** The attribute name, e.g. "axis". */
  name?: string;
  /** A float value. */
  f?: number;
  /** An integer value. */
  i?: Int64;
  /** A string value, as UTF-8 bytes. */
  s?: Uint8Array;
  /** A tensor value. */
  t?: TensorProto;
  /** A graph value (the body of control-flow operators). */
  g?: GraphProto;
  /** A list of floats. */
  floats?: number[];
  /** A list of integers. */
  ints?: Int64[];
  /** A list of strings, as UTF-8 bytes. */
  strings?: Uint8Array[];
  /** A list of tensors. */
  tensors?: TensorProto[];
  /** A list of graphs. */
  graphs?: GraphProto[];
  /** Human-readable documentation. */
  docString?: string;
  /** A type value. */
  tp?: TypeProto;
  /** A list of types. */
  typeProtos?: TypeProto[];
  /** An `AttributeType` value: which of the value fields is set. */
  type?: number;
  /** Inside a function body: the attribute of the calling node this one refers to. */
  refAttrName?: string;
  /** A sparse-tensor value. */
  sparseTensor?: SparseTensorProto;
  /** A list of sparse tensors. */
  sparseTensors?: SparseTensorProto[];
}

/** One operator application in a graph. */
export interface NodeProto {
  /** The value names it reads, in the operator's input order ('' for an omitted optional input). */
  input?: string[];
  /** The value names it writes. */
  output?: string[];
  /** An optional name, for diagnostics. */
  name?: string;
  /** The operator, e.g. "Conv". */
  opType?: string;
  /** Its attributes. */
  attribute?: AttributeProto[];
  /** Human-readable documentation. */
  docString?: string;
  /** The operator's domain; '' (or absent) is ai.onnx. */
  domain?: string;
}

/** A computation graph: nodes in topological order, with its inputs, outputs and constant initializers. */
export interface GraphProto {
  /** The nodes, in topological order. */
  node?: NodeProto[];
  /** The graph name. */
  name?: string;
  /** Constant tensors, referred to by name. */
  initializer?: TensorProto[];
  /** Human-readable documentation. */
  docString?: string;
  /** The graph inputs. */
  input?: ValueInfoProto[];
  /** The graph outputs. */
  output?: ValueInfoProto[];
  /** Types of intermediate values, where known. */
  valueInfo?: ValueInfoProto[];
  /** Constant sparse tensors, referred to by name. */
  sparseInitializer?: SparseTensorProto[];
}

/** A whole ONNX model: the graph plus what a runtime needs to load it. */
export interface ModelProto {
  /** The ONNX IR version the model follows (exported models: `IR_VERSION`). */
  irVersion?: Int64;
  /** The tool that wrote it. */
  producerName?: string;
  /** Its version. */
  producerVersion?: string;
  /** A reverse-DNS namespace for the model. */
  domain?: string;
  /** The version of the model itself. */
  modelVersion?: Int64;
  /** Human-readable documentation. */
  docString?: string;
  /** The computation graph. */
  graph?: GraphProto;
  /** The operator sets the graph uses. */
  opsetImport?: OperatorSetIdProto[];
  /** Free-form key-value metadata (exported models record their sampler settings here). */
  metadataProps?: StringStringEntryProto[];
}
