// `exec`, `ps` and `events`: work inside a running container's VM, through its sandbox's guest kind.
// Each exec gets a free exec port and its own rind-shim (the waitable pid); kinds without them say so.
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadBundle } from '../oci/spec.js';
import { ProcessSchema, type ProcessSpec } from '../oci/spec-schema.js';
import { validateId, type ContainerRecord } from '../oci/state.js';
import { requireCapability, type GuestCapabilities, type GuestProcs, type GuestStats } from '../guest/guest.js';
import { shimBinary, spawnShim } from '../vmm/shim.js';
import { forwardSignalsTo, signalRecorded } from '../host/proc.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { RindError } from '../util/errors.js';
import { writeAtomic } from '../util/fs.js';
import { resolveInRoot } from '../util/in-root.js';
import { sandboxGuest } from './sandbox.js';
import { claimPort, holdPort, releasePort } from './ports.js';
import { memberCid } from './pod.js';
import type { RuntimeContext } from './context.js';

export interface ExecRequest {
  id: string;
  /** a complete OCI process (from --process FILE), or undefined to build one from flags */
  process?: ProcessSpec;
  args: string[];
  env: string[];
  cwd?: string;
  user?: string;
  additionalGids: number[];
  tty: boolean;
  consoleSocket?: string;
  pidFile?: string;
  detach: boolean;
}

export function parseProcessFile(path: string): ProcessSpec {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RindError(`--process ${path}: ${(e as Error).message}`);
  }
  // runc: a process file without `user` runs as root (config.json requires it; exec does not)
  if (value && typeof value === 'object' && !('user' in value)) (value as Record<string, unknown>).user = { uid: 0, gid: 0 };
  const c = TypeCompiler.Compile(ProcessSchema);
  if (!c.Check(value)) {
    const first = c.Errors(value).First();
    throw new RindError(`--process ${path}: invalid at ${first?.path || '/'}: ${first?.message}`);
  }
  return value;
}

/** Builds the exec'd process from runc's exec flags on top of the container's own process. */
export function processFromFlags(base: ProcessSpec, r: ExecRequest): ProcessSpec {
  if (!r.args.length) throw new RindError('exec: no command given (use COMMAND [ARGS...] or --process FILE)');
  const user = { ...base.user };
  if (r.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(r.user);
    if (!m) throw new RindError(`exec: --user must be UID[:GID], got ${r.user}`);
    user.uid = Number(m[1]);
    user.gid = m[2] === undefined ? user.gid : Number(m[2]);
  }
  if (r.additionalGids.length) user.additionalGids = r.additionalGids;
  const env = [...(base.env ?? [])];
  for (const e of r.env) {
    const k = e.split('=')[0];
    const i = env.findIndex((x) => x.split('=')[0] === k);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  return { ...base, args: r.args, env, cwd: r.cwd ?? base.cwd, user, terminal: r.tty };
}

export async function execInContainer(ctx: RuntimeContext, r: ExecRequest): Promise<number | undefined> {
  validateId(r.id);
  const { sandbox, port, shimPid, shimStartTime, exited } = await ctx.store.withLock(r.id, async () => {
    const { rec, guest, ch } = liveContainer(ctx, r.id, 'exec in', 'exec');
    const spec = loadBundle(rec.bundle).spec;
    const proc = r.process ?? processFromFlags(spec.process, r);
    if (proc.terminal && !r.consoleSocket && r.detach) throw new RindError('exec: --tty with --detach needs --console-socket');
    const { port, dir } = claimPort(ctx, rec.sandbox, guest.execPorts, `exec in container ${r.id}`);
    const args = ['--exec-socket', ctx.store.path(rec.sandbox, `exec${port}.sock`), '--state', dir, '--ready-fd', '3'];
    if (proc.terminal) args.push(...(r.consoleSocket ? ['--console-socket', r.consoleSocket] : ['--tty']));
    ctx.log.debug('exec: agent runs the process', { id: r.id, port, args: proc.args, detach: r.detach });
    try {
      const h = await spawnShim(shimBinary(), args, { keepRef: !r.detach, stateDir: dir, what: 'the exec session', onSpawn: (pid) => holdPort(dir, pid) });
      await guest.exec(ch, memberCid(rec), port, proc, spec).catch((e: unknown) => {
        signalRecorded(h.pid, h.startTime, 'SIGKILL');
        throw e;
      });
      if (r.pidFile) writeAtomic(resolve(r.pidFile), String(h.pid));
      return { sandbox: rec.sandbox, port, shimPid: h.pid, shimStartTime: h.startTime, exited: h.exited };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  });
  if (r.detach) return undefined;
  forwardSignalsTo(shimPid, shimStartTime);
  const code = await exited;
  releasePort(ctx, sandbox, port);
  return code ?? 255;
}

/** A container whose VM is up (created or running) and whose guest kind can do `cap`, or a one-line error. */
function liveContainer(ctx: RuntimeContext, id: string, what: string, cap: keyof GuestCapabilities) {
  validateId(id);
  const rec: ContainerRecord = ctx.store.read(id);
  const status = ctx.store.status(rec);
  const sb = sandboxGuest(ctx, rec.sandbox);
  requireCapability(sb.guest, cap, cap);
  if (status !== 'running' && status !== 'created') throw new RindError(`cannot ${what} container ${id}: it is ${status}`);
  return { rec, guest: sb.guest, ch: sb.ch };
}

/** A container's processes for `ps`, with the names its own /etc/passwd and /etc/group give their ids. */
export interface ContainerProcs extends GuestProcs {
  users: Map<number, string>;
  groups: Map<number, string>;
}

/** uid (gid) → name from a passwd (group) file of the container's rootfs, read as the container sees it. */
function idNames(rootfs: string, file: string): Map<number, string> {
  const names = new Map<number, string>();
  try {
    // the container may change its rootfs meanwhile: no symlink at the end, no FIFO, a bounded read
    const fd = openSync(resolveInRoot(rootfs, file), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const buf = Buffer.alloc(1 << 20);
    let text = '';
    try {
      if (fstatSync(fd).isFile()) text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
    for (const line of text.split('\n')) {
      const f = line.split(':');
      const n = Number(f[2]);
      if (f.length >= 3 && f[0] && Number.isSafeInteger(n) && n >= 0 && !names.has(n)) names.set(n, sanitizeName(f[0]));
    }
  } catch {
    /* no such file (or unreadable): ids stay numeric */
  }
  return names;
}

const sanitizeName = (s: string): string => s.replace(/[\u0000-\u0020\u007f-\u009f]/g, '?').slice(0, 32);

/**
 * The guest processes of a container (guest pids; the agent, PID 1, excluded). runc's `ps` of a stopped
 * container lists nothing, without error; a paused VM cannot answer (its vCPUs are stopped).
 */
export async function containerProcesses(ctx: RuntimeContext, id: string): Promise<ContainerProcs> {
  validateId(id);
  const rec: ContainerRecord = ctx.store.read(id);
  const status = ctx.store.status(rec);
  const none: ContainerProcs = { pids: [], procs: [], hz: 100, uptimeTicks: 0, memTotalBytes: 0, users: new Map(), groups: new Map() };
  if (status === 'stopped' || status === 'creating') return none;
  const { guest, ch } = sandboxGuest(ctx, rec.sandbox);
  requireCapability(guest, 'ps', 'ps');
  const cid = memberCid(rec);
  if (status === 'paused' && cid === undefined) throw new RindError(`cannot list the processes of container ${id}: it is paused (its VM's vCPUs are stopped); resume it first`);
  ctx.log.debug('ps: agent lists the processes of the container', { id, status, sandbox: rec.sandbox });
  const got = await guest.ps(ch, cid);
  return { ...got, users: idNames(rec.rootfs, '/etc/passwd'), groups: idNames(rec.rootfs, '/etc/group') };
}

export type Stats = GuestStats;

export async function containerStats(ctx: RuntimeContext, id: string): Promise<Stats> {
  const { rec, guest, ch } = liveContainer(ctx, id, 'read the stats of', 'stats');
  return guest.stats(ch, memberCid(rec));
}
