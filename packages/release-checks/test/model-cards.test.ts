/**
 * The model cards of models/ carry the run card that scm writes for every run folder (a marked
 * section in the hand-written README.md), and it is current: `scm card` on a copy of the folder's
 * files writes back the README.md and curves.png that are committed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CARD_SECTION_END, CARD_SECTION_START } from '../../../apps/trainer/src/report/card.js';
import { ROOT } from './workspace.js';

const MODELS = join(ROOT, 'models');
// Training runs (a log), not the classifiers; a run in progress (scm.lock) rewrites its card itself at each checkpoint.
const runs = readdirSync(MODELS).filter((name) => existsSync(join(MODELS, name, 'log.jsonl')) && !existsSync(join(MODELS, name, 'scm.lock')));
const scratch = mkdtempSync(join(tmpdir(), 'scm-model-cards-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('model cards', () => {
  it('cover the teachers and students of MNIST and Fashion-MNIST', () => {
    expect(runs).toEqual(expect.arrayContaining(['mnist-teacher', 'mnist-scd', 'mnist-sct', 'fashion-teacher', 'fashion-scd', 'fashion-sct']));
  });

  it.each(runs)('models/%s: its card section and curves are what scm card writes from its files', (name) => {
    const readme = readFileSync(join(MODELS, name, 'README.md'), 'utf8');
    expect(readme.split(CARD_SECTION_START)).toHaveLength(2);
    expect(readme.split(CARD_SECTION_END)).toHaveLength(2);
    const copy = join(scratch, name);
    mkdirSync(copy);
    for (const file of ['config.json', 'checkpoint.safetensors', 'log.jsonl', 'eval.json', 'README.md']) {
      if (existsSync(join(MODELS, name, file))) copyFileSync(join(MODELS, name, file), join(copy, file));
    }
    execFileSync(process.execPath, [join(ROOT, 'apps/trainer/bin/scm.js'), 'card', '--run', copy], { stdio: 'pipe', timeout: 60_000 });
    const hint = `refresh with: npx scm card --run models/${name}`;
    expect(readFileSync(join(copy, 'README.md'), 'utf8'), hint).toBe(readme);
    expect(readFileSync(join(copy, 'curves.png')).equals(readFileSync(join(MODELS, name, 'curves.png'))), hint).toBe(true);
  });
});
