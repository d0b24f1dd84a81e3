/**
 * scm export --triton: an exported sampler as a Triton Inference Server model repository
 *   OUTDIR/NAME/config.pbtxt      backend onnxruntime, dynamic batching, the model's inputs and outputs
 *   OUTDIR/NAME/1/model.onnx      the sampler (version 1)
 *   OUTDIR/NAME.kserve.yaml       a KServe InferenceService (v2 protocol) that serves the repository
 * Triton lists only the folders of a repository as models, so the manifest beside NAME/ is not read
 * as one. The config is written from the graph's own inputs and outputs, so it cannot drift from them.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeAllAtomic } from '../run/atomic-file.js';
import { describeError, RunError, UsageError } from '../options/errors.js';
import type { ModelValue } from './onnx-export.js';

export const MODEL_FILE = 'model.onnx';
export const CONFIG_FILE = 'config.pbtxt';
export const VERSION = '1';
export const DEFAULT_MAX_BATCH = 64;

/** Triton's data types of the ONNX element types an exported model may declare (TensorProto.DataType). */
const TRITON_TYPES: Record<number, string> = {
  1: 'TYPE_FP32',
  2: 'TYPE_UINT8',
  3: 'TYPE_INT8',
  5: 'TYPE_INT16',
  6: 'TYPE_INT32',
  7: 'TYPE_INT64',
  9: 'TYPE_BOOL',
  10: 'TYPE_FP16',
  11: 'TYPE_FP64',
};

/** A tensor of a Triton config: `dims` exclude the batch; `reshape`, the model's own shape where it differs. */
export interface TritonTensor {
  readonly name: string;
  readonly dataType: string;
  readonly dims: readonly number[];
  readonly reshape?: readonly number[];
}

// Model names become folder names, URL path segments and (lower-cased) Kubernetes names.
const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw new UsageError(`--name ${JSON.stringify(name)} is not a Triton model name: use 1 to 63 letters, digits, '_', '-' or '.', not starting with '-' or '.'`);
  }
  return name;
}

/** The run folder's name and the steps, e.g. "cb-scd-2step", in the characters a model name may hold. */
export function defaultModelName(runDir: string, steps: number): string {
  const base = basename(resolve(runDir)).replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[.-]+/, '');
  return checkModelName(`${(base || 'scm').slice(0, 55)}-${steps}step`);
}

/**
 * One tensor of the config from the graph's declaration. Triton batching needs the batch first and
 * free in every tensor; a tensor of the batch alone ([batch]: labels, guidance) has no dims left,
 * which Triton does not take, so it is declared [1] and reshaped to the model's [] (as Triton's
 * model configuration documents for such tensors): requests send it as [N, 1].
 */
function tritonTensor(v: ModelValue, role: 'input' | 'output'): TritonTensor {
  const dataType = TRITON_TYPES[v.elemType];
  if (dataType === undefined) throw new RunError(`the model's ${role} ${v.name} has ONNX element type ${v.elemType}, which has no Triton data type here`);
  const [batch, ...rest] = v.dims;
  if (typeof batch !== 'string') {
    throw new RunError(`the model's ${role} ${v.name} has a fixed first dimension (${String(batch)}): Triton batching needs the batch first and of any size`);
  }
  const dims = rest.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  return dims.length === 0 ? { name: v.name, dataType, dims: [1], reshape: [] } : { name: v.name, dataType, dims };
}

export function tritonTensors(io: { inputs: readonly ModelValue[]; outputs: readonly ModelValue[] }) {
  return { inputs: io.inputs.map((v) => tritonTensor(v, 'input')), outputs: io.outputs.map((v) => tritonTensor(v, 'output')) };
}

const list = (xs: readonly number[]) => (xs.length === 0 ? '[ ]' : `[ ${xs.join(', ')} ]`);

function tensorText(t: TritonTensor): string {
  const reshape = t.reshape ? `\n    reshape: { shape: ${list(t.reshape)} }` : '';
  return `  {\n    name: ${JSON.stringify(t.name)}\n    data_type: ${t.dataType}\n    dims: ${list(t.dims)}${reshape}\n  }`;
}

/** config.pbtxt (protobuf text format of Triton's ModelConfig). */
export function modelConfigText(name: string, maxBatch: number, tensors: { inputs: readonly TritonTensor[]; outputs: readonly TritonTensor[] }): string {
  return (
    `name: ${JSON.stringify(name)}\n` +
    'backend: "onnxruntime"\n' +
    `max_batch_size: ${maxBatch}\n` +
    `input [\n${tensors.inputs.map(tensorText).join(',\n')}\n]\n` +
    `output [\n${tensors.outputs.map(tensorText).join(',\n')}\n]\n` +
    // Requests of a few samples each are joined into one batch up to max_batch_size.
    'dynamic_batching { }\n'
  );
}

/** The model name as a Kubernetes object name (a DNS-1035 label: lower case, digits and '-', starting with a letter). */
export function serviceName(model: string): string {
  const label = model.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return (/^[a-z]/.test(label) ? label : `scm-${label}`).slice(0, 63).replace(/-+$/, '');
}

export function inferenceServiceYaml(model: string): string {
  return [
    `# KServe InferenceService serving the Triton model repository that holds ${model}/ (written by scm export --triton).`,
    '# Upload that repository folder (the one holding this file) to object storage, and replace storageUri',
    '# below with its URI before applying: kubectl apply -f THIS_FILE',
    `# Then: POST <service URL>/v2/models/${model}/infer (the v2 inference protocol).`,
    'apiVersion: serving.kserve.io/v1beta1',
    'kind: InferenceService',
    'metadata:',
    `  name: ${serviceName(model)}`,
    'spec:',
    '  predictor:',
    '    model:',
    '      modelFormat:',
    '        name: triton',
    '      protocolVersion: v2',
    '      storageUri: "s3://REPLACE-WITH-YOUR-BUCKET/path/to/repository"',
    '',
  ].join('\n');
}

export const manifestPath = (outDir: string, name: string) => join(outDir, `${name}.kserve.yaml`);

async function entriesOf(path: string): Promise<string[] | 'not a folder' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? await readdir(path) : 'not a folder';
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes the repository entry of `name` under `outDir` (created where missing). Refuses an OUTDIR that
 * is not a folder, and, without `force`, a model folder that holds anything or a manifest already
 * there: an export never replaces a served model unless told to.
 */
export async function writeTritonRepository(
  outDir: string,
  name: string,
  files: { model: Uint8Array; config: string; manifest: string },
  force: boolean,
): Promise<{ modelDir: string; manifest: string }> {
  if ((await entriesOf(outDir)) === 'not a folder') throw new UsageError(`--triton ${outDir} exists and is not a folder: give the model repository's folder`);
  const modelDir = join(outDir, name);
  const held = await entriesOf(modelDir);
  const manifest = manifestPath(outDir, name);
  if (!force) {
    if (held === 'not a folder' || (held !== undefined && held.length > 0)) {
      throw new RunError(`${modelDir} already exists in the model repository: pass --force to replace model ${name}, or choose another --name`);
    }
    if (await exists(manifest)) throw new RunError(`${manifest} already exists: pass --force to replace it, or choose another --name`);
  } else if (held === 'not a folder') {
    throw new RunError(`${modelDir} is a file, not a model folder: remove it or choose another --name`);
  }
  try {
    await mkdir(join(modelDir, VERSION), { recursive: true });
  } catch (e) {
    throw new RunError(`could not create ${join(modelDir, VERSION)} (${describeError(e)})`);
  }
  // All or none, renamed model first: a Triton polling the repository never finds a config without its model.
  await writeAllAtomic([
    [join(modelDir, VERSION, MODEL_FILE), files.model],
    [join(modelDir, CONFIG_FILE), files.config],
    [manifest, files.manifest],
  ]);
  return { modelDir, manifest };
}
