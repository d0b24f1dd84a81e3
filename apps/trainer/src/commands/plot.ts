/**
 * scm plot: a run's training curves (loss, grad norm, lr, skipped steps against the step) drawn
 * from its log.jsonl as a PNG, the same picture training writes beside every checkpoint.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { requireStr, str, type CommandHelp, type OptionSpecs, type OptionValues } from '../options/args.js';
import { CURVES_FILE, writeCurves } from '../report/curves.js';
import { RunError, UsageError } from '../options/errors.js';
import type { Io } from '../options/io.js';
import { LOG_FILE } from '../run/run-folder.js';

const OPTIONS: OptionSpecs = {
  run: { type: 'string', value: 'DIR', help: `run folder whose ${LOG_FILE} to draw` },
  out: { type: 'string', value: 'FILE', help: `the PNG to write (default: ${CURVES_FILE} in the run folder)` },
};

export const help: CommandHelp = {
  name: 'plot',
  summary: `Draw a run's training curves from its ${LOG_FILE}: loss, grad norm (log scale), lr and skipped steps against the step.`,
  usage: '--run DIR [--out FILE.png]',
  options: OPTIONS,
  backends: [],
  seed: false,
  notes: [`Training writes the same ${CURVES_FILE} beside every checkpoint.`, 'Example: scm plot --run runs/cb-scd --out cb-scd-curves.png'],
};

export async function run(values: OptionValues, io: Io): Promise<void> {
  const dir = requireStr(values, 'run', help.name);
  const out = str(values, 'out') ?? join(dir, CURVES_FILE);
  if (!/\.png$/i.test(out)) throw new UsageError(`--out ${out}: the curves are a PNG, so --out must end in .png`);
  const isFolder = await stat(dir).then((s) => s.isDirectory(), () => undefined);
  if (isFolder === undefined) throw new RunError(`run folder ${dir} does not exist`);
  if (!isFolder) throw new RunError(`run folder ${dir} is not a folder`);
  if ((await stat(join(dir, LOG_FILE)).catch(() => undefined)) === undefined) {
    throw new RunError(`${dir} has no ${LOG_FILE}: it is not a training run folder (train-teacher, distill, train-ct write one)`);
  }
  if (!(await writeCurves(dir, out))) throw new RunError(`${join(dir, LOG_FILE)} holds no log entries yet: train past the first --log-every steps`);
  io.out(`${out}\n`);
}
