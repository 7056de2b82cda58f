// linux.resources as the agent's cgroup keys (docs/protocol.md "resource keys"): the container's own cgroup
// inside the guest, with runc's conversions. What a guest cgroup cannot do is named, never dropped silently.
import type { RunnableSpec } from '../../oci/spec.js';
import { deviceProgramFields } from './devices-bpf.js';

export interface ResourceFields {
  fields: string[];
  /** settings the guest does not apply (logged once by the runtime, listed in design.md) */
  ignored: string[];
}

type Resources = NonNullable<NonNullable<RunnableSpec['linux']>['resources']> & Record<string, unknown>;

function memoryFields(m: Resources['memory'] & Record<string, unknown>, f: string[], ignored: string[]): void {
  if (!m) return;
  if (m.limit !== undefined && m.limit > 0) f.push(`mem_max=${m.limit}`);
  if (m.reservation !== undefined && m.reservation > 0) f.push(`mem_low=${m.reservation}`);
  const swap = m.swap as number | undefined;
  if (swap !== undefined && swap > 0 && m.limit !== undefined && m.limit > 0) f.push(`swap_max=${Math.max(0, swap - m.limit)}`);
  if (m.disableOOMKiller) ignored.push('linux.resources.memory.disableOOMKiller (cgroup v2 has no such switch)');
  if (m.swappiness !== undefined) ignored.push('linux.resources.memory.swappiness (cgroup v2 has none per cgroup)');
  if (m.kernel !== undefined || m.kernelTCP !== undefined) ignored.push('linux.resources.memory.kernel/kernelTCP (deprecated, not in cgroup v2)');
}

function cpuFields(c: Resources['cpu'] & Record<string, unknown>, f: string[], ignored: string[]): void {
  if (!c) return;
  if (c.quota !== undefined && c.quota > 0) f.push(`cpu_max=${c.quota} ${c.period && c.period > 0 ? c.period : 100000}`);
  if (c.shares !== undefined && c.shares > 0) f.push(`cpu_shares=${Math.min(262144, Math.max(2, c.shares))}`);
  if (c.cpus) f.push(`cpuset_cpus=${c.cpus}`);
  if (c.mems) f.push(`cpuset_mems=${c.mems as string}`);
  if (c.realtimeRuntime !== undefined || c.realtimePeriod !== undefined) ignored.push('linux.resources.cpu.realtime* (no RT group scheduling in the guest)');
}

/** create: the cgroup keys, and the device rules as the cgroup's BPF device program (with the spec's nodes allowed). */
export function resourceFields(spec: RunnableSpec): ResourceFields {
  const r = spec.linux?.resources as Resources | undefined;
  const out = linuxResourceFields(r);
  for (const f of deviceProgramFields(r?.devices, (spec.linux as { devices?: unknown } | undefined)?.devices)) out.fields.push(f);
  return out;
}

/** The same translation for a bare LinuxResources object (`rind update --resources`). */
export function linuxResourceFields(r: Resources | undefined): ResourceFields {
  const fields: string[] = [];
  const ignored: string[] = [];
  if (!r) return { fields, ignored };
  memoryFields(r.memory as Resources['memory'] & Record<string, unknown>, fields, ignored);
  cpuFields(r.cpu as Resources['cpu'] & Record<string, unknown>, fields, ignored);
  if (r.pids?.limit !== undefined) fields.push(`pids_max=${r.pids.limit > 0 ? r.pids.limit : 'max'}`);
  if (r.blockIO) ignored.push('linux.resources.blockIO (the guest has no io controller; the rootfs is 9p)');
  if (r.hugepageLimits) ignored.push('linux.resources.hugepageLimits (no hugetlb in the guest)');
  if (r.network) ignored.push('linux.resources.network (classID/priorities are host-side cgroup v1)');
  if (r.rdma) ignored.push('linux.resources.rdma (no RDMA in the guest)');
  if (r.unified) ignored.push('linux.resources.unified (not passed through)');
  return { fields, ignored };
}
