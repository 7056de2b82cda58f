// `rind update`: a running container's resources changed in place (Kubernetes in-place resize, podman
// update) — its cgroup in the guest, and the VMM's host cgroup for a sandbox's own container.
import { readFileSync } from 'node:fs';
import { validateId } from '../oci/state.js';
import { RindError } from '../util/errors.js';
import { applyVmmLimits } from '../host/cgroups.js';
import { sandboxGuest, VMM_OVERHEAD_MIB } from './sandbox.js';
import { memberCid } from './pod.js';
import type { RuntimeContext } from './context.js';

export interface UpdateFlags {
  resources?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpuShare?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
}

/** runc's sizes: bytes, or a number with k/m/g/t (1024-based), case-insensitive, optional b. */
export function parseSize(v: string, flag: string): number {
  const m = /^(\d+)(?:\s*([kmgt])?i?b?)?$/i.exec(v.trim());
  if (!m) throw new RindError(`--${flag}: ${JSON.stringify(v)} is not a size (bytes, or with k, m, g, t)`);
  const mult = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 1;
  return Number(m[1]) * mult;
}

function int(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new RindError(`--${flag}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

/** The LinuxResources to apply: from --resources FILE (- = stdin) and/or runc's flags (flags win). */
export function resourcesFrom(f: UpdateFlags): Record<string, any> {
  let r: Record<string, any> = {};
  if (f.resources) {
    try {
      r = JSON.parse(readFileSync(f.resources === '-' ? 0 : f.resources, 'utf8'));
    } catch (e) {
      throw new RindError(`--resources ${f.resources}: ${(e as Error).message}`);
    }
  }
  const mem = (r.memory ??= {});
  const cpu = (r.cpu ??= {});
  if (f.memory) mem.limit = parseSize(f.memory, 'memory');
  if (f.memoryReservation) mem.reservation = parseSize(f.memoryReservation, 'memory-reservation');
  if (f.memorySwap) mem.swap = parseSize(f.memorySwap, 'memory-swap');
  if (f.pidsLimit) r.pids = { limit: int(f.pidsLimit, 'pids-limit') };
  if (f.cpuQuota) cpu.quota = int(f.cpuQuota, 'cpu-quota');
  if (f.cpuPeriod) cpu.period = int(f.cpuPeriod, 'cpu-period');
  if (f.cpuShare) cpu.shares = int(f.cpuShare, 'cpu-share');
  if (f.cpusetCpus) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) cpu.mems = f.cpusetMems;
  return r;
}

export async function updateContainer(ctx: RuntimeContext, id: string, f: UpdateFlags): Promise<void> {
  validateId(id);
  const resources = resourcesFrom(f);
  await ctx.store.withLock(id, async () => {
    const rec = ctx.store.read(id);
    const status = ctx.store.status(rec);
    if (status !== 'running' && status !== 'paused' && status !== 'created') throw new RindError(`cannot update container ${id}: it is ${status}`);
    if (status === 'paused' && memberCid(rec) === undefined) throw new RindError(`cannot update container ${id} while it is paused (its VM's vCPUs are stopped): resume it first`);
    const { rec: sb, guest, ch } = sandboxGuest(ctx, rec.sandbox);
    const limit = resources.memory?.limit;
    if (limit > 0 && sb.memMiB && limit > sb.memMiB * 1024 * 1024)
      throw new RindError(`cannot raise container ${id}'s memory to ${limit} bytes: its VM has ${sb.memMiB} MiB of RAM (a VM's RAM is fixed at create)`);
    const ignored = await guest.update(ch, memberCid(rec), resources);
    if (ignored.length) ctx.log.warn(`not applied in the VM: ${ignored.join('; ')}`, { id });
    if (memberCid(rec) === undefined && resources.cpu?.quota > 0) {
      const failed = applyVmmLimits(sb.cgroupDirs, { memoryBytes: ((sb.memMiB ?? 128) + VMM_OVERHEAD_MIB) * 1024 * 1024, cpu: { quota: resources.cpu.quota, period: resources.cpu.period > 0 ? resources.cpu.period : 100000 } });
      if (failed.length) ctx.log.warn(`host cgroup limits not applied: ${failed.join('; ')}`, { id });
    }
  });
}
