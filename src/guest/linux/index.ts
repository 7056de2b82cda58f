// The Linux guest kind: our kernel + rind-agent as PID 1, containers configured over the ctl port.
// Everything the runtime does inside a Linux guest goes through this object.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { GuestKind, GuestStats, NsJoin, PreparedContainer, VmShape } from '../guest.js';
import type { RunnableSpec } from '../../oci/spec.js';
import { agentReady, agentRequest } from './agent.js';
import { buildAgentConfig, isBindMount, processFields } from './agent-config.js';
import { namespaceFields } from './namespaces.js';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolveInRoot } from '../../util/in-root.js';
import type { HostBind } from '../../vmm/shim.js';
import { linuxArtifacts } from './artifacts.js';
import { EXEC_PORTS, linuxPlan } from './plan.js';
import { parseStats } from './stats.js';
import { parsePs } from './ps.js';
import { linuxResourceFields, resourceFields } from './resources.js';
import { seccompFields } from './security.js';
import type { OciSeccomp } from './seccomp.js';
import { agentNetFields } from '../../net/wire.js';
import { timeouts } from '../../util/timeouts.js';

/** Template NICs have no backend; clones attach their taps to the same guest-visible slots. */
export function templateMac(i: number): string {
  return `52:54:00:72:69:${(0x10 + i).toString(16).padStart(2, '0')}`;
}

function planFor(shape: VmShape, variant: { template?: { dir: string }; clone?: { ram: string } } = {}) {
  const a = linuxArtifacts();
  const base = { ...shape, kernel: a.kernel, initramfs: a.initramfs };
  if (variant.template) {
    const dir = variant.template.dir;
    return linuxPlan({
      ...base, stateDir: dir, nics: shape.nics.map((_, i) => ({ mac: templateMac(i) })),
      memoryFile: { path: join(dir, 'ram'), share: true }, ioSocket: `${dir}/io.sock`,
    });
  }
  if (variant.clone) return linuxPlan({ ...base, memoryFile: { path: variant.clone.ram, share: false }, incoming: true });
  return linuxPlan(base);
}

function cidField(cid: string | undefined): string[] {
  return cid === undefined ? [] : [`cid=${cid}`];
}

/**
 * A read-only root is read-only on the host too, so the guest cannot make mount points in it: make them
 * here first, as runc does before it remounts the root read-only (dirs, or empty files for file binds).
 */
function makeMountPoints(spec: RunnableSpec, rootfs: string, binds: HostBind[]): void {
  const fileDest = new Set(binds.filter((b) => !b.isDir).map((b) => b.target));
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    const at = resolveInRoot(rootfs, m.destination);
    if (existsSync(at)) continue;
    const isFile = isBindMount(m) && [...fileDest].some((t) => t.endsWith(`binds/${bindIndex(spec, i)}`));
    mkdirSync(isFile ? dirname(at) : at, { recursive: true });
    if (isFile) closeSync(openSync(at, 'a'));
  }
}

/** The index among the spec's bind mounts of mount `i` (bind targets are numbered in that order). */
function bindIndex(spec: RunnableSpec, i: number): number {
  return (spec.mounts ?? []).slice(0, i).filter(isBindMount).length;
}

/** What the guest does not apply: LSM labels and profiles (no LSM runs there), scheduling and I/O priority, RDT. */
function notAppliedNotes(spec: RunnableSpec): string[] {
  const p = spec.process as Record<string, unknown>;
  const l = (spec.linux ?? {}) as Record<string, unknown>;
  return [
    ...(p.apparmorProfile ? ['process.apparmorProfile (no LSM in the guest)'] : []),
    ...(p.selinuxLabel ? ['process.selinuxLabel (no LSM in the guest)'] : []),
    ...(l.mountLabel ? ['linux.mountLabel (no LSM in the guest)'] : []),
    // valid (src/oci/validate.ts checked them) but not applied by the agent
    ...(p.scheduler ? ['process.scheduler (the guest\'s default scheduling)'] : []),
    ...(p.ioPriority ? ['process.ioPriority (the guest\'s default I/O priority)'] : []),
    ...((l.personality as { domain?: string } | undefined)?.domain === 'LINUX32' ? ['linux.personality LINUX32'] : []),
    ...(l.intelRdt ? ['linux.intelRdt (no RDT in the guest)'] : []),
    ...(p.execCPUAffinity ? ['process.execCPUAffinity (the guest\'s vCPUs are the VM\'s)'] : []),
    ...(l.memoryPolicy ? ['linux.memoryPolicy (the guest has one NUMA node)'] : []),
    ...(l.netDevices ? ['linux.netDevices (the VM\'s NICs are the network namespace\'s interfaces)'] : []),
    ...(l.timeOffsets ? ['linux.timeOffsets (no time namespace)'] : []),
  ];
}

/** A container's binds and create fields, its share paths under `prefix` (a pod member's `c/<cid>/`). */
function prepareIn(spec: RunnableSpec, bundleDir: string, rootfs: string, prefix: string, joins: NsJoin[]): PreparedContainer {
  const ns = namespaceFields(spec, joins);
  const agent = buildAgentConfig(spec, bundleDir, undefined, prefix);
  if (spec.root.readonly) makeMountPoints(spec, rootfs, agent.binds);
  const res = resourceFields(spec);
  const notes = [...res.ignored, ...notAppliedNotes(spec)];
  // root.readonly is enforced on the host: the VMM itself cannot write a read-only root
  return { notes, binds: [{ source: rootfs, target: `${prefix}rootfs`, isDir: true, readonly: Boolean(spec.root.readonly) }, ...agent.binds], config: [...agent.fields, ...ns, ...res.fields] };
}

/** Fresh identity for every guest (clones share the template's RNG state and clock). */
function identity(): string[] {
  return [`seed=${randomBytes(64).toString('hex')}`, `time=${BigInt(Date.now()) * 1_000_000n}`];
}

export const linuxGuest: GuestKind = {
  name: 'linux',
  capabilities: { exec: true, ps: true, stats: true, templates: true, pods: true },
  stdio: 'agent',
  minMemMiB: 128, // below this the guest (agent, 10 serial ports, 9p) can run out of memory at boot
  execPorts: EXEC_PORTS,
  plan: planFor,
  prepare: (spec, bundleDir, rootfs, joins = []) => prepareIn(spec, bundleDir, rootfs, '', joins),
  prepareMember: (spec, bundleDir, rootfs, cid, joins = []) => prepareIn(spec, bundleDir, rootfs, `c/${cid}/`, joins),
  async ready(ch, deadline, exited) {
    const { ctl, pong } = await agentReady(ch, deadline, exited);
    return {
      kernelRelease: pong.get('kernel') ?? '',
      async create(c, net) {
        try {
          await ctl.request('create', [...c.config, ...agentNetFields(net), ...identity()], timeouts.agentReplyMs());
        } finally {
          ctl.close();
        }
      },
      close: () => ctl.close(),
    };
  },
  start: async (ch, cid) => void (await agentRequest(ch, 'start', cidField(cid))),
  signal: async (ch, cid, signo, all, timeoutMs) => void (await agentRequest(ch, 'signal', [...cidField(cid), `signo=${signo}`, `all=${all ? 1 : 0}`], timeoutMs)),
  exec: async (ch, cid, port, proc, spec) =>
    void (await agentRequest(ch, 'exec', [...cidField(cid), `port=${port}`, ...processFields(proc), ...seccompFields(spec?.linux?.seccomp as OciSeccomp | undefined)], timeouts.agentExecMs)),
  ps: async (ch, cid) => parsePs(await agentRequest(ch, 'ps', cidField(cid))),
  stats: async (ch, cid): Promise<GuestStats> => parseStats(await agentRequest(ch, 'stats', cidField(cid))),
  createMember: async (ch, cid, port, c) => void (await agentRequest(ch, 'create', [...cidField(cid), `port=${port}`, ...c.config, ...identity()])),
  pauseMember: async (ch, cid, pause) => void (await agentRequest(ch, pause ? 'pause' : 'resume', cidField(cid))),
  removeMember: async (ch, cid) => void (await agentRequest(ch, 'delete', cidField(cid))),
  async update(ch, cid, resources) {
    const r = linuxResourceFields(resources as Parameters<typeof linuxResourceFields>[0]);
    if (resources.devices !== undefined) r.ignored.push('linux.resources.devices (the device rules are fixed at create, as runc update has no device flags)');
    if (r.fields.length) await agentRequest(ch, 'update', [...cidField(cid), ...r.fields]);
    return r.ignored;
  },
};
