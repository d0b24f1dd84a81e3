/**
 * All-or-nothing file writes. Each file is written to a temporary file beside it, created
 * exclusively under a name nobody can guess (so a planted file or link of that name is never
 * opened), synced, renamed over the target, and the folder is synced so the rename itself survives
 * a crash. Temporaries left behind by a killed process are swept on the next write beside them.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { describeError, RunError } from '../options/errors.js';

/** Create, write only, and fail if the name exists or is a link (O_EXCL refuses links too; O_NOFOLLOW says so). */
export const EXCLUSIVE = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW;

/** "<name>.<pid>.<16 hex>.tmp": the pid lets a later writer tell a dead writer's leftovers from a live one's. */
const TEMP_NAME = /^(.*)\.(\d+)\.[0-9a-f]{16}\.tmp$/;

/** Whether a folder entry is a temporary of this module's writes (or the lock's). */
export const isTemporary = (name: string) => TEMP_NAME.test(name);

export const tempPath = (path: string) => `${path}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;

/** Whether process `pid` is alive on this machine (EPERM: alive, someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporaries of `path` whose writer is dead; best effort. */
async function sweepStale(path: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  const target = basename(path);
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m && m[1] === target && !processAlive(Number(m[2]))) await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}

/** fsync of a folder: makes the renames and creations in it durable. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeTemp(path: string, contents: Uint8Array | string): Promise<string> {
  const tmp = tempPath(path);
  const file = await open(tmp, EXCLUSIVE, 0o644);
  try {
    await file.writeFile(contents);
    await file.sync();
  } catch (e) {
    await file.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await file.close();
  return tmp;
}

/**
 * Writes every file of `files` or none: all temporaries are written and synced before the first
 * rename, so files that belong together (an array and its labels) cannot end up from two writes
 * unless the process dies between the renames themselves.
 */
export async function writeAllAtomic(files: ReadonlyArray<readonly [path: string, contents: Uint8Array | string]>): Promise<void> {
  const temps: string[] = [];
  try {
    // A folder in a target's place would fail its rename after the others had gone through.
    for (const [path] of files) {
      if ((await lstat(path).catch(() => undefined))?.isDirectory()) throw new Error(`${path} is a folder`);
    }
    for (const [path, contents] of files) {
      await sweepStale(path);
      temps.push(await writeTemp(path, contents));
    }
    for (let i = 0; i < files.length; i++) await rename(temps[i], files[i][0]);
  } catch (e) {
    await Promise.all(temps.map((tmp) => unlink(tmp).catch(() => undefined)));
    const paths = files.map(([path]) => path).join(', ');
    throw new RunError(`could not write ${paths} (${describeError(e)}); the previous ${files.length > 1 ? 'files are' : 'file is'} untouched`);
  }
  // The new files are in place; syncing the folder makes the renames durable where the platform
  // can sync a folder at all (not every one can, and the write has succeeded either way).
  for (const dir of new Set(files.map(([path]) => dirname(path)))) await syncFolder(dir).catch(() => undefined);
}

/** Writes `path` through a temporary file in the same folder and a rename: all or nothing. */
export const writeAtomic = (path: string, contents: Uint8Array | string) => writeAllAtomic([[path, contents]]);

export const writeJson = (path: string, value: unknown) => writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
