// Host-side measurements: MemAvailable, the process tree below the pid-file pids, PSS from
// /proc/PID/smaps_rollup and the load average (/proc/PID/stat and liveness: src/host/proc.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readProc, type ProcInfo } from '../../src/host/proc.js';

export function memAvailableKiB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  if (!m) throw new Error('no MemAvailable in /proc/meminfo');
  return Number(m[1]);
}

export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a, b, c];
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
