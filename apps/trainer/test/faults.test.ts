/**
 * Fault injection on the command line: kill -9 during checkpoint writes, a full disk, planted
 * links, folders that are not runs, two writers on one folder. Tiny models and few steps, except
 * the kill -9 check, which needs the default model to show an inexact resume.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encodeCheckpoint } from '@scm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, differingTensors, oneLine, readCheckpoint, scm, tempDir, TINY } from './helpers.js';

const root = tempDir();
const teacher = join(root, 'teacher');
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const r = await scm('train-teacher', '--steps', '2', '--out', teacher, ...TINY);
  expect(r.code, r.stderr).toBe(0);
});

/** A file outside every run folder, with contents that must survive. */
function victim(name: string, contents = 'precious'): { path: string; unchanged: () => boolean } {
  const path = join(root, `${name}.victim`);
  writeFileSync(path, contents);
  return { path, unchanged: () => readFileSync(path, 'utf8') === contents };
}

const temporaries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('a folder that is not a run', () => {
  it('is refused by every training command, and its files are left as they were', async () => {
    const dir = join(root, 'mine');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"mine": true}');
    writeFileSync(join(dir, 'log.jsonl'), '{"step": 5}\n');
    const commands = [['train-teacher', ...TINY], ['distill', '--teacher', teacher], ['train-ct', '--init', teacher], ['train-classifier', '--data', 'mnist']];
    for (const args of commands) {
      const r = await scm(...args, '--steps', '1', '--out', dir);
      expect(r.code, args[0]).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/--out .*mine holds files \(.*config\.json.*\) but no checkpoint\.safetensors, so it is not a run/);
    }
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"mine": true}');
    expect(readFileSync(join(dir, 'log.jsonl'), 'utf8')).toBe('{"step": 5}\n');
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'log.jsonl']);
  });

  it('a file is refused as --out', async () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    const r = await scm('train-teacher', '--steps', '1', '--out', file, ...TINY);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/plain-file exists and is not a folder/);
  });
});

describe('planted links', () => {
  it('temporary-file names of old (<file>.tmp) pointing outside the run are never written through', async () => {
    const dir = join(root, 'linked');
    expect((await scm('train-teacher', '--steps', '2', '--out', dir, ...TINY)).code).toBe(0);
    const targets = ['checkpoint.safetensors', 'config.json', 'eval.json', 'samples.png'].map((name) => {
      const v = victim(name);
      symlinkSync(v.path, join(dir, `${name}.tmp`));
      return v;
    });
    expect((await scm('train-teacher', '--resume', '--steps', '4', '--samples', '--out', dir)).code).toBe(0);
    expect((await scm('eval', '--run', dir, '--n', '64')).code).toBe(0);
    for (const v of targets) expect(v.unchanged(), v.path).toBe(true);
  });

  it('a log.jsonl link is refused rather than appended through', async () => {
    const dir = join(root, 'log-link');
    expect((await scm('train-teacher', '--steps', '2', '--out', dir, ...TINY)).code).toBe(0);
    // A valid log line, so resuming has nothing to trim and goes straight to appending.
    const v = victim('log', '{"step":1}\n');
    rmSync(join(dir, 'log.jsonl'));
    symlinkSync(v.path, join(dir, 'log.jsonl'));
    const r = await scm('train-teacher', '--resume', '--steps', '4', '--out', dir);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/could not append to .*log\.jsonl \(ELOOP/);
    expect(v.unchanged()).toBe(true);
  });
});

describe('two writers on one folder', () => {
  it('a second trainer is refused while the first runs, and a resume after it ends continues the run', async () => {
    const dir = join(root, 'busy');
    // The first writer runs as a process of its own, long enough to be caught in the act.
    const first = spawn(process.execPath, [BIN, 'train-teacher', '--steps', '100000', '--checkpoint-every', '1', '--out', dir, ...TINY], {
      stdio: 'ignore',
    });
    const lock = join(dir, 'scm.lock');
    try {
      for (let i = 0; i < 600 && !existsSync(join(dir, 'checkpoint.safetensors')); i++) await new Promise((r) => setTimeout(r, 50));
      expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(first.pid);
      for (const args of [['train-teacher', ...TINY], ['train-teacher', '--resume']]) {
        const r = await scm(...args, '--steps', '3', '--out', dir);
        expect(r.code).toBe(1);
        expect(oneLine(r.stderr)).toMatch(new RegExp(`is locked by process ${first.pid} on .*two runs must not write one folder`));
      }
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
    }
    // kill -9 left its lock behind: its process is gone, so the lock is stale and taken over.
    expect(existsSync(lock)).toBe(true);
    const step = readCheckpoint(dir).meta.step;
    const r = await scm('train-teacher', '--resume', '--steps', String(step + 2), '--out', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock held by a live process refuses even a resume', async () => {
    const dir = join(root, 'held');
    expect((await scm('train-teacher', '--steps', '2', '--out', dir, ...TINY)).code).toBe(0);
    writeFileSync(join(dir, 'scm.lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname() }));
    const r = await scm('train-teacher', '--resume', '--steps', '4', '--out', dir);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/is locked by process \d+/);
    expect(readCheckpoint(dir).meta.step).toBe(2);
  });
});

describe('a full disk', () => {
  it('a checkpoint write that fails leaves the previous checkpoint, and no temporary, behind', async () => {
    const dir = join(root, 'full');
    expect((await scm('train-teacher', '--steps', '2', '--out', dir, ...TINY)).code).toBe(0);
    const before = readFileSync(join(dir, 'checkpoint.safetensors'));
    // A file size limit below the checkpoint's size: writes fail with EFBIG, as on a full disk.
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 16; exec "$0" "$@"`, process.execPath, BIN, 'train-teacher', '--resume', '--steps', '4', '--out', dir], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/could not write .*checkpoint\.safetensors \(EFBIG.*\); the previous file is untouched/);
    expect(readFileSync(join(dir, 'checkpoint.safetensors')).equals(before)).toBe(true);
    expect(temporaries(dir)).toEqual([]);
    expect(existsSync(join(dir, 'scm.lock'))).toBe(false);
  });
});

describe('kill -9', () => {
  it('during checkpoint writes, then resume: the same tensors as a run never interrupted (default model)', async () => {
    const big = join(root, 'big-teacher');
    expect((await scm('train-teacher', '--steps', '1', '--out', big)).code).toBe(0);
    const straight = join(root, 'killed-straight');
    const killed = join(root, 'killed');
    const args = ['distill', '--teacher', big, '--steps', '8', '--log-every', '1', '--checkpoint-every', '1'];
    expect((await scm(...args, '--out', straight)).code).toBe(0);
    const child = spawn(process.execPath, [BIN, ...args, '--out', killed], { stdio: 'ignore' });
    const log = join(killed, 'log.jsonl');
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0);
    for (let i = 0; i < 1200 && lines() < 3 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(readCheckpoint(killed).meta.step).toBeLessThan(8);
    const r = await scm('distill', '--resume', '--out', killed);
    expect(r.code, r.stderr).toBe(0);
    expect(differingTensors(straight, killed)).toEqual([]);
    expect(temporaries(killed)).toEqual([]);
  });
});

describe('numerics', () => {
  it('non-finite weights are refused at load, naming the tensor, by sample and by resume', async () => {
    const dir = join(root, 'nan');
    expect((await scm('train-teacher', '--steps', '2', '--out', dir, ...TINY)).code).toBe(0);
    const { meta, state } = readCheckpoint(dir);
    const name = Object.keys(state.ema)[0];
    state.ema[name].data[0] = Infinity;
    writeFileSync(join(dir, 'checkpoint.safetensors'), encodeCheckpoint(meta, state));
    for (const args of [['sample', '--run', dir, '--n', '8', '--out', join(root, 'nan.csv')], ['train-teacher', '--resume', '--steps', '4', '--out', dir]]) {
      const r = await scm(...args);
      expect(r.code, args[0]).toBe(1);
      expect(oneLine(r.stderr)).toContain(`tensor "ema.${name}" holds Infinity at element 0: its weights are not finite`);
    }
    expect(existsSync(join(root, 'nan.csv'))).toBe(false);
  });

  it('a diverging run stops with exit 1 after 10 skipped steps in a row, writing no checkpoint of the blown-up weights', async () => {
    const dir = join(root, 'diverging');
    const r = await scm('train-teacher', '--lr', '1e30', '--steps', '200', '--checkpoint-every', '5', '--out', dir, ...TINY);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /training diverged: steps 2 to 11 all had a non-finite loss or gradient and were skipped; stopped before its first checkpoint; try a lower --lr/,
    );
    expect(existsSync(join(dir, 'checkpoint.safetensors'))).toBe(false);
    expect(existsSync(join(dir, 'scm.lock'))).toBe(false);
  });
});

describe('a changed teacher', () => {
  it('resuming an sCD student whose teacher was trained further since is refused', async () => {
    const own = join(root, 'changing-teacher');
    const student = join(root, 'changing-student');
    expect((await scm('train-teacher', '--steps', '2', '--out', own, ...TINY)).code).toBe(0);
    expect((await scm('distill', '--teacher', own, '--steps', '1', '--batch', '16', '--lr-schedule', 'constant', '--out', student)).code).toBe(0);
    expect(readCheckpoint(student).meta.teacherFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await scm('train-teacher', '--resume', '--steps', '3', '--out', own)).code).toBe(0);
    const r = await scm('distill', '--resume', '--steps', '2', '--out', student);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/the teacher run .*changing-teacher has changed since this student began \(its weights, now at step 3, differ\)/);
    expect(readCheckpoint(student).meta.step).toBe(1);
  });
});

describe('a moved student', () => {
  it('resumes with an explicit --teacher whose weights are the recorded ones; another teacher is refused', async () => {
    const before = join(root, 'was-here', 'student');
    const moved = join(root, 'moved', 'deeper', 'student');
    expect((await scm('distill', '--teacher', teacher, '--steps', '1', '--batch', '16', '--lr-schedule', 'constant', '--out', before)).code).toBe(0);
    mkdirSync(join(root, 'moved', 'deeper'), { recursive: true });
    renameSync(before, moved);
    const other = join(root, 'other-teacher');
    expect((await scm('train-teacher', '--steps', '3', '--out', other, ...TINY)).code).toBe(0);
    const wrong = await scm('distill', '--resume', '--teacher', other, '--steps', '2', '--out', moved);
    expect(wrong.code).toBe(2);
    expect(oneLine(wrong.stderr)).toMatch(/--teacher .*other-teacher differs from the run's/);
    const r = await scm('distill', '--resume', '--teacher', teacher, '--steps', '2', '--out', moved);
    expect(r.code, r.stderr).toBe(0);
    expect(readCheckpoint(moved).meta.step).toBe(2);
    // The new place is recorded, in config.json and the checkpoint: the next resume needs no --teacher.
    const now = relative(moved, teacher);
    expect(r.stdout + r.stderr).toContain(`the teacher is now recorded as ${now} (was ${relative(before, teacher)})`);
    expect(JSON.parse(readFileSync(join(moved, 'config.json'), 'utf8')).teacher).toBe(now);
    expect(readCheckpoint(moved).meta.teacher).toBe(now);
    const again = await scm('distill', '--resume', '--steps', '3', '--out', moved);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).not.toContain('now recorded');
    expect(readCheckpoint(moved).meta.step).toBe(3);
  });
});

describe('paired outputs and leftovers', () => {
  it('a .npy and its .labels.npy are written together: when the labels cannot be, the samples are left as they were', async () => {
    const cond = join(root, 'cond');
    expect((await scm('train-teacher', '--conditional', '--steps', '1', '--out', cond, ...TINY)).code).toBe(0);
    const out = join(root, 'pair.npy');
    expect((await scm('sample', '--run', cond, '--n', '4', '--seed', '1', '--out', out)).code).toBe(0);
    const before = readFileSync(out);
    rmSync(join(root, 'pair.labels.npy'));
    mkdirSync(join(root, 'pair.labels.npy'));
    const r = await scm('sample', '--run', cond, '--n', '4', '--seed', '2', '--out', out);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/could not write .*pair\.npy, .*pair\.labels\.npy \(.*pair\.labels\.npy is a folder\); the previous files are untouched/);
    expect(readFileSync(out).equals(before)).toBe(true);
  });

  it('an unconditional .npy removes the labels an earlier draw left beside it; labels scm did not write are replaced only with --force', async () => {
    const cond = join(root, 'cond-pairs');
    expect((await scm('train-teacher', '--conditional', '--steps', '1', '--out', cond, ...TINY)).code).toBe(0);
    const draw = (run: string, out: string, ...more: string[]) => scm('sample', '--run', run, '--n', '4', '--nfe', '2', '--out', join(root, out), ...more);
    expect((await draw(cond, 'a.npy')).code).toBe(0);
    expect(existsSync(join(root, 'a.labels.npy'))).toBe(true);
    const r = await draw(teacher, 'a.npy');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(root, 'a.npy'));
    expect(existsSync(join(root, 'a.labels.npy'))).toBe(false);

    const mine = victim('u-labels');
    const labels = join(root, 'u.labels.npy');
    writeFileSync(labels, readFileSync(mine.path));
    const refused = await draw(cond, 'u.npy');
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/u\.labels\.npy exists and is not labels scm wrote beside .*u\.npy: pass --force to replace it, or choose another --out/);
    expect(existsSync(join(root, 'u.npy'))).toBe(false);
    // An unconditional draw writes no labels, so it leaves a file it did not write alone.
    expect((await draw(teacher, 'u.npy')).code).toBe(0);
    expect(readFileSync(labels, 'utf8')).toBe('precious');
    expect((await draw(cond, 'u.npy', '--force')).code).toBe(0);
    expect(readFileSync(labels).subarray(1, 6).toString()).toBe('NUMPY');
  });

  it('a temporary left by a killed writer is swept by the next write of its file', async () => {
    const out = join(root, 'swept.csv');
    const stale = `${out}.2147483646.0123456789abcdef.tmp`;
    writeFileSync(stale, 'half a file');
    expect((await scm('sample', '--run', teacher, '--n', '4', '--out', out)).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('x,y');
  });
});

describe('consistent options', () => {
  it('numbers are decimal for every option: --lr 0x10 is refused as --steps 0x10 is', async () => {
    for (const f of ['lr', 'steps']) {
      const r = await scm('train-teacher', `--${f}`, '0x10', '--out', join(root, `hex-${f}`));
      expect(r.code, f).toBe(2);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`--${f} must be a (positive number|non-negative integer), got "0x10"`));
    }
  });

  it('options that do not apply are errors: the MLP sizes with image data', async () => {
    for (const f of ['width', 'blocks', 'input-features', 'input-feature-scale']) {
      const r = await scm('train-teacher', '--data', `folder:${root}`, `--${f}`, '8', '--out', join(root, `unet-${f}`));
      expect(r.code, f).toBe(2);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`--${f} sizes the MLP of 2-D data; image data trains a U-Net`));
    }
  });
});

describe('resource limits, checked up front', () => {
  it('a checkpoint whose config claims a far larger model than it stores is refused before any weight is drawn', async () => {
    const dir = join(root, 'claims-big');
    expect((await scm('train-teacher', '--steps', '1', '--out', dir, ...TINY)).code).toBe(0);
    const { meta, state } = readCheckpoint(dir);
    const stored = Object.values(state.params).reduce((sum, t) => sum + t.data.length, 0);
    writeFileSync(join(dir, 'checkpoint.safetensors'), encodeCheckpoint({ ...meta, model: { ...meta.model, width: 3000 } as typeof meta.model }, state));
    const r = await scm('sample', '--run', dir, '--n', '4', '--out', join(root, 'claims-big.csv'));
    expect(r.code).toBe(1);
    const claimed = /its model config describes (\d+) parameters, but it stores (\d+)/.exec(oneLine(r.stderr));
    expect(claimed, r.stderr).not.toBeNull();
    // 1 block of two 3000 x 3000 weights: at least 18,000,000 parameters.
    expect(Number(claimed?.[1])).toBeGreaterThanOrEqual(18_000_000);
    expect(Number(claimed?.[2])).toBe(stored);
  });

  it('a batch one step cannot hold in memory is a usage error, before anything is trained', async () => {
    const dir = join(root, 'huge-batch');
    const r = await scm('train-teacher', '--batch', '8000000', '--steps', '1', '--backend', 'wasm', '--out', dir);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(
      /--batch 8000000 needs about [\d.]+ GiB for one step of this model \(mlp width 128 x 2 blocks, 165,891 parameters: \d+ MB fixed and \d+ KB an example\), more than the 4 GiB the wasm backend can address: use a batch of at most about \d+/,
    );
    expect(existsSync(join(dir, 'checkpoint.safetensors'))).toBe(false);
  });

  // Issue 28's probes, each of which used to abort with "memory access out of bounds" past wasm's
  // 4 GiB or "Invalid typed array length" while drawing the weights: now refused before either.
  it.each([
    [['--width', '128', '--blocks', '4', '--batch', '20000'], /--batch 20000 needs about [\d.]+ GiB .* more than the 4 GiB the wasm backend can address: use a batch of at most about 1\d{4}$/],
    [['--width', '16', '--blocks', '1', '--batch', '400000'], /--batch 400000 needs about [5-9]\.\d GiB .*\(mlp width 16 x 1 blocks, 3,635 parameters: .* use a batch of at most about [23]\d{5}$/],
    [['--width', '1000000', '--batch', '8'], /this model \(mlp width 1000000 x 2 blocks, 9,\d{3},\d{3},\d{3},\d{3} parameters\) needs about [\d.]+ GiB for one step of a single example, more than the 4 GiB the wasm backend can address: make it smaller$/],
  ])('the probe %j is refused on wasm with its estimate', async (size, message) => {
    const dir = join(root, `probe-${size.join('')}`);
    const r = await scm('train-teacher', ...size, '--steps', '1', '--backend', 'wasm', '--out', dir);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toMatch(message);
    expect(existsSync(dir)).toBe(false);
  });

  it('a model too big for any batch is refused on the backends limited by the machine too', async () => {
    for (const backend of ['cpu', 'onnx']) {
      const r = await scm('train-teacher', '--width', '1000000', '--batch', '8', '--steps', '1', '--backend', backend, '--out', join(root, `wide-${backend}`));
      expect(r.code, backend).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/needs about [\d.]+ GiB for one step of a single example, more than this machine's [\d.]+ GiB of memory: make it smaller$/);
    }
  });

  it('sampling work is bounded: --steps and --nfe above 1000 are usage errors; a draw of one batch but many evaluations reports progress', async () => {
    for (const [flag, sampler] of [['--steps', 'consistency'], ['--nfe', 'ddim']]) {
      const r = await scm('sample', '--run', teacher, '--sampler', sampler, flag, '1000000', '--out', join(root, 'endless.csv'));
      expect(r.code, flag).toBe(2);
      expect(oneLine(r.stderr)).toBe(`scm sample: ${flag} 1000000 is more than the 1000 network evaluations a sample may take`);
    }
    // eval too, in a --steps list and for a teacher's --nfe, before the run is read.
    for (const [flag, value] of [['--steps', '1,2,5000'], ['--nfe', '2000']]) {
      const r = await scm('eval', '--run', teacher, flag, value);
      expect(r.code, flag).toBe(2);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^scm eval: ${flag} \\d+ is more than the 1000 network evaluations a sample may take$`));
    }
    const r = await scm('sample', '--run', teacher, '--n', '4', '--sampler', 'ddim', '--nfe', '1000', '--backend', 'wasm', '--out', join(root, 'slow.csv'));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('sampled '));
    expect(lines.map((l) => l.split('  ')[0])).toEqual(['sampled 1/4', 'sampled 2/4', 'sampled 3/4']);
    expect(lines[0]).toMatch(/^sampled 1\/4  [\d.]+ samples\/s  ETA \S+$/);
    // On ONNX Runtime, whose session for a graph of 1000 unrolled evaluations would take most of an
    // hour to build, the draw runs on wasm with its progress, and says so: the same samples.
    const onnx = await scm('sample', '--run', teacher, '--n', '4', '--sampler', 'ddim', '--nfe', '1000', '--backend', 'onnx', '--out', join(root, 'slow-onnx.csv'));
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(onnx.stderr).toMatch(/^note: ddim 1000 NFE: more than 64 network evaluations, which ONNX Runtime would take minutes to build into one graph; sampling on TensorFlow\.js wasm instead/m);
    expect(onnx.stderr.split('\n').filter((l) => l.startsWith('sampled ')).map((l) => l.split('  ')[0])).toEqual(['sampled 1/4', 'sampled 2/4', 'sampled 3/4']);
    expect(readFileSync(join(root, 'slow-onnx.csv'), 'utf8')).toBe(readFileSync(join(root, 'slow.csv'), 'utf8'));
  });

  it('export writes .onnx only, and a fixed --batch whose samples fit 1 GiB', async () => {
    const pt = await scm('export', '--run', teacher, '--denoiser', '--out', join(root, 'e.pt'));
    expect(pt.code).toBe(2);
    expect(oneLine(pt.stderr)).toMatch(/--out .*e\.pt must end in \.onnx, the format it writes/);
    const huge = await scm('export', '--run', teacher, '--denoiser', '--batch', '1000000000', '--out', join(root, 'e.onnx'));
    expect(huge.code).toBe(2);
    expect(oneLine(huge.stderr)).toMatch(/--batch 1000000000 would hold 7\.5 GiB of samples; one call draws at most 134217728 samples of this run/);
    expect(existsSync(join(root, 'e.pt')) || existsSync(join(root, 'e.onnx'))).toBe(false);
  });

  it('a sample count whose output cannot be held is a usage error; a long draw reports progress', async () => {
    const huge = await scm('sample', '--run', teacher, '--n', '2000000000', '--out', join(root, 'huge.csv'));
    expect(huge.code).toBe(2);
    expect(oneLine(huge.stderr)).toMatch(/--n 2000000000 would hold 14\.9 GiB of samples; one call draws at most 134217728 samples of this run \(1\.0 GiB\)/);
    const r = await scm('sample', '--run', teacher, '--n', '41000', '--sampler', 'ddim', '--nfe', '1', '--out', join(root, 'long.csv'));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('sampled '));
    // 11 batches of 4096: a status at each tenth of the way, the last batch excepted.
    expect(lines.length).toBe(9);
    expect(lines[0]).toMatch(/^sampled 8192\/41000  \d+ samples\/s  ETA \S+$/);
  });
});
