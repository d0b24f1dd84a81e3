/**
 * A run folder's card (README.md): what was trained (mode, network, data, teacher), the command
 * that started it, the steps done of the total, the training time, the backend and the latest
 * eval.json as a table. Rewritten at every checkpoint and by scm eval from the folder's files, so
 * it never goes stale; a README.md we did not write (no marker on its first line) is left alone.
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

export function renderCard(f: CardFacts): string {
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
  return [
    CARD_MARKER,
    `# ${f.name}`,
    '',
    '| | |',
    '| --- | --- |',
    ...facts.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Command',
    '',
    ...command,
    '',
    ...(f.log.length > 0 ? ['## Training curves', '', `![loss, grad norm, lr and skipped steps](${CURVES_FILE})`, ''] : []),
    '## Evaluation',
    '',
    ...evaluation,
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

/** Whether `path` is missing or a card of ours. */
async function isOurs(path: string): Promise<boolean> {
  try {
    return (await readFile(path, 'utf8')).split('\n', 1)[0] === CARD_MARKER;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new RunError(`could not read ${path} (${describeError(e)})`);
  }
}

/**
 * Writes `dir`'s card for a run at `step` from its config.json record, log and eval.json; returns
 * false, writing nothing, where README.md is not one of ours.
 */
export async function writeCard(dir: string, info: RunInfo, step: number): Promise<boolean> {
  const path = join(dir, CARD_FILE);
  if (!(await isOurs(path))) return false;
  const [record, log, evalReport] = await Promise.all([readRunRecord(dir), readLog(dir), readEvalReport(dir)]);
  await writeAtomic(path, renderCard({ name: basename(resolve(dir)), info, step, record, log, evalReport }));
  return true;
}

/** Saves a report of scm eval (eval.json, or eval.params.json) and brings the card's table up to date. */
export async function saveEvalReport(run: LoadedRun, report: { readonly weights: Weights }): Promise<void> {
  await writeJson(join(run.dir, evalFile(report.weights)), report);
  await writeCard(run.dir, run.meta, run.meta.step);
}
