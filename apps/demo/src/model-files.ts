/**
 * The models the page draws from: the model folders (of @scm/model-mnist, @scm/model-emoji, ...)
 * that the build step copied beside the page with their index, read by core's loadPipeline from
 * files the page fetched (with its progress and stall checks).
 */
import { checkSpec, type ModelSpec } from '@scm/core';
import { fetchBytes, fetchFiles } from './fetch-bytes.js';
import type { Progress } from './generation.js';
import { viewOf, type ModelView } from './model-view.js';
import { modelDir, MODELS_INDEX, parseModelIndex } from './public-files.js';

/** A model folder and its spec (config.json), read before any backend starts. */
export interface DemoModel {
  readonly url: URL;
  readonly spec: ModelSpec;
  readonly config: Uint8Array;
  readonly view: ModelView;
}

/** A model's files by name, fetched by the page with its progress and stall checks, then handed to loadPipeline. */
export type ModelFiles = Readonly<Record<string, Uint8Array>>;

/** The files a pipeline reads: config.json and the weights, and the samplers where the engine runs graphs. */
export async function fetchModelFiles(model: DemoModel, withSamplers: boolean, progress: Progress): Promise<ModelFiles> {
  const names = [model.spec.weights, ...(withSamplers ? Object.values(model.spec.samplers ?? {}) : [])];
  const bytes = await fetchFiles(names.map((name) => new URL(name, model.url)), progress);
  return Object.fromEntries([['config.json', model.config], ...names.map((name, i) => [name, bytes[i]] as const)]);
}

/** A fetch for loadPipeline that answers from files already fetched: 404 for any other. */
export function servedFrom(base: URL, files: ModelFiles): typeof fetch {
  return async (input) => {
    const href = input instanceof Request ? input.url : String(input);
    const bytes = href.startsWith(base.href) ? files[href.slice(base.href.length)] : undefined;
    return bytes ? new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(bytes.length) } }) : new Response(null, { status: 404 });
  };
}

/** Every model of the index, in its order: their config.json files alone (a few kB each); weights wait for a backend. */
export async function loadDemoModels(): Promise<DemoModel[]> {
  const index = new URL(MODELS_INDEX, document.baseURI);
  const names = parseModelIndex(new TextDecoder().decode(await fetchBytes(index)), index.pathname);
  return Promise.all(names.map((name) => loadDemoModel(new URL(modelDir(name), document.baseURI))));
}

async function loadDemoModel(url: URL): Promise<DemoModel> {
  const config = await fetchBytes(new URL('config.json', url));
  const { spec } = checkSpec(JSON.parse(new TextDecoder().decode(config)));
  return { url, config, spec, view: viewOf(spec) };
}
