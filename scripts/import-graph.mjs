// The relative imports between a source folder's TypeScript files, and the circles they close: the
// layout tests of apps/trainer and apps/demo read their src/ with it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

export function importGraph(root) {
  const graph = new Map();
  for (const file of sources(root)) {
    // Static and dynamic imports, type-only ones too: a circle of types is still a circle of meaning.
    const specs = [...readFileSync(file, 'utf8').matchAll(/\b(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)].map((m) => m[1]);
    graph.set(
      relative(root, file),
      specs.map((s) => relative(root, normalize(join(dirname(file), `${s}.ts`)))),
    );
  }
  return graph;
}

export function circles(graph) {
  const found = [];
  const state = new Map();
  const visit = (file, path) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...path.slice(path.indexOf(file)), file]);
      return;
    }
    state.set(file, 'open');
    for (const d of graph.get(file) ?? []) visit(d, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}
