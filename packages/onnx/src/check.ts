/**
 * A structural checker for ONNX models, after the rules of the ONNX IR spec (IR.md) that can be
 * checked without running shape inference: versions, single static assignment in topological
 * order, typed graph inputs and outputs, initializers that hold the data their dims promise, and
 * operators that exist in the imported opset with valid input and output counts.
 */
import { DataLocation, DataType, IR_VERSION, toNumber, type proto } from './proto.js';
import { decodeModel } from './runtime/decode.js';
import { opVersion } from './schema.js';

/** Thrown by {@link checkModel}: the model breaks the ONNX IR rules listed in `problems`. */
export class OnnxCheckError extends Error {
  /** @param problems - One line per broken rule, naming the node, tensor or field. */
  constructor(readonly problems: readonly string[]) {
    super(`invalid ONNX model:\n  ${problems.join('\n  ')}`);
    this.name = 'OnnxCheckError';
  }
}

/** Bytes per element of each tensor type; STRING has no fixed width. */
const WIDTH: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.COMPLEX64]: 8,
  [DataType.COMPLEX128]: 16,
  [DataType.BFLOAT16]: 2,
};

/** How many values the typed (non-raw) field of each type holds (complex types store two per element). */
function typedLength(t: proto.TensorProto): number {
  switch (t.dataType) {
    case DataType.FLOAT:
      return t.floatData?.length ?? 0;
    case DataType.INT64:
      return t.int64Data?.length ?? 0;
    case DataType.DOUBLE:
      return t.doubleData?.length ?? 0;
    case DataType.UINT32:
    case DataType.UINT64:
      return t.uint64Data?.length ?? 0;
    case DataType.STRING:
      return t.stringData?.length ?? 0;
    case DataType.COMPLEX64:
      return (t.floatData?.length ?? 0) / 2;
    case DataType.COMPLEX128:
      return (t.doubleData?.length ?? 0) / 2;
    default:
      return t.int32Data?.length ?? 0;
  }
}

function checkInitializer(t: proto.TensorProto, problems: string[]): void {
  const where = `initializer "${t.name ?? ''}"`;
  const type = t.dataType ?? 0;
  if (type !== DataType.STRING && WIDTH[type] === undefined) {
    problems.push(`${where}: unknown data_type ${type}`);
    return;
  }
  const dims = (t.dims ?? []).map(toNumber);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    problems.push(`${where}: invalid dims [${dims.join(', ')}]`);
    return;
  }
  if (t.dataLocation === DataLocation.EXTERNAL) return;
  const size = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData?.length ?? 0;
  const typed = typedLength(t);
  const ok = raw > 0 ? type !== DataType.STRING && typed === 0 && raw === size * WIDTH[type] : typed === size;
  if (!ok) {
    const held = raw > 0 ? `${raw} bytes of raw_data` : `${typed} values`;
    problems.push(`${where}: dims [${dims.join(', ')}] need ${size} values, the tensor holds ${held}`);
  }
}

function checkValueInfo(v: proto.ValueInfoProto, kind: string, problems: string[]): void {
  const where = `graph ${kind} "${v.name ?? ''}"`;
  const t = v.type?.tensorType;
  if (!t) {
    problems.push(`${where} has no tensor type`);
    return;
  }
  if (!t.elemType || (WIDTH[t.elemType] === undefined && t.elemType !== DataType.STRING)) problems.push(`${where} has no valid elem_type`);
  if (!t.shape) {
    problems.push(`${where} has no shape`);
    return;
  }
  (t.shape.dim ?? []).forEach((d, i) => {
    const sized = d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) >= 0;
    if (!sized && !d.dimParam) problems.push(`${where}: dimension ${i} has neither a size nor a name`);
  });
}

function checkNode(n: proto.NodeProto, index: number, opset: number, defined: Set<string>, problems: string[]): void {
  const where = `node ${index} (${n.opType ?? '?'}${n.name ? ` "${n.name}"` : ''})`;
  if (n.domain) {
    problems.push(`${where}: domain "${n.domain}" is not imported`);
  } else {
    const schema = opVersion(n.opType ?? '', opset);
    const inputs = n.input ?? [];
    const outputs = n.output ?? [];
    if (!schema) {
      problems.push(`${where}: unknown operator for opset ${opset}`);
    } else {
      const [lo, hi] = schema.inputs;
      if (inputs.length < lo || inputs.length > hi) problems.push(`${where}: has ${inputs.length} inputs, opset ${opset} (version ${schema.since}) takes ${lo}..${hi}`);
      if (outputs.length !== 1) problems.push(`${where}: has ${outputs.length} outputs, not 1`);
      const attrs = new Set((n.attribute ?? []).map((a) => a.name));
      for (const r of schema.required ?? []) if (!attrs.has(r)) problems.push(`${where}: missing required attribute "${r}"`);
    }
  }
  const seen = new Set<string>();
  for (const a of n.attribute ?? []) {
    if (!a.name || seen.has(a.name)) problems.push(`${where}: attribute names must be unique and non-empty ("${a.name ?? ''}")`);
    seen.add(a.name ?? '');
    if (!a.type) problems.push(`${where}: attribute "${a.name ?? ''}" has no type`);
  }
  // An empty name marks an omitted optional input.
  for (const i of n.input ?? []) if (i !== '' && !defined.has(i)) problems.push(`${where}: input "${i}" is not defined before it`);
  for (const o of n.output ?? []) {
    if (o === '') continue;
    if (defined.has(o)) problems.push(`${where}: output "${o}" is assigned twice`);
    defined.add(o);
  }
}

/** Every problem found, in graph order; empty for a valid model. */
export function modelProblems(model: proto.ModelProto): string[] {
  const problems: string[] = [];
  const ir = toNumber(model.irVersion);
  if (ir < 3 || ir > IR_VERSION) problems.push(`ir_version ${ir} is not in 3..${IR_VERSION}`);
  const opsets = model.opsetImport ?? [];
  const main = opsets.find((o) => !o.domain);
  const opset = toNumber(main?.version);
  if (opset < 1) problems.push('no opset is imported for the default domain');
  const g = model.graph;
  if (!g) return [...problems, 'the model has no graph'];

  const defined = new Set<string>();
  for (const v of g.input ?? []) {
    checkValueInfo(v, 'input', problems);
    if (!v.name || defined.has(v.name)) problems.push(`graph input names must be unique and non-empty ("${v.name ?? ''}")`);
    defined.add(v.name ?? '');
  }
  const initializers = new Set<string>();
  for (const t of g.initializer ?? []) {
    checkInitializer(t, problems);
    // An initializer may share its name with a graph input (it is then the input's default), not with another initializer.
    const name = t.name ?? '';
    if (!name || initializers.has(name)) problems.push(`initializer names must be unique and non-empty ("${name}")`);
    initializers.add(name);
    defined.add(name);
  }
  (g.node ?? []).forEach((n, i) => checkNode(n, i, opset, defined, problems));
  for (const v of g.output ?? []) {
    checkValueInfo(v, 'output', problems);
    if (!defined.has(v.name ?? '')) problems.push(`graph output "${v.name ?? ''}" is not computed by the graph`);
  }
  if ((g.output ?? []).length === 0) problems.push('the graph has no outputs');
  return problems;
}

/** Throws an OnnxCheckError listing every problem of a model (decoded, or its bytes). */
export function checkModel(model: proto.ModelProto | Uint8Array): void {
  const problems = modelProblems(model instanceof Uint8Array ? decodeModel(model) : model);
  if (problems.length > 0) throw new OnnxCheckError(problems);
}
