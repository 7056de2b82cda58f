// How big a sandbox's VM is: guest RAM from the memory limit, vCPUs from the CPU quota or cpuset.
// Pure, so every sizing rule is unit-tested.
import type { RunnableSpec } from '../oci/spec.js';

export const DEFAULT_MEM_MIB = 128;
export const MIN_MEM_MIB = 128;

export function guestMemoryMiB(spec: RunnableSpec, minMiB = MIN_MEM_MIB): number {
  const limit = spec.linux?.resources?.memory?.limit;
  if (limit === undefined || limit <= 0) return Math.max(minMiB, DEFAULT_MEM_MIB);
  return Math.max(minMiB, Math.ceil(limit / (1024 * 1024)));
}

export function countCpuset(cpus: string): number {
  let n = 0;
  for (const part of cpus.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return 0;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return 0;
    n += b - a + 1;
  }
  return n;
}

export function guestVcpus(spec: RunnableSpec, hostCpus: number): number {
  const cpu = spec.linux?.resources?.cpu;
  let n = 1;
  if (cpu?.quota !== undefined && cpu.quota > 0) n = Math.ceil(cpu.quota / (cpu.period && cpu.period > 0 ? cpu.period : 100000));
  else if (cpu?.cpus) n = countCpuset(cpu.cpus) || 1;
  return Math.max(1, Math.min(n, hostCpus, 16));
}
