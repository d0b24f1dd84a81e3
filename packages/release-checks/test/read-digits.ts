/**
 * An independent reader of generated digits: a PNG grid (1-pixel gaps) cut into its tiles and read
 * by the repository's MNIST classifier (models/mnist-classifier, trained on real digits only), as
 * scm eval reads samples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { createTfjsOps } from '@scm/tfjs';
import { classify, loadClassifier } from '../../../apps/trainer/src/evaluation/classifier.js';
import { fitToClassifier } from '../../../apps/trainer/src/evaluation/image-eval.js';
import type { Ops } from '../../../apps/trainer/src/backends/backend.js';
import { ROOT } from './workspace.js';

/** The tiles of a grid PNG of `n` square images of side `size`, grey levels as data units in [-1, 1]. */
export function gridTiles(png: Uint8Array, n: number, size: number): Float32Array {
  const image = PNG.sync.read(Buffer.from(png));
  const cols = Math.round((image.width + 1) / (size + 1));
  const out = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const left = (i % cols) * (size + 1);
    const top = Math.floor(i / cols) * (size + 1);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) out[(i * size + y) * size + x] = image.data[((top + y) * image.width + left + x) * 4] / 127.5 - 1;
    }
  }
  return out;
}

/** The classes the MNIST classifier reads in 28x28 digits given in data units. */
export async function readDigits(digits: Float32Array, n: number): Promise<Int32Array> {
  const o = (await createTfjsOps({ backend: 'wasm' })) as unknown as Ops;
  const clf = await loadClassifier(join(ROOT, 'models', 'mnist-classifier'));
  const params = Object.fromEntries(Object.entries(clf.params).map(([k, t]) => [k, o.fromArray(t.data, t.shape)]));
  try {
    return (await classify(o, clf.net, params, fitToClassifier(digits, n, 28, 1, clf), n)).predictions;
  } finally {
    o.dispose(Object.values(params));
  }
}

export const readPngDigits = (path: string, n: number) => readDigits(gridTiles(new Uint8Array(readFileSync(path)), n, 28), n);
