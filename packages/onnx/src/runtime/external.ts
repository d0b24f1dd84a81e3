/**
 * Finding tensors that keep their data outside the model. ONNX Runtime resolves an external
 * location relative to the model file, and for a model given as bytes relative to the working
 * directory: "../../secret" would be read from wherever the process runs. A model given as bytes
 * has no folder to stay inside, so the sampler refuses such tensors outright.
 */
import { DataLocation, type proto } from '../proto.js';

export interface ExternalTensor {
  /** Where the tensor sits: 'initializer "w"', 'node "n" attribute "value"'. */
  readonly where: string;
  readonly location: string;
}

function external(t: proto.TensorProto | null | undefined): string | undefined {
  if (!t) return undefined;
  const entries = t.externalData ?? [];
  if (t.dataLocation !== DataLocation.EXTERNAL && entries.length === 0) return undefined;
  return entries.find((e) => e.key === 'location')?.value ?? '';
}

/** Every tensor of `graph` and its subgraphs (If/Loop bodies) whose data lives in another file. */
export function externalTensors(graph: proto.GraphProto | null | undefined): ExternalTensor[] {
  if (!graph) return [];
  const found: ExternalTensor[] = [];
  const note = (where: string, t: proto.TensorProto | null | undefined) => {
    const location = external(t);
    if (location !== undefined) found.push({ where, location });
  };
  for (const t of graph.initializer ?? []) note(`initializer "${t.name ?? ''}"`, t);
  for (const s of graph.sparseInitializer ?? []) note(`sparse initializer "${s.values?.name ?? ''}"`, s.values);
  for (const n of graph.node ?? []) {
    for (const a of n.attribute ?? []) {
      const where = `node "${n.name || n.opType || ''}" attribute "${a.name ?? ''}"`;
      note(where, a.t);
      for (const t of a.tensors ?? []) note(where, t);
      for (const g of [a.g, ...(a.graphs ?? [])]) found.push(...externalTensors(g));
    }
  }
  return found;
}
