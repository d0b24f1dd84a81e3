/**
 * bench/memory: the real peak memory of training steps, per backend (wasm, cpu, onnx), model kind
 * (MLP at several widths and depths, small U-Nets on MNIST and emoji) and mode (teacher, sCT, sCD),
 * each at two batch sizes so that the cost per example and the fixed cost separate (and mlp
 * 2048x1's 21M parameters show the cost per parameter). Every case is the `scm` command a user
 * runs, in its own process with bench/memory/probe.ts preloaded, which reports: on wasm the size
 * tfjs-wasm's heap grew to (what the 4 GiB wasm32 limit applies to); on cpu and onnx the process's
 * peak resident memory (VmHWM), which their limit, the machine's memory, applies to. A case runs
 * with --steps 100 and is sent SIGTERM once step 1 has logged: the trainer finishes the step it is
 * on and writes its checkpoint (its host copies count), and no final preview grid follows (minutes
 * of sampling for an image run on two cores, and the same whatever the batch).
 *
 * Writes bench/results/memory.{json,md} through table.ts, beside each measurement the estimate of
 * the trainer's memory check (apps/trainer/src/run/limits.ts), which the trainer's tests hold at or
 * above every measured peak. Run: npm run bench:memory (after npm run build); no case above 3.5 GB.
 * The committed run took 25 minutes on two cores busy with other work (load average 7); the
 * 2048-wide MLP's cases, about a minute each there, are most of it. ONLY=regex runs the cases whose
 * name matches, into bench/results/tmp/.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, MemoryRow, Mode } from './rows.js';
import { writeMemoryResults } from './table.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'apps/trainer/bin/scm.js');
const probe = join(root, 'bench/memory/probe.ts');
const work = join(root, 'runs/bench-memory');
const ONLY = process.env.ONLY ? new RegExp(process.env.ONLY) : undefined;
/** A case that has not logged its first step by then is stopped and recorded as such. */
const CASE_TIMEOUT_MS = 180_000;

/** Model options of `scm train-teacher` (students take their teacher's). */
const MODELS = {
  'mlp 16x1': ['--width', '16', '--blocks', '1'],
  'mlp 128x2': [],
  'mlp 256x6': ['--width', '256', '--blocks', '6'],
  'mlp 2048x1': ['--width', '2048', '--blocks', '1'],
  'unet mnist 8x[1,2]': ['--data', 'mnist', '--base-channels', '8', '--channel-mult', '1,2'],
  'unet mnist 24x[1,2,2]': ['--data', 'mnist'],
  'unet emoji 8x[1,2]': ['--data', 'emoji', '--base-channels', '8', '--channel-mult', '1,2'],
} as const satisfies Record<string, readonly string[]>;
type ModelName = keyof typeof MODELS;

interface Case {
  readonly model: ModelName;
  readonly backend: Backend;
  readonly mode: Mode;
  readonly batches: readonly number[];
}

const cases = (backend: Backend, model: ModelName, modes: readonly Mode[], batches: readonly number[]): Case[] =>
  modes.map((mode) => ({ model, backend, mode, batches }));

/**
 * Batches sized for about 0.1 to 1.5 GB, so each case's cost per example shows above the noise of
 * resident memory and the steps of the wasm heap's growth; the cpu backend, several times slower,
 * gets fewer and smaller ones. mlp 2048x1 (21M parameters) carries the cost per parameter.
 */
const CASES: Case[] = [
  ...cases('wasm', 'mlp 16x1', ['teacher'], [5000, 40000]),
  ...cases('wasm', 'mlp 128x2', ['teacher', 'sct', 'scd'], [1000, 8000]),
  ...cases('wasm', 'mlp 256x6', ['teacher'], [250, 1000]),
  ...cases('wasm', 'mlp 2048x1', ['teacher', 'scd'], [16, 256]),
  ...cases('wasm', 'unet mnist 8x[1,2]', ['teacher', 'sct', 'scd'], [4, 16]),
  ...cases('wasm', 'unet mnist 24x[1,2,2]', ['teacher'], [8, 24]),
  ...cases('wasm', 'unet emoji 8x[1,2]', ['teacher'], [4, 16]),
  ...cases('cpu', 'mlp 16x1', ['teacher'], [5000, 20000]),
  ...cases('cpu', 'mlp 128x2', ['teacher', 'scd'], [500, 2000]),
  ...cases('cpu', 'mlp 2048x1', ['teacher'], [16]),
  ...cases('cpu', 'unet mnist 8x[1,2]', ['teacher'], [4, 8]),
  ...cases('onnx', 'mlp 16x1', ['teacher'], [20000, 80000]),
  ...cases('onnx', 'mlp 128x2', ['teacher', 'sct', 'scd'], [4000, 16000]),
  ...cases('onnx', 'mlp 256x6', ['teacher'], [1000, 4000]),
  ...cases('onnx', 'mlp 2048x1', ['teacher', 'scd'], [16, 256]),
  ...cases('onnx', 'unet mnist 8x[1,2]', ['teacher', 'sct', 'scd'], [8, 32]),
  ...cases('onnx', 'unet mnist 24x[1,2,2]', ['teacher'], [8, 32]),
  ...cases('onnx', 'unet emoji 8x[1,2]', ['teacher'], [8, 32]),
];

const COMMAND: Record<Mode, (teacher: string) => string[]> = {
  teacher: () => ['train-teacher'],
  sct: (teacher) => ['train-ct', '--init', teacher],
  scd: (teacher) => ['distill', '--teacher', teacher],
};

interface Probe {
  readonly peakRss: number | null;
  readonly wasmHeap: number | null;
}

interface Outcome {
  /** The last line of its output: the error of a failed run. */
  readonly last: string;
  readonly seconds: number;
  /** Step 1 logged. */
  readonly stepped: boolean;
  readonly probe?: Probe;
}

/**
 * One scm process with the probe preloaded. With `stopAfterFirstStep` it is sent SIGTERM once step
 * 1 has logged: the trainer then finishes the step it is on (the run's --steps being more, no
 * final preview follows), writes its checkpoint and exits.
 */
function scm(args: readonly string[], stopAfterFirstStep: boolean): Promise<Outcome> {
  const probeFile = join(work, 'probe.json');
  rmSync(probeFile, { force: true });
  const began = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', probe, cli, ...args], {
    cwd: root,
    env: { ...process.env, SCM_MEMORY_PROBE: probeFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stepped = false;
  const watch = (chunk: Buffer) => {
    output += chunk.toString();
    if (!stepped && /^step 1\//m.test(output)) {
      stepped = true;
      if (stopAfterFirstStep) child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', watch);
  child.stderr.on('data', watch);
  const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', () => {
      clearTimeout(timer);
      let result: Probe | undefined;
      try {
        result = JSON.parse(readFileSync(probeFile, 'utf8')) as Probe;
      } catch {
        result = undefined;
      }
      const lines = output.trim().split('\n');
      resolve({ last: lines[lines.length - 1] ?? '', seconds: (performance.now() - began) / 1000, stepped, ...(result ? { probe: result } : {}) });
    });
  });
}

const teachers = new Map<ModelName, string>();
/** A step-0 teacher run of `model`, made once, for the students' cases. */
async function teacherOf(model: ModelName): Promise<string> {
  const known = teachers.get(model);
  if (known) return known;
  const dir = join(work, `teacher ${model}`.replace(/[^\w.-]+/g, '-'));
  const done = await scm(['train-teacher', ...MODELS[model], '--steps', '0', '--lr-schedule', 'constant', '--backend', 'wasm', '--out', dir], false);
  if (!existsSync(join(dir, 'checkpoint.safetensors'))) throw new Error(`could not start the teacher of ${model}: ${done.last}`);
  teachers.set(model, dir);
  return dir;
}

async function measure(c: Case, batch: number): Promise<MemoryRow> {
  const name = `${c.model} ${c.mode} ${c.backend}`;
  const out = join(work, 'run');
  rmSync(out, { recursive: true, force: true });
  const command = c.mode === 'teacher' ? [...COMMAND.teacher(''), ...MODELS[c.model]] : COMMAND[c.mode](await teacherOf(c.model));
  const args = [...command, '--steps', '100', '--log-every', '1', '--checkpoint-every', '1000', '--lr-schedule', 'constant'];
  const done = await scm([...args, '--batch', String(batch), '--backend', c.backend, '--out', out], true);
  const trained = done.probe !== undefined && done.stepped;
  const config = trained ? (JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Pick<MemoryRow, 'model'>) : undefined;
  const peakRss = done.probe?.peakRss ?? null;
  const wasmHeap = done.probe?.wasmHeap ?? null;
  const row: MemoryRow = {
    case: name,
    backend: c.backend,
    mode: c.mode,
    batch,
    model: config?.model ?? null,
    measured: trained ? (c.backend === 'wasm' ? wasmHeap : peakRss) : null,
    peakRss,
    wasmHeap,
    seconds: Math.round(done.seconds * 10) / 10,
    ...(trained ? {} : { error: done.last }),
  };
  process.stderr.write(`${name} batch ${batch}: ${row.measured === null ? row.error : `${Math.round(row.measured / 2 ** 20)} MB`} (${row.seconds} s)\n`);
  return row;
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const rows: MemoryRow[] = [];
for (const c of CASES) {
  if (ONLY && !ONLY.test(`${c.model} ${c.mode} ${c.backend}`)) continue;
  for (const batch of c.batches) rows.push(await measure(c, batch));
}
rmSync(work, { recursive: true, force: true });
writeMemoryResults(ONLY ? 'tmp/memory' : 'memory', rows);
