/**
 * scm card: writes a run's card (README.md) and the curves it shows from its files, as training does
 * at every checkpoint, or refreshes the card section of a README of one's own (the model cards of
 * models/ carry one).
 */
import { join } from 'node:path';
import { requireStr, type CommandHelp, type OptionSpecs, type OptionValues } from '../options/args.js';
import { CURVES_FILE, writeCurves } from '../report/curves.js';
import { CARD_FILE, CARD_SECTION_END, CARD_SECTION_START, writeCard } from '../report/card.js';
import { RunError } from '../options/errors.js';
import type { Io } from '../options/io.js';
import { loadRun } from '../run/run-folder.js';

const OPTIONS: OptionSpecs = {
  run: { type: 'string', value: 'DIR', help: 'run folder whose card to write' },
};

export const help: CommandHelp = {
  name: 'card',
  summary: `Write a run's card (${CARD_FILE}): what was trained, the command, steps, time, backend, curves and the latest eval table.`,
  usage: '--run DIR',
  options: OPTIONS,
  backends: [],
  seed: false,
  notes: [
    `Training rewrites the card at every checkpoint and scm eval after each evaluation. A ${CARD_FILE} of your own is left alone, except for a section between the lines`,
    `  ${CARD_SECTION_START}`,
    `  ${CARD_SECTION_END}`,
    `which is rewritten (put those two lines where the card should go). The card shows ${CURVES_FILE}, which scm card draws too.`,
    'Example: scm card --run models/mnist-scd',
  ],
};

export async function run(values: OptionValues, io: Io): Promise<void> {
  const dir = requireStr(values, 'run', help.name);
  const { meta } = await loadRun(dir, 'run', io);
  const path = join(dir, CARD_FILE);
  if (!(await writeCard(dir, meta, meta.step))) {
    throw new RunError(`${path} is not a card scm wrote and has no card section: add the lines ${CARD_SECTION_START} and ${CARD_SECTION_END} where it should go`);
  }
  io.out(`${path}\n`);
  if (await writeCurves(dir)) io.out(`${join(dir, CURVES_FILE)}\n`);
}
