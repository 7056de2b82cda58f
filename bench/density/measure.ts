// Host-side measurements: MemAvailable, the process tree below the pid-file pids, PSS from
// /proc/PID/smaps_rollup, process start times (pid-reuse safe liveness) and the load average.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function memAvailableKiB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  if (!m) throw new Error('no MemAvailable in /proc/meminfo');
  return Number(m[1]);
}

export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a, b, c];
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

export function readProc(pid: number): ProcInfo | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function processTable(): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const p = readProc(Number(e));
    if (p) table.set(p.pid, p);
  }
  return table;
}

/** The roots and all their descendants present in the table (roots that are gone are skipped). */
export function withDescendants(roots: Iterable<number>, table: Map<number, ProcInfo>): number[] {
  const children = new Map<number, number[]>();
  for (const p of table.values()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const out: number[] = [];
  const seen = new Set<number>();
  const stack = [...roots].filter((r) => table.has(r));
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Pss: of /proc/PID/smaps_rollup in KiB, or 0 when the process is gone (or a zombie). */
export function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** True while the process with this pid and start time exists and is not a zombie. */
export function alive(pid: number, startTime: number): boolean {
  const p = readProc(pid);
  return Boolean(p && p.startTime === startTime && p.state !== 'Z' && p.state !== 'X');
}

/** Processes whose command line contains `needle` (leftover VMs, shims, anything naming our work dir). */
export function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmd.includes(needle)) out.push(`${e}: ${cmd.slice(0, 160)}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Memory charged to a cgroup subtree (v1 memory.usage_in_bytes, v2 memory.current), in KiB; null if unreadable. */
export function cgroupMemoryKiB(group: string): number | null {
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const file = v2 ? join('/sys/fs/cgroup', group, 'memory.current') : join('/sys/fs/cgroup/memory', group, 'memory.usage_in_bytes');
  try {
    return Number(readFileSync(file, 'utf8').trim()) / 1024;
  } catch {
    return null;
  }
}
