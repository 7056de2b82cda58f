// The OCI verbs on a container inside a sandbox: create, start, kill, pause, delete, state, list.
// A Podman/ctr container is a sandbox with exactly one container, made in one call; VM work is sandbox.ts's.
import { resolve } from 'node:path';
import { loadBundle, type Bundle } from '../oci/spec.js';
import { validateId, type ContainerRecord, type Status } from '../oci/state.js';
import { guestKindFor } from '../guest/kinds.js';
import { writeAtomic } from '../util/fs.js';
import { signalShim } from '../vmm/shim.js';
import { writeErr } from '../daemon/context.js';
import { RindError } from '../util/errors.js';
import { timeouts } from '../util/timeouts.js';
import { resolveAccel, TCG_WARNING, type AccelVerdict } from './accel.js';
import { destroySandbox, killSandboxVm, launchSandbox, pauseSandbox, sandboxGuest } from './sandbox.js';
import { members, podRole, memberCid } from './pod.js';
import { createMember, removeMemberTraces } from './member.js';
import { runHooks, type HookState } from './hooks.js';
import type { RuntimeContext } from './context.js';
import { resolveNamespaceJoins } from './ns-paths.js';

export interface CreateRequest {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  /** foreground `run`: the shim uses our stdio as the terminal when process.terminal is set */
  foreground?: boolean;
}

export interface Created {
  record: ContainerRecord;
  exited: Promise<number | null>;
  timings: { bootMs: number; createMs: number };
  kernelRelease: string;
}

/** The accelerator for this call, with the TCG warning where the engine (or the user) will see it. */
async function chooseAccel(ctx: RuntimeContext): Promise<AccelVerdict> {
  const verdict = await resolveAccel(ctx.accel);
  if (verdict.accel === 'tcg') {
    // for engines the runtime's stderr is the container's: warn there only when the verdict is new
    if (ctx.log.hasFile) ctx.log.warn(TCG_WARNING, { reason: verdict.reason });
    else if (verdict.fresh) writeErr(`rind: ${TCG_WARNING}\n`);
  }
  return verdict;
}

function newRecord(id: string, bundle: Bundle, terminal: boolean): ContainerRecord {
  return {
    id, sandbox: id, bundle: bundle.dir, rootfs: bundle.rootfs, created: new Date().toISOString(),
    annotations: bundle.spec.annotations ?? {}, status: 'creating', terminal, hooks: bundle.spec.hooks, ociVersion: bundle.spec.ociVersion,
  };
}

/** Creates a container: a sandbox of its own (Podman, ctr), a pod's sandbox, or a member of a running pod. */
export async function createContainer(ctx: RuntimeContext, req: CreateRequest): Promise<Created> {
  const id = validateId(req.id);
  const bundle = loadBundle(req.bundle);
  const terminal = Boolean(bundle.spec.process.terminal);
  if (terminal && !req.consoleSocket && !req.foreground)
    throw new RindError('process.terminal is true: --console-socket is required (or run in the foreground)');
  const role = podRole(ctx, bundle.spec);
  if (role.role === 'member') {
    if (role.sandbox === id) throw new RindError(`container ${id} names itself as its sandbox`);
    return createInPod(ctx, req, id, bundle, terminal, role.sandbox);
  }
  const guest = guestKindFor(bundle.spec, bundle.rootfs);
  const prepared = guest.prepare(bundle.spec, bundle.dir, bundle.rootfs, resolveNamespaceJoins(ctx, bundle.spec, undefined));
  if (prepared.notes?.length) ctx.log.warn(`not applied in the VM: ${prepared.notes.join('; ')}`, { id });
  const verdict = await chooseAccel(ctx);
  ctx.log.debug('create: launching the VM', { id, bundle: bundle.dir, guest: guest.name, accel: verdict.accel, pod: role.role === 'sandbox' });
  return ctx.store.withLock(id, async () => {
    const record = reserveRecord(ctx, id, bundle, terminal, id);
    try {
      const sb = await launchSandbox(ctx, {
        id, spec: bundle.spec, guest, accel: verdict.accel, prepared, rootfs: bundle.rootfs, consoleSocket: req.consoleSocket, foreground: req.foreground, terminal,
        pod: role.role === 'sandbox',
        onShim: (pid, startTime) => ctx.store.write(Object.assign(record, { shimPid: pid, shimStartTime: startTime })),
      });
      const t = Date.now();
      ctx.log.debug('create: agent creates the container', { id, bootMs: sb.bootMs, kernel: sb.guest.kernelRelease });
      await sb.guest.create(prepared, sb.net);
      await createHooks(ctx, record);
      markCreated(ctx, record, req.pidFile, sb.shim.pid);
      ctx.log.debug('create: created', { id, pid: sb.shim.pid, createMs: Date.now() - t });
      return { record, exited: sb.shim.exited, timings: { bootMs: sb.bootMs, createMs: Date.now() - t }, kernelRelease: sb.guest.kernelRelease };
    } catch (e) {
      await removeContainer(ctx, record);
      throw e;
    }
  });
}

function reserveRecord(ctx: RuntimeContext, id: string, bundle: Bundle, terminal: boolean, sandbox: string): ContainerRecord {
  ctx.store.reserve(id);
  const record = { ...newRecord(id, bundle, terminal), sandbox };
  ctx.store.write(record);
  return record;
}

/** The state a hook gets on stdin (runtime.md's state, at this point of the lifecycle). */
function hookState(rec: ContainerRecord, status: string): HookState {
  return { ociVersion: rec.ociVersion ?? '1.0.2', id: rec.id, status, pid: status === 'stopped' ? undefined : rec.shimPid, bundle: rec.bundle, annotations: rec.annotations };
}

/** prestart, createRuntime and createContainer: any failure fails `create` (the caller cleans up). */
async function createHooks(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  for (const point of ['prestart', 'createRuntime', 'createContainer'] as const) await runHooks(ctx, rec.hooks, point, hookState(rec, 'creating'));
}

function markCreated(ctx: RuntimeContext, record: ContainerRecord, pidFile: string | undefined, pid: number): void {
  record.status = 'created';
  ctx.store.write(record);
  if (pidFile) writeAtomic(resolve(pidFile), String(pid));
}

/** A member of a running pod: its own record, shim and guest container, in the sandbox's VM. */
async function createInPod(ctx: RuntimeContext, req: CreateRequest, id: string, bundle: Bundle, terminal: boolean, sandbox: string): Promise<Created> {
  return ctx.store.withLock(id, async () => {
    const record = reserveRecord(ctx, id, bundle, terminal, sandbox);
    try {
      const t = Date.now();
      ctx.log.debug('create: a member of a running pod', { id, sandbox });
      const shim = await createMember(ctx, record, { id, sandbox, bundle, terminal, consoleSocket: req.consoleSocket, foreground: req.foreground });
      await createHooks(ctx, record);
      markCreated(ctx, record, req.pidFile, shim.pid);
      return { record, exited: shim.exited, timings: { bootMs: 0, createMs: Date.now() - t }, kernelRelease: '' };
    } catch (e) {
      await removeContainer(ctx, record);
      throw e;
    }
  });
}

/** Runs `fn` on a container's record under its lock, with its derived status. */
function withContainer<T>(ctx: RuntimeContext, id: string, fn: (rec: ContainerRecord, status: Status) => Promise<T>): Promise<T> {
  validateId(id);
  return ctx.store.withLock(id, async () => {
    const rec = ctx.store.read(id);
    return fn(rec, ctx.store.status(rec));
  });
}

export function startContainer(ctx: RuntimeContext, id: string): Promise<void> {
  return withContainer(ctx, id, async (rec, status) => {
    if (status !== 'created') throw new RindError(`cannot start container ${id}: it is ${status}, not created`);
    const { rec: sb, guest, ch } = sandboxGuest(ctx, rec.sandbox);
    await runHooks(ctx, rec.hooks, 'startContainer', hookState(rec, 'created')).catch((e: unknown) => {
      // runtime.md: a failing startContainer hook stops the container
      if (memberCid(rec)) signalShim(rec.shimPid, rec.shimStartTime, 9);
      else killSandboxVm(sb);
      throw e;
    });
    ctx.log.debug('start: agent starts the process', { id, sandbox: rec.sandbox });
    await guest.start(ch, memberCid(rec));
    rec.status = 'running';
    ctx.store.write(rec);
    await runHooks(ctx, rec.hooks, 'poststart', hookState(rec, 'running'));
  });
}

export function killContainer(ctx: RuntimeContext, id: string, signo: number, all: boolean): Promise<void> {
  return withContainer(ctx, id, async (rec, status) => {
    ctx.log.debug('kill: signal', { id, signo, all, status });
    // runc: `kill --all` of a stopped container is fine (containerd's shim sends it after the init exits)
    if (status === 'stopped') {
      if (all) return;
      throw new RindError(`container ${id} is not running`);
    }
    if (signo === 0) return; // "is it alive?": it is (created, running or paused)
    const { rec: sb, guest, ch } = sandboxGuest(ctx, rec.sandbox);
    const cid = memberCid(rec);
    if (status === 'paused' && cid === undefined) {
      if (signo !== 9) throw new RindError(`container ${id} is paused: resume it first (only SIGKILL is delivered to a paused VM)`);
      return killSandboxVm(sb);
    }
    try {
      await guest.signal(ch, cid, signo, all, signo === 9 ? timeouts.agentKillMs : timeouts.agentReplyMs());
    } catch (e) {
      // an unresponsive guest can still be killed: SIGKILL ends the VM itself (a member: its shim)
      if (signo !== 9) throw e;
      ctx.log.warn(`guest did not take SIGKILL (${(e as Error).message}); killing ${cid ? 'the container shim' : 'the VM'}`, { id });
      if (cid) signalShim(rec.shimPid, rec.shimStartTime, 9);
      else killSandboxVm(sb);
    }
  });
}

/** pause/resume stop and continue the VM's vCPUs: the container really stops running. */
export function pauseContainer(ctx: RuntimeContext, id: string, pause: boolean): Promise<void> {
  return withContainer(ctx, id, async (rec, status) => {
    if (pause && status !== 'running') throw new RindError(`cannot pause container ${id}: it is ${status}, not running`);
    if (!pause && status !== 'paused') throw new RindError(`cannot resume container ${id}: it is ${status}, not paused`);
    const cid = memberCid(rec);
    ctx.log.debug(pause ? 'pause: freeze' : 'resume: thaw', { id, what: cid === undefined ? "the VM's vCPUs" : "the container's cgroup in the guest" });
    if (cid === undefined) await pauseSandbox(ctx, ctx.store.readSandbox(rec.sandbox), pause);
    else {
      const { guest, ch } = sandboxGuest(ctx, rec.sandbox);
      await guest.pauseMember(ch, cid, pause);
    }
    rec.status = pause ? 'paused' : 'running';
    ctx.store.write(rec);
  });
}

export async function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): Promise<void> {
  validateId(id);
  if (!ctx.store.exists(id)) {
    ctx.log.debug('delete: no such container', { id, force });
    if (force) return;
    throw new RindError(`container ${id} does not exist`);
  }
  await ctx.store.withLock(id, async () => {
    if (!ctx.store.exists(id)) return;
    const rec = ctx.store.tryRead(id);
    if (!rec) return ctx.store.remove(id);
    const status = ctx.store.status(rec);
    const left = rec.sandbox === id ? members(ctx, id) : [];
    if (left.length && !force) throw new RindError(`cannot delete sandbox ${id}: containers ${left.join(', ')} still run in it (delete them first, or use --force)`);
    if ((status === 'running' || status === 'paused') && !force)
      throw new RindError(`cannot delete container ${id}: it is ${status} (use --force)`);
    ctx.log.debug(rec.sandbox === id ? 'delete: stop the VM, remove its host traces' : 'delete: remove the member from its VM', { id, status, force, shimPid: rec.shimPid });
    await removeContainer(ctx, rec);
    await runHooks(ctx, rec.hooks, 'poststop', hookState(rec, 'stopped'));
  });
}

/** Removes a container: a member's traces in its VM, or a sandbox's VM and every host trace. */
async function removeContainer(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  if (rec.sandbox === rec.id) await destroySandbox(ctx, rec.sandbox);
  else await removeMemberTraces(ctx, rec);
  ctx.store.remove(rec.id);
}

export interface OciState {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
}

export function containerState(ctx: RuntimeContext, id: string): OciState {
  validateId(id);
  const rec = ctx.store.read(id);
  const status = ctx.store.status(rec);
  return {
    ociVersion: '1.0.2', id, status, pid: status === 'stopped' ? 0 : (rec.shimPid ?? 0),
    bundle: rec.bundle, rootfs: rec.rootfs, created: rec.created, owner: '', annotations: rec.annotations,
  };
}

export function listContainers(ctx: RuntimeContext): OciState[] {
  return ctx.store.ids().flatMap((id) => {
    try {
      return [containerState(ctx, id)];
    } catch {
      return [];
    }
  });
}
