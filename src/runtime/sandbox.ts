// A sandbox is one VM: its launch (template clone, plain boot as the fallback), stop, pause/resume,
// network namespace wiring, host cgroups and its record. It knows no OCI verb (runtime/container.ts does).
import { availableParallelism } from 'node:os';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnableSpec } from '../oci/spec.js';
import type { SandboxRecord } from '../oci/state.js';
import type { GuestChannel, GuestKind, PreparedContainer, ReadyGuest, VmShape } from '../guest/guest.js';
import { guestKindNamed } from '../guest/kinds.js';
import type { LaunchPlan } from '../vmm/devices.js';
import { defaultVmm, type Vmm } from '../vmm/vmm.js';
import { shimBinary, signalShim, startVmm, stopVmm, vmLastWords, vmmPid, type HostBind, type ShimHandle, type ShimRequest } from '../vmm/shim.js';
import { applyVmmLimits, prepareCgroups, normalizeCgroupPath, removeCgroupDirs } from '../host/cgroups.js';
import { isSameProcess, waitGone } from '../host/proc.js';
import { claimUid, releaseUid } from '../host/uids.js';
import { jailFor } from '../vmm/jail.js';
import { hostTscKhz } from '../host/cpu.js';
import { netnsPlan, createOwnedNetns, deleteOwnedNetns } from '../net/netns.js';
import { assertUnwired, discover, wire, unwire, vmNics } from '../net/wire.js';
import type { NetConfig } from '../net/discover.js';
import { RindError } from '../util/errors.js';
import { rindEnv } from '../util/env.js';
import { timeouts } from '../util/timeouts.js';
import { guestMemoryMiB, guestVcpus, podSize } from './sizing.js';
import { indexNetns, unindexNetns } from './pod.js';
import { templateFor } from './template-build.js';
import type { Template } from './templates.js';
import type { RuntimeContext } from './context.js';

export interface SandboxRequest {
  id: string;
  spec: RunnableSpec;
  guest: GuestKind;
  accel: 'kvm' | 'tcg';
  /** the first container's binds (a one-container sandbox) */
  prepared: PreparedContainer;
  /** its rootfs on the host: the shim's own root (podman cp, nsenter) */
  rootfs: string;
  consoleSocket?: string;
  /** foreground `run`: keep the shim in our session and use our stdio as its terminal */
  foreground?: boolean;
  terminal: boolean;
  /** a pod's sandbox: sized for the pod, not for its own (pause) container */
  pod?: boolean;
  /** called as soon as the shim pid is known, so a crash mid-create can still be cleaned up */
  onShim: (pid: number, startTime: number | undefined) => void;
}

export interface LaunchedSandbox {
  record: SandboxRecord;
  shim: ShimHandle;
  guest: ReadyGuest;
  net: NetConfig;
  bootMs: number;
}

/** What every launch attempt of one sandbox shares. */
interface Attempt {
  ctx: RuntimeContext;
  req: SandboxRequest;
  rec: SandboxRecord;
  vmm: Vmm;
  shimReq: Omit<ShimRequest, 'argv'>;
}

/** unix socket paths are at most 107 bytes; the longest a VM's state dir holds is exec<N>.sock */
const SUN_PATH_MAX = 107;

export async function launchSandbox(ctx: RuntimeContext, req: SandboxRequest): Promise<LaunchedSandbox> {
  const vmm = defaultVmm();
  const longest = join(ctx.store.dir(req.id), `exec${req.guest.execPorts}.sock`);
  if (longest.length > SUN_PATH_MAX)
    throw new RindError(`the state dir ${ctx.store.dir(req.id)} is too long for the VM's unix sockets (${longest.length} > ${SUN_PATH_MAX} bytes): use a shorter --root`);
  const rec: SandboxRecord = { id: req.id, guest: req.guest.name, vmm: vmm.name, accel: req.accel, cgroupDirs: [] };
  ctx.store.writeSandbox(rec);
  rec.jailUid = sandboxUid(ctx, req.id);
  ctx.store.writeSandbox(rec);
  const dir = ctx.store.dir(req.id);
  makeShare(dir, req.prepared.binds);
  const net = wireNetwork(ctx, req.spec, rec);
  const cg = prepareCgroups(normalizeCgroupPath(req.spec.linux?.cgroupsPath, req.id));
  rec.cgroupDirs = cg.dirs;
  const shape = vmShape(req, dir, net.cfg);
  rec.memMiB = shape.memMiB;
  rec.vcpus = shape.vcpus;
  ctx.store.writeSandbox(rec);
  limitVmm(ctx, req, cg.dirs, shape.memMiB);
  const shimReq = {
    shim: shimBinary(), binary: vmm.binary(), stateDir: dir, cgroupProcs: cg.procsFiles, binds: req.prepared.binds,
    netns: net.netns, consoleSocket: req.consoleSocket, tty: req.terminal && !req.consoleSocket, console: req.guest.stdio === 'console',
    shimRoot: req.rootfs,
  };
  const a: Attempt = { ctx, req, rec, vmm, shimReq };
  const template = await templateFor(ctx, req.spec, { guest: req.guest, vmm, shape, cgroupProcs: cg.procsFiles });
  const launched = (template && (await tryClone(a, shape, template))) || (await boot(a, req.guest.plan(shape), 'boot'));
  return { record: rec, net: net.cfg, ...launched };
}

/** What the VMM (QEMU under TCG with its code cache, the shim) needs beyond the guest's RAM, measured */
export const VMM_OVERHEAD_MIB = 96;

/** The host cgroup's memory limit (guest RAM + overhead) and the spec's CPU quota as given. */
function limitVmm(ctx: RuntimeContext, req: SandboxRequest, dirs: string[], memMiB: number): void {
  const cpu = req.spec.linux?.resources?.cpu;
  const quota = cpu?.quota !== undefined && cpu.quota > 0 ? { quota: cpu.quota, period: cpu.period && cpu.period > 0 ? cpu.period : 100000 } : undefined;
  const failed = applyVmmLimits(dirs, { memoryBytes: (memMiB + VMM_OVERHEAD_MIB) * 1024 * 1024, cpu: quota });
  if (failed.length) ctx.log.warn(`host cgroup limits not applied: ${failed.join('; ')}`, { id: req.id });
}

function vmShape(req: SandboxRequest, dir: string, net: NetConfig): VmShape {
  const cpus = availableParallelism();
  const size = req.pod
    ? podSize(req.spec.annotations ?? {}, cpus, { memMiB: rindEnv.podMemMiB(), vcpus: rindEnv.podVcpus() })
    : { memMiB: guestMemoryMiB(req.spec, req.guest.minMemMiB), vcpus: guestVcpus(req.spec, cpus) };
  return { accel: req.accel, stateDir: dir, nics: vmNics(net), net, container: req.prepared, tscKhz: hostTscKhz(), tbSizeMiB: rindEnv.tbSizeMiB(), ...size };
}

/** The share directory the VMM exports: mount points for the rootfs and every bind. */
function makeShare(dir: string, binds: HostBind[]): void {
  for (const b of binds) {
    const target = join(dir, 'share', b.target);
    if (b.isDir) mkdirSync(target, { recursive: true });
    else {
      mkdirSync(join(target, '..'), { recursive: true });
      closeSync(openSync(target, 'w'));
    }
  }
}

async function tryClone(a: Attempt, shape: VmShape, template: Template): Promise<Omit<LaunchedSandbox, 'record' | 'net'> | undefined> {
  try {
    return await boot(a, a.req.guest.plan(shape, { clone: { ram: template.ram } }), 'clone', template);
  } catch (e) {
    a.ctx.log.warn(`${(e as Error).message}; falling back to a plain boot`, { id: a.rec.id });
    await stopSandboxVm(a.ctx, a.rec);
    return undefined;
  }
}

async function boot(a: Attempt, plan: LaunchPlan, mode: 'clone' | 'boot', template?: Template): Promise<Omit<LaunchedSandbox, 'record' | 'net'>> {
  const t0 = Date.now();
  a.ctx.log.debug(template ? 'vm: cloning from a template' : 'vm: booting', { id: a.rec.id, accel: plan.accel, memMiB: plan.memMiB, vcpus: plan.vcpus, template: template?.key });
  const shim = await startVmm({ ...a.shimReq, argv: a.vmm.argv(plan), jail: jailFor(plan, a.rec.jailUid) }, Boolean(a.req.foreground), 'the VM', (pid, st) => {
    a.rec.shimPid = pid;
    a.rec.shimStartTime = st;
    a.ctx.store.writeSandbox(a.rec);
    a.req.onShim(pid, st);
  });
  const dir = plan.stateDir;
  if (template) await a.vmm.restore(dir, template.state, timeouts.cloneMs).catch((e: Error) => {
    throw new RindError(`restore from template ${template.key} failed: ${e.message}`);
  });
  const deadline = Date.now() + (template ? timeouts.cloneMs : timeouts.bootMs(plan.accel));
  try {
    a.ctx.log.debug('vm: waiting for the agent', { id: a.rec.id, shimPid: shim.pid, vmmPid: vmmPid(dir) });
    const guest = await a.req.guest.ready(channelOf(dir, a.rec), deadline, shim.exited);
    a.ctx.log.debug('vm: the agent answered', { id: a.rec.id, mode, ms: Date.now() - t0 });
    a.rec.bootMode = mode;
    a.ctx.store.writeSandbox(a.rec);
    return { shim, guest, bootMs: Date.now() - t0 };
  } catch (e) {
    const words = vmLastWords(dir);
    throw new RindError(`the VM did not come up: ${(e as Error).message}${words ? ` (${words})` : ''}`);
  }
}

/** The sandbox's own unprivileged uid for its VMM (above the range's base, which template builds use). */
function sandboxUid(ctx: RuntimeContext, id: string): number | undefined {
  const base = rindEnv.jailUidBase();
  if (!rindEnv.jail() || base <= 0) return undefined;
  return claimUid(ctx.store.root, id, { base: base + 1, count: rindEnv.jailUids() - 1 }, (owner) => ctx.store.exists(owner));
}

/** Joins the spec's netns (creating it if the spec asks for a new one) and wires taps to the engine's interfaces. */
function wireNetwork(ctx: RuntimeContext, spec: RunnableSpec, rec: SandboxRecord): { netns?: string; cfg: NetConfig } {
  const plan = netnsPlan(spec, rec.id, ctx.store.root);
  if (plan.kind === 'host') {
    ctx.log.warn('the spec has no network namespace: a VM cannot share the host network stack, the container gets loopback only', { id: rec.id });
    return { cfg: { interfaces: [], routes: [] } };
  }
  if (plan.kind === 'owned') {
    rec.ownedNetns = plan.name;
    ctx.store.writeSandbox(rec);
    createOwnedNetns(plan.name);
  }
  const cfg = discover(plan.path);
  assertUnwired(plan.path, cfg);
  rec.net = { netns: plan.path, ifs: cfg.interfaces.map((i) => i.name) };
  ctx.store.writeSandbox(rec);
  wire(plan.path, cfg);
  indexNetns(ctx, plan.path, rec.id);
  return { netns: plan.path, cfg };
}

function channelOf(dir: string, rec: SandboxRecord): GuestChannel {
  const vmm = defaultVmm();
  return {
    stateDir: dir,
    alive: () => isSameProcess(rec.shimPid, rec.shimStartTime),
    // an agentless guest may finish the moment it runs: QEMU quitting before its reply to `cont` is success
    resume: () => vmm.resume(dir).catch(async (e: Error) => {
      if (await waitGone(vmmPid(dir), undefined, 1000)) return;
      throw e;
    }),
    stopOnSignal: (signo) => void signalShim(rec.shimPid, rec.shimStartTime, signo),
  };
}

/** A live sandbox's guest kind and channel, for operations inside it. */
export function sandboxGuest(ctx: RuntimeContext, id: string): { rec: SandboxRecord; guest: GuestKind; ch: GuestChannel } {
  const rec = ctx.store.readSandbox(id);
  return { rec, guest: guestKindNamed(rec.guest), ch: channelOf(ctx.store.dir(id), rec) };
}

/** Ends a sandbox's VM and shim and forgets their traces, so the VM can be launched again. */
export async function stopSandboxVm(ctx: RuntimeContext, rec: SandboxRecord): Promise<void> {
  const dir = ctx.store.dir(rec.id);
  await stopVmm(dir, rec.shimPid, rec.shimStartTime);
  for (const f of ['exit', 'vmm.pid', 'ctl.sock', 'qmp.sock']) rmSync(join(dir, f), { force: true });
  rec.shimPid = undefined;
  rec.shimStartTime = undefined;
}

/** Kills the VM at once (SIGKILL of a paused or unresponsive guest); its shim records 137. */
export function killSandboxVm(rec: SandboxRecord): void {
  signalShim(rec.shimPid, rec.shimStartTime, 9);
}

/** pause/resume stop and continue the VM's vCPUs. */
export async function pauseSandbox(ctx: RuntimeContext, rec: SandboxRecord, pause: boolean): Promise<void> {
  const vmm = defaultVmm();
  if (!vmm.capabilities.pause) throw new RindError(`pause is not supported by the ${vmm.name} VMM`);
  await (pause ? vmm.pause(ctx.store.dir(rec.id)) : vmm.resume(ctx.store.dir(rec.id)));
}

/** Stops the VM if alive and removes every host trace of the sandbox (taps, owned netns, cgroups). */
export async function destroySandbox(ctx: RuntimeContext, id: string): Promise<void> {
  let rec: SandboxRecord;
  try {
    rec = ctx.store.readSandbox(id);
  } catch {
    return; // nothing was launched
  }
  await stopSandboxVm(ctx, rec);
  if (rec.net) {
    unwire(rec.net.netns, rec.net.ifs);
    unindexNetns(ctx, rec.net.netns, rec.id);
  }
  if (rec.ownedNetns) deleteOwnedNetns(rec.ownedNetns);
  removeCgroupDirs(rec.cgroupDirs);
  releaseUid(ctx.store.root, rec.jailUid, rec.id);
}
