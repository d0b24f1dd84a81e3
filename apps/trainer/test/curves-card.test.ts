/** curves.png and README.md beside every checkpoint, `scm plot`, `scm card`, and the card's refresh by `scm eval`. */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CARD_MARKER, CARD_SECTION_END, CARD_SECTION_START, renderCard, writeCard } from '../src/report/card.js';
import { panelBoxes } from '../src/report/curves.js';
import { oneLine, readCheckpoint, scm, tempDir, TINY } from './helpers.js';

const root = tempDir();
const run = join(root, 'teacher');
const argv = ['train-teacher', '--steps', '6', '--checkpoint-every', '3', '--out', run, ...TINY];

/** Pixels in `box` whose colour is neither grey (frame, ticks, text) nor white: the curve's. */
function curvePixels(png: PNG, box: { x: number; y: number; width: number; height: number }): number {
  let n = 0;
  for (let y = box.y + 1; y < box.y + box.height - 1; y++) {
    for (let x = box.x + 1; x < box.x + box.width - 1; x++) {
      const i = 4 * (y * png.width + x);
      if (png.data[i + 2] - png.data[i] > 60) n++;
    }
  }
  return n;
}

beforeAll(async () => {
  const r = await scm(...argv);
  expect(r.code, r.stderr).toBe(0);
});

describe('training curves', () => {
  it('are written beside the checkpoint, a curve in each of the four panels', () => {
    const png = PNG.sync.read(readFileSync(join(run, 'curves.png')));
    expect([png.width, png.height]).toEqual([960, 640]);
    for (const box of panelBoxes()) expect(curvePixels(png, box)).toBeGreaterThan(20);
  });

  it('scm plot draws them to --out', async () => {
    const out = join(root, 'curves-copy.png');
    const r = await scm('plot', '--run', run, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    expect(readFileSync(out)).toEqual(readFileSync(join(run, 'curves.png')));
  });

  it('scm plot refuses a folder without log entries in one line', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const cases: Array<[string[], RegExp, number]> = [
      [['--run', join(root, 'missing')], /run folder .*missing does not exist/, 1],
      [['--run', empty], /has no log\.jsonl: it is not a training run folder/, 1],
      [['--run', run, '--out', join(root, 'c.jpg')], /--out must end in \.png/, 2],
    ];
    for (const [args, message, code] of cases) {
      const r = await scm('plot', ...args);
      expect(r.code).toBe(code);
      expect(oneLine(r.stderr)).toMatch(message);
    }
    writeFileSync(join(empty, 'log.jsonl'), '');
    const r = await scm('plot', '--run', empty);
    expect(oneLine(r.stderr)).toMatch(/holds no log entries yet/);
    expect(existsSync(join(empty, 'curves.png'))).toBe(false);
  });
});

describe('run card', () => {
  it('records the command in config.json and says what ran, and how far', () => {
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).command).toEqual(['scm', ...argv]);
    const card = readFileSync(join(run, 'README.md'), 'utf8');
    expect(card.split('\n')[0]).toBe(CARD_MARKER);
    expect(card).toContain(`scm ${argv.join(' ')}`);
    expect(card).toMatch(/\| steps \| 6 of 6 \|/);
    expect(card).toMatch(/\| trained \| diffusion teacher \|/);
    expect(card).toContain('None yet: `scm eval');
  });

  it('gets the eval table from scm eval', async () => {
    const r = await scm('eval', '--run', run, '--n', '50');
    expect(r.code, r.stderr).toBe(0);
    const card = readFileSync(join(run, 'README.md'), 'utf8');
    expect(card).toContain('From `eval.json` (step 6, n 50, ema weights)');
    expect(card).toMatch(/^\| sampler \| nfe \| energyDistance \| slicedW2 \| inSupport \| seconds \|$/m);
    expect(card).toMatch(/^\| heun \| 35 \|/m);
  });

  it('leaves a README.md it did not write alone', async () => {
    const own = join(root, 'own');
    mkdirSync(own);
    writeFileSync(join(own, 'README.md'), '# my model\n');
    const { meta } = readCheckpoint(run);
    expect(await writeCard(own, meta, meta.step)).toBe(false);
    expect(readFileSync(join(own, 'README.md'), 'utf8')).toBe('# my model\n');
  });

  it('says so where a run predates the recorded command', () => {
    const { meta } = readCheckpoint(run);
    const card = renderCard({ name: 'old', info: meta, step: 3, record: {}, log: [] });
    expect(card).toContain('Not recorded: this run was started before scm recorded its command line');
    expect(card).toMatch(/\| training time \| none yet \|/);
  });

  it("rewrites only the card section of a README of one's own, wherever it sits", async () => {
    const own = join(root, 'own-with-section');
    cpSync(run, own, { recursive: true });
    const before = `# my model\n\nWhat it is for.\n\n${CARD_SECTION_START}\nstale\n${CARD_SECTION_END}\n`;
    const after = '\n## Licence\n\nMine.\n';
    writeFileSync(join(own, 'README.md'), before + after);
    const { meta } = readCheckpoint(own);
    expect(await writeCard(own, meta, meta.step)).toBe(true);
    const text = readFileSync(join(own, 'README.md'), 'utf8');
    const start = text.indexOf(CARD_SECTION_START);
    const end = text.indexOf(CARD_SECTION_END) + CARD_SECTION_END.length + 1;
    expect(text.slice(0, start)).toBe('# my model\n\nWhat it is for.\n\n');
    expect(text.slice(end)).toBe(after);
    const section = text.slice(start, end);
    expect(section).not.toContain('stale');
    expect(section).toContain(`## Run card: own-with-section`);
    expect(section).toMatch(/^### Command$/m);
    expect(section).toContain(`scm ${argv.join(' ')}`);
    expect(section).toMatch(/\| steps \| 6 of 6 \|/);
    expect(section).not.toContain(CARD_MARKER);
    // A second refresh changes nothing.
    expect(await writeCard(own, meta, meta.step)).toBe(true);
    expect(readFileSync(join(own, 'README.md'), 'utf8')).toBe(text);
  });

  it('scm card writes the card and its curves, and refuses a README of one\'s own without a section', async () => {
    const copy = join(root, 'card-copy');
    cpSync(run, copy, { recursive: true });
    rmSync(join(copy, 'README.md'));
    rmSync(join(copy, 'curves.png'));
    const r = await scm('card', '--run', copy);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([join(copy, 'README.md'), join(copy, 'curves.png')]);
    expect(readFileSync(join(copy, 'README.md'), 'utf8')).toBe(readFileSync(join(run, 'README.md'), 'utf8').replaceAll('# teacher', '# card-copy'));
    expect(readFileSync(join(copy, 'curves.png'))).toEqual(readFileSync(join(run, 'curves.png')));
    writeFileSync(join(copy, 'README.md'), '# mine\n');
    const refused = await scm('card', '--run', copy);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/README\.md is not a card scm wrote and has no card section/);
    expect(readFileSync(join(copy, 'README.md'), 'utf8')).toBe('# mine\n');
  });
});
