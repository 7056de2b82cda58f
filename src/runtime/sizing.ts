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

/** A pod's VM when the engine does not size it: untouched guest RAM costs the host nothing. */
export const POD_DEFAULT_MEM_MIB = 512;
export const POD_DEFAULT_VCPUS = 1; // under TCG every vCPU is an emulating thread: 2 doubled a pod VM's CPU in the pod benchmark

/**
 * A pod sandbox's VM size: containerd's sandbox annotations (the sum of its containers' limits) where given,
 * else the configurable pod default ($RIND_POD_MEM_MIB, $RIND_POD_VCPUS).
 */
export function podSize(a: Record<string, string>, hostCpus: number, defaults: { memMiB?: number; vcpus?: number } = {}): { memMiB: number; vcpus: number } {
  const mem = Number(a['io.kubernetes.cri.sandbox-memory']);
  const quota = Number(a['io.kubernetes.cri.sandbox-cpu-quota']);
  const period = Number(a['io.kubernetes.cri.sandbox-cpu-period']) || 100000;
  const memMiB = mem > 0 ? Math.max(MIN_MEM_MIB, Math.ceil(mem / (1024 * 1024)) + 64) : (defaults.memMiB ?? POD_DEFAULT_MEM_MIB);
  const want = quota > 0 ? Math.ceil(quota / period) : (defaults.vcpus ?? POD_DEFAULT_VCPUS);
  return { memMiB, vcpus: Math.max(1, Math.min(want, hostCpus, 16)) };
}
