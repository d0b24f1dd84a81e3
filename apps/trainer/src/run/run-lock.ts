/**
 * The lock a training run holds on its folder while it writes: "scm.lock", created exclusively,
 * holding the writer's pid and host. A second trainer on the same folder is refused instead of
 * racing the first for config.json, the log and the checkpoint. A lock whose process has died on
 * this host (kill -9, a crash) is stale and taken over; one from another host is never guessed at.
 * The lock is written in full to a temporary and linked into place, so a lock is never seen empty
 * or half-written: one that is (a full disk under an older scm, a damaged file) has no owner left
 * to wait for and is taken over too.
 */
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EXCLUSIVE, processAlive, tempPath } from './atomic-file.js';
import { describeError, RunError } from '../options/errors.js';

export const LOCK_FILE = 'scm.lock';

interface LockOwner {
  readonly pid: number;
  readonly host: string;
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    return Number.isSafeInteger(owner.pid) && typeof owner.host === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

async function tryCreate(path: string): Promise<boolean> {
  const tmp = tempPath(path);
  try {
    const file = await open(tmp, EXCLUSIVE, 0o644);
    try {
      await file.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    } finally {
      await file.close();
    }
    // link() fails with EEXIST where a lock is already in place: creation is as exclusive as O_EXCL.
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new RunError(`could not create the lock ${path} (${describeError(e)})`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Takes the lock of run folder `dir` (which exists); returns its release. */
export async function lockRun(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const release = async () => {
    const owner = await readOwner(path);
    if (owner?.pid === process.pid && owner.host === hostname()) await unlink(path).catch(() => undefined);
  };
  if (await tryCreate(path)) return release;
  const owner = await readOwner(path);
  const stale = owner === undefined || (owner.host === hostname() && !processAlive(owner.pid));
  if (!stale) {
    const who = `process ${owner.pid} on ${owner.host}`;
    throw new RunError(
      `${dir} is locked by ${who} (${path}): two runs must not write one folder; if no scm process is using it, delete the lock`,
    );
  }
  // Moving the stale lock aside first means only one of two starters racing for it can take it over.
  const aside = tempPath(path);
  try {
    await rename(path, aside);
  } catch {
    throw new RunError(`${dir} is locked by another process starting at the same time (${path})`);
  }
  await unlink(aside).catch(() => undefined);
  if (!(await tryCreate(path))) throw new RunError(`${dir} is locked by another process starting at the same time (${path})`);
  return release;
}
