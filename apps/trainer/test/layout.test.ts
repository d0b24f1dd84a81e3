/**
 * The house of src/: folders on floors, each importing only from its own floor or those below, and
 * no import circles between files, so that a command reads top to bottom.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { circles, importGraph } from '../../../scripts/import-graph.mjs';

const SRC = join(import.meta.dirname, '..', 'src');

/** Bottom to top; src/README.md says what each holds. */
const FLOORS = ['options', 'run', 'recipe', 'drawing', 'data', 'backends', 'report', 'sampling', 'export', 'training', 'evaluation', 'commands', '.'];

function floorViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const floor = (file: string) => FLOORS.indexOf(dirname(file));
  return [...graph].flatMap(([file, deps]) => deps.filter((d) => floor(d) > floor(file)).map((d) => `${file} imports ${d}, a floor above it`));
}

describe("apps/trainer/src's layout", () => {
  const graph = importGraph(SRC);

  it('puts every file in a folder of a floor, every import resolving to a file', () => {
    expect([...graph.keys()].filter((f) => !FLOORS.includes(dirname(f)))).toEqual([]);
    const files = new Set(graph.keys());
    expect([...graph.values()].flat().filter((d) => !files.has(d))).toEqual([]);
    // Only the entry point stays at the top, beside the command folder.
    expect([...graph.keys()].filter((f) => dirname(f) === '.')).toEqual(['cli.ts']);
  });

  it('says what each folder holds in src/README.md, bottom to top', () => {
    const listed = [...readFileSync(join(SRC, 'README.md'), 'utf8').matchAll(/^\| `(\w+)\/` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(FLOORS.filter((f) => f !== 'commands' && f !== '.'));
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
