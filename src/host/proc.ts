// Facts about host processes: liveness with pid-reuse protection, and waiting for exit.
// Used for the shim and QEMU processes of each container.
import { readFileSync } from 'node:fs';

/** The pid in a pid file, or undefined if the file is missing or holds no pid. */
export function readPidFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Process start time (clock ticks since boot), or undefined if the pid does not exist. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined, startTime?: number): boolean {
  if (!pid || pid <= 0) return false;
  const st = processStartTime(pid);
  if (st === undefined) return false;
  return startTime === undefined || st === startTime;
}

export function signalProcess(pid: number | undefined, signal: NodeJS.Signals | number, startTime?: number): boolean {
  if (!isAlive(pid, startTime)) return false;
  try {
    process.kill(pid!, signal);
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(pid: number | undefined, startTime: number | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid, startTime)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** Signals a foreground `run`/`exec` passes on to the shim (which forwards them to the guest). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export function forwardSignalsTo(pid: number, startTime?: number): void {
  for (const s of FORWARDED) process.on(s, () => signalProcess(pid, s, startTime));
}
