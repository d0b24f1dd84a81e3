/** The page's modules import one another without circles (a factory imports implementations, never back). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { circles, importGraph } from '../../../scripts/import-graph.mjs';

describe("apps/demo/src's imports", () => {
  it('close no circles', () => {
    const graph = importGraph(join(import.meta.dirname, '..', 'src'));
    expect(graph.get('generator.ts')).toEqual(expect.arrayContaining(['generate-ort.ts', 'generate-tfjs.ts']));
    expect(circles(graph)).toEqual([]);
  });
});
