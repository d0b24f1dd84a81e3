/**
 * Where a pipeline's files come from: a model package (its exported location, or its name in
 * Node), a model or run folder (Node), a URL (fetched, with progress), or the bytes of a weights
 * file or checkpoint. Everything is read through `fetch` or, in Node, `node:fs`, imported only when
 * a path is given, so the module runs unchanged in browsers and bundles.
 */

/** A model package's default export (`import mnist from '@scm/model-mnist'`): where its files are. */
export interface ModelLocation {
  /** The folder holding config.json, as a URL (file: in Node, http(s): in a bundle). */
  readonly url: URL | string;
}

/**
 * What loadPipeline takes: a {@link ModelLocation}, a URL (of a model folder, or of a .safetensors
 * weights file), a path (Node: a model package folder, a run folder or a .safetensors file), an
 * installed model package's name (Node: "@scm/model-mnist"), or the bytes of a weights file or checkpoint.
 */
export type PipelineSource = ModelLocation | URL | string | Uint8Array | ArrayBuffer;

/** Progress of one file being read. */
export interface LoadProgress {
  /** The file's name within the model ("model.safetensors"). */
  readonly file: string;
  /** Bytes read so far. */
  readonly loaded: number;
  /** The file's size where known (a Content-Length, a file's size). */
  readonly total?: number;
}

/** Reads the files of one model. */
export interface ModelFiles {
  /** How messages name the model's location. */
  readonly where: string;
  /** Whether the source is one weights file or checkpoint (read under the name "<bytes>") rather than a folder. */
  readonly single: boolean;
  /** A file's bytes, by name relative to the model; rejects naming the file when it cannot be read. */
  read(name: string, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array>;
  /** As read, but undefined where the file does not exist (no such file, HTTP 404); other failures reject. */
  readIfPresent(name: string, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array | undefined>;
}

/** A source that cannot be read: the message names it and why. */
export class ModelSourceError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'ModelSourceError';
  }
}

/** What stands for a source that is bytes: its one file. */
export const BYTES_FILE = '<bytes>';

type NodeFs = typeof import('node:fs/promises');
const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function nodeModule<M>(name: string): Promise<M> {
  // A variable specifier keeps bundlers from pulling Node's built-ins into browser builds.
  const specifier = name;
  return (await import(specifier)) as M;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:/i;
const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/;

function bytesFiles(bytes: Uint8Array, where = `${bytes.length} bytes`): ModelFiles {
  return {
    where,
    single: true,
    read: async (name) => {
      if (name === BYTES_FILE) return bytes;
      throw new ModelSourceError(`the model was given as one file (${where}): it has no file ${name}`);
    },
    readIfPresent: async (name) => (name === BYTES_FILE ? bytes : undefined),
  };
}

function folderFiles(fs: NodeFs, dir: string, sep: string): ModelFiles {
  const path = (name: string) => `${dir.endsWith(sep) ? dir : dir + sep}${name}`;
  const readIfPresent = async (name: string, onProgress?: (p: LoadProgress) => void) => {
    try {
      const bytes = new Uint8Array(await fs.readFile(path(name)));
      onProgress?.({ file: name, loaded: bytes.length, total: bytes.length });
      return bytes;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw new ModelSourceError(`cannot read ${path(name)} (${(e as Error).message})`);
    }
  };
  return {
    where: dir,
    single: false,
    readIfPresent,
    read: async (name, onProgress) => {
      const bytes = await readIfPresent(name, onProgress);
      if (bytes === undefined) throw new ModelSourceError(`cannot read ${path(name)}: no such file`);
      return bytes;
    },
  };
}

async function readBody(response: Response, file: string, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array> {
  const header = response.headers.get('content-length');
  const total = header === null ? undefined : Number(header);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ file, loaded: bytes.length, total: bytes.length });
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ file, loaded, ...(total !== undefined ? { total } : {}) });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function urlFiles(base: URL, fetchFn: typeof fetch): ModelFiles {
  const get = async (name: string) => {
    const url = new URL(name, base);
    let response: Response;
    try {
      response = await fetchFn(url);
    } catch (e) {
      throw new ModelSourceError(`cannot fetch ${url.href} (${(e as Error).message})`);
    }
    return { url, response };
  };
  const readIfPresent = async (name: string, onProgress?: (p: LoadProgress) => void) => {
    const { url, response } = await get(name);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw new ModelSourceError(`cannot fetch ${url.href}: HTTP ${response.status} ${response.statusText}`.trim());
    return readBody(response, name, onProgress);
  };
  return {
    where: base.href,
    single: false,
    readIfPresent,
    read: async (name, onProgress) => {
      const bytes = await readIfPresent(name, onProgress);
      if (bytes === undefined) throw new ModelSourceError(`cannot fetch ${new URL(name, base).href}: HTTP 404 (not found)`);
      return bytes;
    },
  };
}

/** A folder's URL ends with a slash, so its files resolve inside it. */
const asFolder = (url: URL): URL => (url.pathname.endsWith('/') ? url : new URL(`${url.href}/`));

async function fromUrl(url: URL, fetchFn: typeof fetch): Promise<ModelFiles> {
  if (url.protocol === 'file:') {
    if (!isNode()) throw new ModelSourceError(`${url.href}: file: URLs are read in Node only; serve the model and pass its http(s) URL`);
    const { fileURLToPath } = await nodeModule<typeof import('node:url')>('node:url');
    return fromPath(fileURLToPath(url));
  }
  if (url.pathname.endsWith('.safetensors')) {
    const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const files = urlFiles(new URL('./', url), fetchFn);
    const named = (name: string) => (name === BYTES_FILE ? file : name);
    return { where: url.href, single: true, read: (name, p) => files.read(named(name), p), readIfPresent: (name, p) => files.readIfPresent(named(name), p) };
  }
  return urlFiles(asFolder(url), fetchFn);
}

async function fromPath(path: string): Promise<ModelFiles> {
  const fs = await nodeModule<NodeFs>('node:fs/promises');
  const { sep, resolve } = await nodeModule<typeof import('node:path')>('node:path');
  let stat;
  try {
    stat = await fs.stat(path);
  } catch (e) {
    throw new ModelSourceError(`model ${path} does not exist (${(e as Error).message})`);
  }
  if (stat.isDirectory()) return folderFiles(fs, resolve(path), sep);
  const bytes = await fs.readFile(path).catch((e: Error) => {
    throw new ModelSourceError(`cannot read ${path} (${e.message})`);
  });
  return bytesFiles(new Uint8Array(bytes), path);
}

/** An installed model package by name: its default export's location, imported from the working folder. */
async function fromPackage(name: string): Promise<ModelFiles> {
  const { createRequire } = await nodeModule<typeof import('node:module')>('node:module');
  const { pathToFileURL } = await nodeModule<typeof import('node:url')>('node:url');
  let entry: string;
  try {
    entry = createRequire(`${process.cwd()}/`).resolve(name);
  } catch {
    throw new ModelSourceError(`${name} is neither a path nor an installed package (npm install ${name})`);
  }
  const mod = (await import(pathToFileURL(entry).href)) as { default?: Partial<ModelLocation> };
  const url = mod.default?.url;
  if (url === undefined) throw new ModelSourceError(`${name} is a package but not a model package: its default export has no "url"`);
  return fromUrl(new URL(url), fetch);
}

/**
 * The files of `source`.
 *
 * @throws ModelSourceError naming the source when it is of no known kind, does not exist, or
 *   names a path or package outside Node.
 */
export async function openSource(source: PipelineSource, fetchFn: typeof fetch = (...a) => fetch(...a)): Promise<ModelFiles> {
  if (source instanceof Uint8Array) return bytesFiles(source);
  if (source instanceof ArrayBuffer) return bytesFiles(new Uint8Array(source));
  if (source instanceof URL) return fromUrl(source, fetchFn);
  if (typeof source === 'object' && source !== null && 'url' in source) return fromUrl(new URL(source.url), fetchFn);
  if (typeof source !== 'string' || source === '') {
    throw new ModelSourceError(`loadPipeline: the source must be a model package, a URL, a path or bytes, got ${source === null ? 'null' : typeof source}`);
  }
  if (URL_LIKE.test(source) && !/^[a-z]:[\\/]/i.test(source)) return fromUrl(new URL(source), fetchFn);
  if (!isNode()) {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    if (base === undefined) throw new ModelSourceError(`${source}: paths and package names are read in Node only; pass a URL or the package's default export`);
    return fromUrl(new URL(source, base), fetchFn);
  }
  const fs = await nodeModule<NodeFs>('node:fs/promises');
  const exists = await fs.stat(source).then(() => true, () => false);
  if (!exists && PACKAGE_NAME.test(source)) return fromPackage(source);
  return fromPath(source);
}
