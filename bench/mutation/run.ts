/**
 * `npm run mutation [-- target ...]`: one Stryker run per folder of targets.json (all by default), then
 * bench/results/mutation.{json,md} from every folder's latest report, measured now or earlier.
 * `--report` only rebuilds the summary. `--before` summarises the saved first runs
 * (<folder>.before.json, measured before this branch's tests) into mutation.before.{json,md}, whose
 * scores the main summary shows next to the current ones. Not part of `npm test`: hours on 2 cores.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markdownTable, resultsDir, writeResults } from '../lib.js';
import config from './targets.json' with { type: 'json' };
import equivalents from './equivalent.json' with { type: 'json' };

interface Mutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}
interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly Mutant[] }>;
}
interface Equivalent {
  readonly file: string;
  readonly line: number;
  readonly mutator: string;
  readonly replacement: string;
  readonly reason: string;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const args = process.argv.slice(2);
const before = args.includes('--before');
const reportOnly = before || args.includes('--report');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !config.targets.some((t) => t.name === n));
if (unknown.length > 0) throw new Error(`unknown mutation target ${unknown.join(', ')}; known: ${config.targets.map((t) => t.name).join(', ')}`);

const workPath = (name: string, kind: string) => join('bench/results/tmp/mutation', `${name.replaceAll('/', '-')}.${kind}.json`);

/**
 * Stryker's incremental mode keeps the result of a static mutant (one that acts while a module
 * loads, such as a constant) even when tests were added since, so undetected static mutants are
 * dropped from the incremental file and tested again.
 */
function forgetUndetectedStatic(name: string): void {
  const path = workPath(name, 'incremental');
  if (!existsSync(path)) return;
  const incremental = JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, { mutants: (Mutant & { static?: boolean })[] }> };
  for (const file of Object.values(incremental.files)) file.mutants = file.mutants.filter((m) => !(m.static && UNDETECTED.has(m.status)));
  writeFileSync(path, JSON.stringify(incremental));
}

const reportPath = (name: string) => workPath(name, before ? 'before' : 'report');

if (!reportOnly) {
  for (const target of config.targets.filter((t) => names.length === 0 || names.includes(t.name))) {
    console.log(`mutation: ${target.name}`);
    forgetUndetectedStatic(target.name);
    const run = spawnSync('npx', ['stryker', 'run', 'bench/mutation/stryker.config.mjs'], {
      stdio: 'inherit',
      env: { ...process.env, MUTATION_TARGET: target.name, ...('tests' in target && target.tests ? { SCM_TEST_INCLUDE: target.tests.join(',') } : {}) },
    });
    if (run.status !== 0) throw new Error(`stryker failed on ${target.name} (exit ${run.status})`);
  }
}

const equivalentOf = (file: string, m: Pick<Mutant, 'mutatorName' | 'replacement'> & { location: { start: { line: number } } }) =>
  (equivalents as readonly Equivalent[]).find(
    (e) => file.endsWith(e.file) && e.line === m.location.start.line && e.mutator === m.mutatorName && e.replacement === m.replacement,
  );

interface Survivor {
  readonly file: string;
  readonly line: number;
  readonly mutator: string;
  readonly replacement: string;
  readonly status: string;
  readonly equivalent?: string;
}
interface Folder {
  readonly name: string;
  readonly goal: number;
  readonly measured: boolean;
  readonly score?: number;
  readonly detected?: number;
  readonly undetected?: number;
  readonly survivors?: readonly Survivor[];
  /** What of the folder a restricted target leaves unmeasured (targets.json). */
  readonly note?: string;
}

/**
 * The Stryker reports stay in the ignored work folder of the checkout that measured them, so a folder
 * without one here keeps the result the committed summary holds (its equivalence reasons re-read).
 */
const summaryPath = join(resultsDir, before ? 'mutation.before.json' : 'mutation.json');
const committed: readonly Folder[] = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as { folders: Folder[] }).folders : [];
function committedResult(name: string, goal: number): Folder {
  const f = committed.find((c) => c.name === name);
  if (!f?.measured) return { name, goal, measured: false };
  const survivors = (f.survivors ?? []).map((s) => {
    const reason = equivalentOf(s.file, { mutatorName: s.mutator, replacement: s.replacement, location: { start: { line: s.line } } });
    return { ...s, equivalent: reason?.reason };
  });
  return { ...f, goal, survivors };
}

const folders = config.targets.map((target): Folder => {
  const path = reportPath(target.name);
  const note = 'note' in target ? { note: target.note } : {};
  if (!existsSync(path)) return { ...committedResult(target.name, target.goal), ...note };
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  let detected = 0;
  let undetected = 0;
  const survivors = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (DETECTED.has(m.status)) detected++;
      if (!UNDETECTED.has(m.status)) continue;
      undetected++;
      const line = m.location.start.line;
      survivors.push({ file, line, mutator: m.mutatorName, replacement: m.replacement ?? '', status: m.status, equivalent: equivalentOf(file, m)?.reason });
    }
  }
  const score = detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
  return { name: target.name, goal: target.goal, measured: true as const, score: Number(score.toFixed(2)), detected, undetected, survivors, ...note };
});

const pct = (v: number) => `${v.toFixed(1)}%`;
const oneLine = (s: string) => s.replace(/\s+/g, ' ').replaceAll('|', '\\|').slice(0, 80);
const beforePath = join(resultsDir, 'mutation.before.json');
const earlier: Record<string, number | undefined> =
  before || !existsSync(beforePath)
    ? {}
    : Object.fromEntries((JSON.parse(readFileSync(beforePath, 'utf8')) as { folders: { name: string; score?: number }[] }).folders.map((f) => [f.name, f.score]));
const sections = folders.flatMap((f) =>
  f.measured && f.survivors !== undefined && f.survivors.length > 0
    ? [
        `### ${f.name}`,
        markdownTable(
          ['where', 'mutator', 'replacement', 'status', 'equivalent because'],
          f.survivors.map((s) => [`${s.file}:${s.line}`, s.mutator, `\`${oneLine(s.replacement)}\``, s.status, s.equivalent ?? '']),
        ),
      ]
    : [],
);
const markdown = [
  before ? '# Mutation testing (StrykerJS), before the direct tests of issue 15' : '# Mutation testing (StrykerJS)',
  '',
  'Score = (killed + timed out) / (killed + timed out + survived + no coverage), per folder; `npm run mutation` measures all folders.',
  '',
  markdownTable(
    ['folder', 'score', ...(before ? [] : ['before']), 'goal', 'detected', 'undetected'],
    folders.map((f) => {
      const was = earlier[f.name];
      const beforeCell = before ? [] : [was === undefined ? '' : pct(was)];
      return f.measured && f.score !== undefined
        ? [f.name, pct(f.score), ...beforeCell, `${f.goal}%`, f.detected ?? '', f.undetected ?? '']
        : [f.name, 'not measured', ...beforeCell, `${f.goal}%`, '', ''];
    }),
  ),
  ...folders.flatMap((f) => (f.note ? ['', `${f.name}: ${f.note}.`] : [])),
  '',
  '## Surviving mutants',
  '',
  ...sections.flatMap((s) => [s, '']),
].join('\n');
writeResults(before ? 'mutation.before' : 'mutation', { folders }, markdown);
console.log(markdown);
