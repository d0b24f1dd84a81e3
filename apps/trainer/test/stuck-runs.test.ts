/**
 * Fault injection, second round: nothing leaves a run folder that only deleting a file by hand
 * would free. Signals (SIGINT, SIGTERM), kill -9 before the first checkpoint, a failed start, locks
 * that are empty, garbage or left by a failed write.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, oneLine, readCheckpoint, scm, tempDir, TINY } from './helpers.js';

const root = tempDir();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const FOREVER = ['--steps', '1000000', '--checkpoint-every', '1000000'];

/** A trainer as a process of its own, and a wait until it has logged (so it is training). */
async function training(dir: string): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'train-teacher', ...FOREVER, '--out', dir, ...TINY], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => void (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const log = join(dir, 'log.jsonl');
  for (let i = 0; i < 1200 && !(existsSync(log) && readFileSync(log, 'utf8').length > 0) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
  expect(existsSync(log), stderr).toBe(true);
  return { child, exited, stderr: () => stderr };
}

describe('signals', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} writes a checkpoint of the step reached, releases the lock and exits ${code}`, async () => {
      const dir = join(root, signal);
      const run = await training(dir);
      run.child.kill(signal);
      const exited = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
      expect(exited, run.stderr()).toBe(code);
      const m = /(SIG\w+): stopped at step (\d+) of 1000000, keeping the checkpoint of step (\d+); continue it with --resume$/.exec(run.stderr().trim());
      expect(m, run.stderr()).not.toBeNull();
      expect(m![1]).toBe(signal);
      expect(m![3]).toBe(m![2]);
      expect(readCheckpoint(dir).meta.step).toBe(Number(m![2]));
      expect(existsSync(join(dir, 'scm.lock'))).toBe(false);
      if (signal === 'SIGTERM') {
        const r = await scm('train-teacher', '--resume', '--steps', String(Number(m![2]) + 2), '--out', dir);
        expect(r.code, r.stderr).toBe(0);
      }
    });
  }
});

describe('a run stopped before its first checkpoint', () => {
  const killed = join(root, 'killed-early');

  it('kill -9 leaves config.json, log.jsonl and a lock; the same command again starts it over', async () => {
    const run = await training(killed);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(readdirSync(killed).sort()).toEqual(['config.json', 'log.jsonl', 'scm.lock']);
    cpSync(killed, `${killed}-2`, { recursive: true });
    const r = await scm('train-teacher', '--steps', '4', '--out', killed, ...TINY);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('stopped before its first checkpoint: starting it again from step 0');
    expect(readCheckpoint(killed).meta.step).toBe(4);
    // The dead run's log lines are gone: the log starts again with this run.
    expect(readFileSync(join(killed, 'log.jsonl'), 'utf8').split('\n')[0]).toMatch(/^\{"step":2,/);
  });

  it('--resume alone starts it over from its config.json', async () => {
    const dir = `${killed}-2`;
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const r = await scm('train-teacher', '--resume', '--steps', '2', '--out', dir);
    expect(r.code, r.stderr).toBe(0);
    const { meta } = readCheckpoint(dir);
    expect(meta.step).toBe(2);
    expect(meta.model).toEqual(config.model);
    expect({ ...meta.train, steps: 0 }).toEqual({ ...config.train, steps: 0 });
  });

  it('a failed start (only config.json left) does not block a rerun with other options', async () => {
    const dir = join(root, 'failed-start');
    mkdirSync(dir);
    cpSync(join(killed, 'config.json'), join(dir, 'config.json'));
    const r = await scm('train-teacher', '--steps', '2', '--out', dir, ...TINY.slice(0, 4), '--batch', '8');
    expect(r.code, r.stderr).toBe(0);
    expect(readCheckpoint(dir).meta.train.batch).toBe(8);
  });

  it('a start refused before it writes leaves no folder it created, and keeps one the user made', async () => {
    const teacher = join(root, 'refusing-teacher');
    expect((await scm('train-teacher', '--steps', '1', '--out', teacher, ...TINY)).code).toBe(0);
    const fresh = join(root, 'refused', 'student');
    const r = await scm('distill', '--teacher', teacher, '--classifier', join(root, 'nothing'), '--out', fresh);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--classifier is for image runs/);
    expect(existsSync(fresh)).toBe(false);
    const own = join(root, 'own-empty');
    mkdirSync(own);
    expect((await scm('distill', '--teacher', teacher, '--classifier', join(root, 'nothing'), '--out', own)).code).toBe(2);
    expect(readdirSync(own)).toEqual([]);
  });

  it('a config.json that is not a run still makes the folder the user\'s', async () => {
    const dir = join(root, 'not-a-config');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"model": {"kind": "mlp"}}');
    for (const resume of [[], ['--resume']]) {
      const r = await scm('train-teacher', ...resume, '--steps', '2', '--out', dir, ...TINY);
      expect(r.code).toBe(1);
    }
    expect(readdirSync(dir)).toEqual(['config.json']);
  });
});

describe('locks', () => {
  const dir = join(root, 'locked');

  it('an empty or garbage lock has no owner to wait for and is taken over', async () => {
    expect((await scm('train-teacher', '--steps', '2', '--out', dir, ...TINY)).code).toBe(0);
    for (const [i, contents] of ['', '{"pid":', '\u0000\u0000'].entries()) {
      writeFileSync(join(dir, 'scm.lock'), contents);
      const r = await scm('train-teacher', '--resume', '--steps', String(3 + i), '--out', dir);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(dir, 'scm.lock'))).toBe(false);
    }
  });

  it('a lock that cannot be written (a file size limit, as a full disk) names the lock and leaves nothing behind', async () => {
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 0; exec "$0" "$@"`, process.execPath, BIN, 'train-teacher', '--resume', '--steps', '8', '--out', dir], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^scm train-teacher: could not create the lock .*locked[/\\]scm\.lock \(EFBIG[^)]*\)$/);
    expect(readdirSync(dir).filter((n) => n.startsWith('scm.lock'))).toEqual([]);
    expect((await scm('train-teacher', '--resume', '--steps', '8', '--out', dir)).code).toBe(0);
  });
});
