// The OCI lifecycle on microVMs: create, start, kill, delete, state (runtime-spec runtime.md).
// Orchestrates oci/ (spec, state), vm/ (plan, launch, ctl) and host/ (cgroups, processes).
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { loadBundle } from '../oci/spec.js';
import { validateId, writeAtomic, type ContainerRecord, type Status } from '../oci/state.js';
import { findArtifacts } from '../vm/artifacts.js';
import { resolveAccel, TCG_WARNING } from '../vm/accel.js';
import { buildAgentConfig } from '../vm/agent-config.js';
import { planVm, type PlanInputs } from '../vm/plan.js';
import { launchVm, type Launched } from '../vm/launch.js';
import { ensureTemplate, clonePlanInputs, type Template } from '../vm/template.js';
import type { RunnableSpec } from '../oci/spec.js';
import { randomBytes } from 'node:crypto';
import { qmp } from '../vm/qmp.js';
import { prepareCgroups, normalizeCgroupPath, removeCgroupDirs } from '../host/cgroups.js';
import { readPidFile, signalProcess, waitGone } from '../host/proc.js';
import { hostTscKhz } from '../host/cpu.js';
import { RindError } from '../util/errors.js';
import { netnsPlan, createOwnedNetns, deleteOwnedNetns } from '../net/netns.js';
import { discover, wire, unwire, vmNics, agentNetFields } from '../net/wire.js';
import type { NetConfig } from '../net/discover.js';
import type { RuntimeContext } from './context.js';
import { agentRequest, AGENT_REPLY_MS } from './agent.js';

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

function bootTimeoutMs(accel: string): number {
  const env = Number(process.env.RIND_BOOT_TIMEOUT_MS);
  if (env > 0) return env;
  return accel === 'kvm' ? 10_000 : 60_000;
}

export async function createContainer(ctx: RuntimeContext, req: CreateRequest): Promise<Created> {
  const id = validateId(req.id);
  const bundle = loadBundle(req.bundle);
  const spec = bundle.spec;
  const terminal = Boolean(spec.process.terminal);
  if (terminal && !req.consoleSocket && !req.foreground)
    throw new RindError('process.terminal is true: --console-socket is required (or run in the foreground)');
  const agent = buildAgentConfig(spec, bundle.dir);
  const artifacts = findArtifacts();
  const verdict = await resolveAccel(ctx.accel, artifacts);
  if (verdict.accel === 'tcg') {
    // for engines the runtime's stderr is the container's: warn there only when the verdict is new
    if (ctx.log.hasFile) ctx.log.warn(TCG_WARNING, { reason: verdict.reason });
    else if (verdict.fresh) process.stderr.write(`rind: ${TCG_WARNING}\n`);
  }
  return ctx.store.withLock(id, async () => {
    const dir = ctx.store.reserve(id);
    const record: ContainerRecord = {
      id,
      bundle: bundle.dir,
      rootfs: bundle.rootfs,
      created: new Date().toISOString(),
      annotations: spec.annotations ?? {},
      status: 'creating',
      cgroupDirs: [],
      terminal,
      accel: verdict.accel,
    };
    ctx.store.write(record);
    try {
      mkdirSync(join(dir, 'share', 'rootfs'), { recursive: true });
      if (agent.binds.length) mkdirSync(join(dir, 'share', 'binds'));
      for (const b of agent.binds) {
        if (b.isDir) mkdirSync(join(dir, 'share', b.target));
        else closeSync(openSync(join(dir, 'share', b.target), 'w'));
      }
      agent.binds.unshift({ source: bundle.rootfs, target: 'rootfs', isDir: true, readonly: false });
      const net = setUpNetwork(ctx, spec, record);
      agent.fields.push(...agentNetFields(net.cfg));
      const cg = prepareCgroups(normalizeCgroupPath(spec.linux?.cgroupsPath, id));
      record.cgroupDirs = cg.dirs;
      const planInputs: PlanInputs = {
        spec,
        accel: verdict.accel,
        kernel: artifacts.kernel,
        initramfs: artifacts.initramfs,
        stateDir: dir,
        hostCpus: availableParallelism(),
        tscKhz: hostTscKhz(),
        tbSizeMiB: Number(process.env.RIND_TB_SIZE_MIB) || undefined,
        nics: vmNics(net.cfg),
      };
      const plan = planVm(planInputs);
      record.memMiB = plan.memMiB;
      record.vcpus = plan.vcpus;
      ctx.store.write(record);
      const common = {
        shim: artifacts.shim,
        qemu: artifacts.qemu,
        stateDir: dir,
        cgroupProcs: cg.procsFiles,
        binds: agent.binds,
        consoleSocket: req.consoleSocket,
        netns: net.netns,
        tty: terminal && !req.consoleSocket,
        foreground: req.foreground,
        bootTimeoutMs: bootTimeoutMs(plan.accel),
        onShim: (pid: number, startTime: number | undefined) => {
          record.shimPid = pid;
          record.shimStartTime = startTime;
          ctx.store.write(record);
        },
      };
      let launched: Launched | undefined;
      const template = await templateFor(ctx, spec, planInputs, artifacts.qemu, common.bootTimeoutMs);
      if (template) {
        try {
          launched = await launchVm({ ...common, qemuArgs: planVm(clonePlanInputs(planInputs, template)).qemuArgs, restore: { template, timeoutMs: 15_000 }, bootTimeoutMs: 15_000 });
          record.bootMode = 'clone';
        } catch (e) {
          ctx.log.warn(`${(e as Error).message}; falling back to a plain boot`, { id });
          await stopVm(ctx, record);
        }
      }
      if (!launched) {
        ctx.log.debug('booting vm', { id, accel: plan.accel, memMiB: plan.memMiB, vcpus: plan.vcpus });
        launched = await launchVm({ ...common, qemuArgs: plan.qemuArgs });
        record.bootMode = 'boot';
      }
      record.vmmPid = launched.vmmPid;
      const t = Date.now();
      const identity = [`seed=${randomBytes(64).toString('hex')}`, `time=${BigInt(Date.now()) * 1_000_000n}`];
      try {
        await launched.ctl.request('create', [...agent.fields, ...identity], 30_000);
      } finally {
        launched.ctl.close();
      }
      const createMs = Date.now() - t;
      record.status = 'created';
      ctx.store.write(record);
      if (req.pidFile) writeAtomic(resolve(req.pidFile), String(launched.shimPid));
      return { record, exited: launched.exited, timings: { bootMs: launched.bootMs, createMs }, kernelRelease: launched.kernelRelease };
    } catch (e) {
      await destroy(ctx, record);
      throw e;
    }
  });
}

/** Joins the container's netns (creating it if the spec asks for a new one) and wires taps. */
function setUpNetwork(ctx: RuntimeContext, spec: Parameters<typeof netnsPlan>[0], record: ContainerRecord): { netns?: string; cfg: NetConfig } {
  const plan = netnsPlan(spec, record.id, ctx.store.root);
  if (plan.kind === 'host') {
    ctx.log.warn('the spec has no network namespace: a VM cannot share the host network stack, the container gets loopback only', { id: record.id });
    return { cfg: { interfaces: [], routes: [] } };
  }
  if (plan.kind === 'owned') {
    record.ownedNetns = plan.name;
    ctx.store.write(record);
    createOwnedNetns(plan.name);
  }
  const cfg = discover(plan.path);
  record.net = { netns: plan.path, ifs: cfg.interfaces.map((i) => i.name) };
  ctx.store.write(record);
  wire(plan.path, cfg);
  return { netns: plan.path, cfg };
}

/** Templates are on by default; RIND_TEMPLATES=0 or the annotation io.rind.boot=plain opt out. */
async function templateFor(ctx: RuntimeContext, spec: RunnableSpec, inputs: PlanInputs, qemu: string, bootMs: number): Promise<Template | undefined> {
  if (process.env.RIND_TEMPLATES === '0' || spec.annotations?.['io.rind.boot'] === 'plain') return undefined;
  try {
    return await ensureTemplate(inputs, qemu, bootMs);
  } catch (e) {
    ctx.log.warn(`no VM template: ${(e as Error).message}; booting normally`);
    return undefined;
  }
}

/** Ends a container's VM and shim and forgets their traces, so the VM can be launched again. */
async function stopVm(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  // a launch that failed never recorded the VMM pid: the shim wrote it to vmm.pid
  const vmmPid = rec.vmmPid ?? readPidFile(ctx.store.path(rec.id, 'vmm.pid'));
  signalProcess(vmmPid, 'SIGKILL');
  if (!(await waitGone(rec.shimPid, rec.shimStartTime, 3000))) {
    signalProcess(rec.shimPid, 'SIGKILL', rec.shimStartTime);
    await waitGone(rec.shimPid, rec.shimStartTime, 3000);
  }
  // a dying QEMU still listens on its sockets: a relaunch in this dir must not reach it
  await waitGone(vmmPid, undefined, 3000);
  for (const f of ['exit', 'vmm.pid', 'ctl.sock', 'qmp.sock']) rmSync(ctx.store.path(rec.id, f), { force: true });
  rec.shimPid = undefined;
  rec.vmmPid = undefined;
}

export async function startContainer(ctx: RuntimeContext, id: string): Promise<void> {
  validateId(id);
  await ctx.store.withLock(id, async () => {
    const rec = ctx.store.read(id);
    const status = ctx.store.status(rec);
    if (status !== 'created') throw new RindError(`cannot start container ${id}: it is ${status}, not created`);
    await agentRequest(ctx, rec, 'start', []);
    rec.status = 'running';
    ctx.store.write(rec);
  });
}

export async function killContainer(ctx: RuntimeContext, id: string, signo: number, all: boolean): Promise<void> {
  validateId(id);
  await ctx.store.withLock(id, async () => {
    const rec = ctx.store.read(id);
    const status = ctx.store.status(rec);
    if (status === 'stopped') throw new RindError(`container ${id} is not running`);
    if (status === 'paused') {
      if (signo !== 9) throw new RindError(`container ${id} is paused: resume it first (only SIGKILL is delivered to a paused VM)`);
      signalProcess(rec.vmmPid, 'SIGKILL');
      return;
    }
    try {
      // SIGKILL has a fallback (kill the VM), so it need not wait long for a slow guest
      await agentRequest(ctx, rec, 'signal', [`signo=${signo}`, `all=${all ? 1 : 0}`], signo === 9 ? 5000 : AGENT_REPLY_MS);
    } catch (e) {
      // an unresponsive guest can still be killed: SIGKILL ends the VM itself
      if (signo !== 9) throw e;
      ctx.log.warn(`guest did not take SIGKILL (${(e as Error).message}); killing the VM`, { id });
      signalProcess(rec.vmmPid, 'SIGKILL');
    }
  });
}

/** pause/resume stop and continue the VM's vCPUs: the container really stops running. */
export async function pauseContainer(ctx: RuntimeContext, id: string, pause: boolean): Promise<void> {
  validateId(id);
  await ctx.store.withLock(id, async () => {
    const rec = ctx.store.read(id);
    const status = ctx.store.status(rec);
    if (pause && status !== 'running') throw new RindError(`cannot pause container ${id}: it is ${status}, not running`);
    if (!pause && status !== 'paused') throw new RindError(`cannot resume container ${id}: it is ${status}, not paused`);
    await qmp(ctx.store.path(id, 'qmp.sock'), pause ? 'stop' : 'cont');
    rec.status = pause ? 'paused' : 'running';
    ctx.store.write(rec);
  });
}

export async function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): Promise<void> {
  validateId(id);
  if (!ctx.store.exists(id)) {
    if (force) return;
    throw new RindError(`container ${id} does not exist`);
  }
  await ctx.store.withLock(id, async () => {
    if (!ctx.store.exists(id)) return;
    const rec = ctx.store.tryRead(id);
    if (!rec) {
      ctx.store.remove(id);
      return;
    }
    const status = ctx.store.status(rec);
    if ((status === 'running' || status === 'paused') && !force)
      throw new RindError(`cannot delete container ${id}: it is ${status} (use --force)`);
    await destroy(ctx, rec);
  });
}

/** Ends the VM and shim if alive and removes everything rind made for the container. */
export async function destroy(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  await stopVm(ctx, rec);
  const net = rec.net as { netns: string; ifs: string[] } | undefined;
  if (net) unwire(net.netns, net.ifs);
  if (rec.ownedNetns) deleteOwnedNetns(rec.ownedNetns);
  removeCgroupDirs(rec.cgroupDirs);
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
    ociVersion: '1.0.2',
    id,
    status,
    pid: status === 'stopped' ? 0 : (rec.shimPid ?? 0),
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner: '',
    annotations: rec.annotations,
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
