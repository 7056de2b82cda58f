// An exclusive lock file that names its holder (pid + start time): a holder that died is seen at once
// and its lock taken over, so a CLI killed while holding one never stalls the next call. No timers, no
// exit handlers at load; a waiter polls with a bound and gives one clear line when it runs out.
import { openSync, writeSync, closeSync, readFileSync, rmSync, renameSync } from 'node:fs';
import { isAlive, processStartTime } from './proc.js';
import { RindError } from '../util/errors.js';

function holder(file: string): { pid: number; start?: number } | undefined {
  try {
    const [pid, start] = readFileSync(file, 'utf8').trim().split(' ').map(Number);
    return Number.isInteger(pid) && pid > 0 ? { pid, start: Number.isFinite(start) ? start : undefined } : undefined;
  } catch {
    return undefined;
  }
}

function tryTake(file: string, me: string): boolean {
  try {
    const fd = openSync(file, 'wx', 0o600);
    writeSync(fd, me);
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new RindError(`cannot take the lock ${file}: ${(e as Error).message}`);
    return false;
  }
}

/** Removes a lock whose holder is gone (atomically: only one waiter wins the rename). */
function breakStale(file: string): void {
  const h = holder(file);
  if (h && isAlive(h.pid, h.start)) return;
  const grave = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, grave);
    const again = holder(grave);
    if (again && isAlive(again.pid, again.start)) renameSync(grave, file); // a live holder took it meanwhile: give it back
    else rmSync(grave, { force: true });
  } catch {
    /* someone else broke it first */
  }
}

export async function withFileLock<T>(file: string, what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`;
  const end = Date.now() + timeoutMs;
  let wait = 5;
  while (!tryTake(file, me)) {
    breakStale(file);
    if (Date.now() > end) throw new RindError(`${what} is locked by another rind process (pid ${holder(file)?.pid ?? '?'}) for more than ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 100);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
