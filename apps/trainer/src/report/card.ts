/**
 * A run folder's card (README.md): what was trained (mode, network, data, teacher), the command
 * that started it, the steps done of the total, the training time, the backend and the latest
 * eval.json as a table. Rewritten at every checkpoint, by scm eval and by scm card from the folder's
 * files, so it never goes stale. A README.md of someone's own (no marker on its first line) is left
 * alone, except for a section between CARD_SECTION_START and CARD_SECTION_END: that is how the
 * hand-written model cards of models/ carry the same card.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { LogEntry, ModelConfig, RunInfo } from '@scm/core';
import { writeAtomic, writeJson } from '../run/atomic-file.js';
import type { RunRecord } from '../run/config-check.js';
import { CURVES_FILE } from './curves.js';
import { describeError, RunError } from '../options/errors.js';
import { describeData, describeUnet } from '../data/images.js';
import { formatDuration } from '../run/progress.js';
import { describeMode, EVAL_FILE, evalFile, readLog, readRunRecord, type LoadedRun, type Weights } from '../run/run-folder.js';

export const CARD_FILE = 'README.md';
/** The first line of every card we write: a README.md without it is someone's own, never replaced. */
export const CARD_MARKER = '<!-- scm run card: rewritten by scm at every checkpoint and scm eval; remove this line to keep your edits -->';
/** Around the card's section in a README.md of someone's own: what lies between is rewritten, the rest kept. */
export const CARD_SECTION_START = '<!-- scm run card: rewritten by scm up to the end marker; edit outside it -->';
export const CARD_SECTION_END = '<!-- end of scm run card -->';

export function describeModel(m: ModelConfig): string {
  return m.kind === 'mlp' ? `mlp ${m.width}x${m.blocks}` : describeUnet(m);
}

/** What a card says, gathered from a run folder's files. */
export interface CardFacts {
  readonly name: string;
  readonly info: RunInfo;
  readonly step: number;
  readonly record: RunRecord;
  readonly log: readonly LogEntry[];
  /** eval.json, as written by scm eval (2-D or image report). */
  readonly evalReport?: { readonly step?: number; readonly n?: number; readonly weights?: string; readonly rows?: readonly Record<string, unknown>[] };
}

/** Wall time over the log's training sessions: elapsedSec starts again at every resume. */
export function trainingSeconds(log: readonly LogEntry[]): number {
  let total = 0;
  let previous = 0;
  for (const e of log) {
    if (e.elapsedSec < previous) total += previous;
    previous = e.elapsedSec;
  }
  return total + previous;
}

/** argv as a shell line: arguments with characters a shell would read are single-quoted. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

const cell = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))) : v === undefined ? '' : String(v);

/** Rows of eval.json as a Markdown table: the columns are the rows' numbers, strings and flags in the order first seen. */
export function markdownTable(rows: readonly Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => ['number', 'string', 'boolean'].includes(typeof r[k]))))];
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** The card as a whole README.md, or (`section`) as the section that a README of someone's own carries. */
export function renderCard(f: CardFacts, section = false): string {
  const { info } = f;
  const mlpFeatures = info.model.kind === 'mlp' && info.model.inputFeatures ? ` (${info.model.inputFeatures} input features)` : '';
  const facts: Array<[string, string]> = [
    ['trained', describeMode(info.train.mode)],
    ['network', `${describeModel(info.model)}${mlpFeatures}`],
    ['data', `${describeData(info.data)}${info.data.conditional ? ' (class-conditional)' : ''}`],
    ...(info.teacher !== undefined ? [['teacher', `\`${info.teacher}\``] as [string, string]] : []),
    ['steps', `${f.step} of ${info.train.steps}`],
    ['batch', String(info.train.batch)],
    ['learning rate', `${info.train.lr.lr} (${info.train.lr.kind})`],
    ['training time', f.log.length > 0 ? formatDuration(trainingSeconds(f.log)) : 'none yet'],
    ['backend', f.record.backend ?? 'not recorded'],
  ];
  const command = f.record.command
    ? ['```sh', shellLine(f.record.command), '```']
    : ['Not recorded: this run was started before scm recorded its command line in config.json.'];
  const report = f.evalReport;
  const evaluation = report?.rows
    ? [`From \`${EVAL_FILE}\` (step ${report.step ?? '?'}, n ${report.n ?? '?'}, ${report.weights ?? 'ema'} weights):`, '', markdownTable(report.rows)]
    : [`None yet: \`scm eval --run ${f.name}\` writes \`${EVAL_FILE}\` and this table.`];
  const h = section ? '###' : '##';
  return [
    ...(section ? [CARD_SECTION_START, `## Run card: ${f.name}`] : [CARD_MARKER, `# ${f.name}`]),
    '',
    '| | |',
    '| --- | --- |',
    ...facts.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `${h} Command`,
    '',
    ...command,
    '',
    ...(f.log.length > 0 ? [`${h} Training curves`, '', `![loss, grad norm, lr and skipped steps](${CURVES_FILE})`, ''] : []),
    `${h} Evaluation`,
    '',
    ...evaluation,
    ...(section ? ['', CARD_SECTION_END] : []),
    '',
  ].join('\n');
}

async function readEvalReport(dir: string): Promise<CardFacts['evalReport']> {
  try {
    const report: unknown = JSON.parse(await readFile(join(dir, EVAL_FILE), 'utf8'));
    return typeof report === 'object' && report !== null && Array.isArray((report as CardFacts['evalReport'])!.rows) ? (report as CardFacts['evalReport']) : undefined;
  } catch {
    return undefined;
  }
}

/** README.md's text, or undefined where there is none. */
async function readReadme(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunError(`could not read ${path} (${describeError(e)})`);
  }
}

/** What of `readme` lies before and after its card section, or undefined where it has no whole section. */
function aroundSection(readme: string): { before: string; after: string } | undefined {
  const start = readme.indexOf(CARD_SECTION_START);
  const end = readme.indexOf(CARD_SECTION_END, start);
  if (start < 0 || end < 0) return undefined;
  // The section ends with its end marker and a newline; keep what followed that newline.
  const past = end + CARD_SECTION_END.length;
  return { before: readme.slice(0, start), after: readme.slice(readme[past] === '\n' ? past + 1 : past) };
}

/**
 * Writes `dir`'s card for a run at `step` from its config.json record, log and eval.json: the whole
 * README.md where it is missing or ours, else its card section; returns false, writing nothing, where
 * README.md is someone's own without a section.
 */
export async function writeCard(dir: string, info: RunInfo, step: number): Promise<boolean> {
  const path = join(dir, CARD_FILE);
  const readme = await readReadme(path);
  const whole = readme === undefined || readme.split('\n', 1)[0] === CARD_MARKER;
  const around = whole ? undefined : aroundSection(readme);
  if (!whole && around === undefined) return false;
  const [record, log, evalReport] = await Promise.all([readRunRecord(dir), readLog(dir), readEvalReport(dir)]);
  const facts = { name: basename(resolve(dir)), info, step, record, log, evalReport };
  await writeAtomic(path, around ? around.before + renderCard(facts, true) + around.after : renderCard(facts));
  return true;
}

/** Saves a report of scm eval (eval.json, or eval.params.json) and brings the card's table up to date. */
export async function saveEvalReport(run: LoadedRun, report: { readonly weights: Weights }): Promise<void> {
  await writeJson(join(run.dir, evalFile(report.weights)), report);
  await writeCard(run.dir, run.meta, run.meta.step);
}
