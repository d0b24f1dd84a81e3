/** Reading model bytes before a runtime sees them, so bad files fail with a message that says what is wrong. */
import { decodeModelProto, type proto } from '../proto.js';

/** Model bytes that are not a usable ONNX model (truncated, corrupt, or using unsupported features); the message says what is wrong. */
export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxModelError';
  }
}

/**
 * Every ONNX writer puts ir_version (field 1, a varint: tag byte 0x08) first, as protobuf writers
 * emit fields in number order. So bytes that start that way and then run out are a cut-off model.
 */
const IR_VERSION_TAG = 0x08;

/**
 * Parses ONNX model bytes into a ModelProto.
 *
 * @throws TypeError when `bytes` is not a Uint8Array; {@link OnnxModelError} when the bytes are cut
 *   off or not a protobuf ModelProto.
 */
export function decodeModel(bytes: Uint8Array): proto.ModelProto {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`expected the ONNX model as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (bytes.length === 0) throw new OnnxModelError('not an ONNX model: the data is empty');
  let model: proto.ModelProto;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    if (e instanceof RangeError && bytes[0] === IR_VERSION_TAG) {
      throw new OnnxModelError(`the ONNX model is truncated: its data ends in the middle of a field (${bytes.length} bytes; ${detail})`);
    }
    throw new OnnxModelError(`not an ONNX model: the data is not a protobuf ModelProto (${detail})`);
  }
  // Any protobuf (and much else) decodes to some message: a model without a graph is another kind of data.
  if (!model.graph) throw new OnnxModelError('not an ONNX model: the data decodes to no graph');
  return model;
}
