/**
 * The house of src/: folders on floors, each importing only from its own floor or those below, and
 * no import circles between files, so that a command reads top to bottom.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

/** Bottom to top; apps/trainer/README.md ("Source layout") says what each holds. */
const FLOORS = ['options', 'run', 'recipe', 'drawing', 'data', 'backends', 'report', 'sampling', 'export', 'training', 'evaluation', 'commands', '.'];

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Each file's relative imports (type-only ones too: a circle of types is still a circle of meaning). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources()) {
    const specs = [...readFileSync(file, 'utf8').matchAll(/\bfrom '(\.{1,2}\/[^']+)\.js'/g)].map((m) => m[1]);
    graph.set(relative(SRC, file), specs.map((s) => relative(SRC, normalize(join(dirname(file), `${s}.ts`)))));
  }
  return graph;
}

function floorViolations(graph: Map<string, string[]>): string[] {
  const floor = (file: string) => FLOORS.indexOf(dirname(file));
  return [...graph].flatMap(([file, deps]) => deps.filter((d) => floor(d) > floor(file)).map((d) => `${file} imports ${d}, a floor above it`));
}

function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
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

describe("apps/trainer/src's layout", () => {
  const graph = importGraph();

  it('puts every file in a folder of a floor, every import resolving to a file', () => {
    expect([...graph.keys()].filter((f) => !FLOORS.includes(dirname(f)))).toEqual([]);
    const files = new Set(graph.keys());
    expect([...graph.values()].flat().filter((d) => !files.has(d))).toEqual([]);
    // Only the entry point stays at the top, beside the command folder.
    expect([...graph.keys()].filter((f) => dirname(f) === '.')).toEqual(['cli.ts']);
  });

  it('imports only from the same floor or below', () => {
    expect(floorViolations(graph)).toEqual([]);
  });

  it('has no import circles', () => {
    expect(circles(graph)).toEqual([]);
  });

  // The checks themselves, on graphs with the faults they look for.
  it('finds an import upward and a circle', () => {
    const faulty = new Map([
      ['run/a.ts', ['training/b.ts']],
      ['training/b.ts', ['training/c.ts']],
      ['training/c.ts', ['training/b.ts']],
    ]);
    expect(floorViolations(faulty)).toEqual(['run/a.ts imports training/b.ts, a floor above it']);
    expect(circles(faulty)).toEqual([['training/b.ts', 'training/c.ts', 'training/b.ts']]);
  });
});
