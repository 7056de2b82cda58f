// Facts about host processes: /proc/PID/stat, liveness with pid-reuse protection, and waiting for exit.
// Used for the shim and QEMU processes of each container, and by the density benchmark (one stat parser).
import { readFileSync } from 'node:fs';
import { RIND_FWD_SIGNALS } from '../proto/limits.js';

/** The pid in a pid file, or undefined if the file is missing or holds no pid. */
export function readPidFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  startTime: number;
  state: string;
  comm: string;
}

/** Parses /proc/PID/stat ("pid (comm) S ppid ..." where comm may hold spaces and parentheses). */
export function parseStat(stat: string): ProcInfo {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const f = stat.slice(close + 2).split(' ');
  return { pid: Number(stat.slice(0, open).trim()), comm: stat.slice(open + 1, close), state: f[0], ppid: Number(f[1]), startTime: Number(f[19]) };
}

/** /proc/PID/stat parsed (zombies included), or undefined if the pid does not exist. */
export function readProc(pid: number): ProcInfo | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Process start time (clock ticks since boot), or undefined if the pid does not exist. */
export function processStartTime(pid: number): number | undefined {
  const p = readProc(pid);
  return p && p.state !== 'Z' && p.state !== 'X' ? p.startTime : undefined;
}

/** Whether something runs at `pid` (and, when `startTime` is given, whether it is that process). */
export function isAlive(pid: number | undefined, startTime?: number): boolean {
  if (!pid || pid <= 0) return false;
  const st = processStartTime(pid);
  if (st === undefined) return false;
  return startTime === undefined || st === startTime;
}

/**
 * Whether a pid rind recorded still names the process it recorded: alive, with the start time read
 * when it was spawned. A pid recorded without a start time is never taken for it (it may be reused).
 */
export function isSameProcess(pid: number | undefined, startTime: number | undefined): boolean {
  return startTime !== undefined && isAlive(pid, startTime);
}

/**
 * Signals a pid rind stored (a shim's, from a state file) only if it is still that process: the start
 * time is compared right before kill(2). Without a recorded start time nothing is signalled.
 */
export function signalRecorded(pid: number | undefined, startTime: number | undefined, signal: NodeJS.Signals | number): boolean {
  return startTime !== undefined && signalProcess(pid, signal, startTime);
}

/** Signals a pid; with `startTime`, only that process. Stored pids go through signalRecorded. */
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
const FORWARDED: NodeJS.Signals[] = [...RIND_FWD_SIGNALS, 'SIGWINCH'];

export function forwardSignalsTo(pid: number, startTime: number | undefined): void {
  for (const s of FORWARDED) process.on(s, () => signalRecorded(pid, startTime, s));
}
