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

/** USER_HZ: the unit of /proc/PID/stat times. */
const TICKS_PER_SECOND = 100;

export interface ProcCpu {
  /** user+sys of the process (all its threads), seconds; under KVM this includes guest time */
  self: number;
  /** user+sys of the children it has waited for */
  children: number;
  /** time its vCPU threads ran the guest (KVM); 0 under TCG, whose guest runs as the VMM's user time */
  guest: number;
}

/** CPU seconds of a live process from /proc/PID/stat (fields 14-17 and 43); null when it is gone. */
export function procCpu(pid: number): ProcCpu | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number); // f[0] is field 3 (state)
    // a shim uses a few ms: clock ticks are too coarse, the scheduler's nanoseconds per thread are not
    let ns = 0;
    try {
      for (const t of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      ns = NaN;
    }
    const self = Number.isFinite(ns) && ns > 0 ? ns / 1e9 : (f[11] + f[12]) / TICKS_PER_SECOND;
    return { self, children: (f[13] + f[14]) / TICKS_PER_SECOND, guest: (f[40] || 0) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** MemAvailable sampled `n` times `gapMs` apart: the last sample and the range (max - min), KiB. */
export async function memAvailableSampled(n: number, gapMs: number): Promise<{ last: number; rangeKiB: number }> {
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i) await new Promise((r) => setTimeout(r, gapMs));
    v.push(memAvailableKiB());
  }
  return { last: v[v.length - 1], rangeKiB: Math.max(...v) - Math.min(...v) };
}

/** Pids of the rind daemons serving a state root (their pid files; see src/daemon/main.ts). */
export function rindDaemonPids(root: string): number[] {
  try {
    return readdirSync(root)
      .filter((f) => /^\.rindd-[0-9a-f]+\.pid$/.test(f))
      .map((f) => Number(readFileSync(join(root, f), 'utf8').trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0 && readProc(pid) !== undefined);
  } catch {
    return [];
  }
}
