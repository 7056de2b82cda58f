// `exec`, `ps` and `events`: work inside a running container's VM through the agent.
// Each exec gets a free virtio-serial exec port and its own rind-shim (the waitable pid).
import { mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadBundle } from '../oci/spec.js';
import { ProcessSchema, type ProcessSpec } from '../oci/spec-schema.js';
import { validateId, writeAtomic, type ContainerRecord } from '../oci/state.js';
import { findArtifacts } from '../vm/artifacts.js';
import { processFields } from '../vm/agent-config.js';
import { EXEC_PORTS } from '../vm/plan.js';
import { spawnShim } from '../vm/launch.js';
import type { Fields } from '../vm/ctl-codec.js';
import { forwardSignalsTo, isAlive, readPidFile, signalProcess } from '../host/proc.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { RindError } from '../util/errors.js';
import type { RuntimeContext } from './context.js';
import { agentRequest } from './agent.js';

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

function execDir(ctx: RuntimeContext, id: string, port: number): string {
  return join(ctx.store.dir(id), 'exec', String(port));
}

/** Claims a free exec port: its dir is absent, or left by a shim that is gone. */
function claimPort(ctx: RuntimeContext, id: string): number {
  mkdirSync(join(ctx.store.dir(id), 'exec'), { recursive: true });
  for (let port = 0; port < EXEC_PORTS; port++) {
    const dir = execDir(ctx, id, port);
    if (existsSync(dir)) {
      const pid = readPidFile(join(dir, 'shim.pid')); // none: it never finished starting
      if (isAlive(pid) && !existsSync(join(dir, 'exit'))) continue;
      rmSync(dir, { recursive: true, force: true });
    }
    try {
      mkdirSync(dir);
      return port;
    } catch {
      /* raced with another exec: try the next port */
    }
  }
  throw new RindError(`container ${id} already runs ${EXEC_PORTS} exec sessions: wait for one to end`);
}

export async function execInContainer(ctx: RuntimeContext, r: ExecRequest): Promise<number | undefined> {
  validateId(r.id);
  const { port, shimPid, exited } = await ctx.store.withLock(r.id, async () => {
    const rec = liveRecord(ctx, r.id, 'exec in');
    const proc = r.process ?? processFromFlags(loadBundle(rec.bundle).spec.process, r);
    if (proc.terminal && !r.consoleSocket && r.detach) throw new RindError('exec: --tty with --detach needs --console-socket');
    const port = claimPort(ctx, r.id);
    const dir = execDir(ctx, r.id, port);
    const args = ['--exec-socket', ctx.store.path(r.id, `exec${port}.sock`), '--state', dir, '--ready-fd', '3'];
    if (proc.terminal) args.push(...(r.consoleSocket ? ['--console-socket', r.consoleSocket] : ['--tty']));
    try {
      const h = await spawnShim(findArtifacts().shim, args, !r.detach, dir, 'the exec session', (pid) =>
        writeAtomic(join(dir, 'shim.pid'), String(pid)),
      );
      try {
        await agentRequest(ctx, rec, 'exec', [`port=${port}`, ...processFields(proc)], 15_000);
      } catch (e) {
        signalProcess(h.pid, 'SIGKILL', h.startTime);
        throw e;
      }
      if (r.pidFile) writeAtomic(resolve(r.pidFile), String(h.pid));
      return { port, shimPid: h.pid, exited: h.exited };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  });
  if (r.detach) return undefined;
  forwardSignalsTo(shimPid);
  const code = await exited;
  rmSync(execDir(ctx, r.id, port), { recursive: true, force: true });
  return code ?? 255;
}

/** The record of a container whose VM is up (created or running), or a one-line error. */
function liveRecord(ctx: RuntimeContext, id: string, what: string): ContainerRecord {
  validateId(id);
  const rec = ctx.store.read(id);
  const status = ctx.store.status(rec);
  if (status !== 'running' && status !== 'created') throw new RindError(`cannot ${what} container ${id}: it is ${status}`);
  return rec;
}

/** Guest pids of every process in the container (the agent, PID 1, excluded). */
export async function containerPids(ctx: RuntimeContext, id: string): Promise<number[]> {
  const rec = liveRecord(ctx, id, 'list the processes of');
  const reply = await agentRequest(ctx, rec, 'ps', []);
  return reply.all('pid').map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

export interface Stats {
  cpu: { usage: { total: number; user: number; kernel: number } };
  memory: { usage: { usage: number; limit: number } };
  pids: { current: number };
  network_interfaces: { name: string; rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }[];
}

export function parseStats(reply: Fields): Stats {
  const nets = reply.all('net');
  const num = (k: string) => {
    const n = Number(reply.get(k));
    return Number.isFinite(n) && n >= 0 ? n : 0;
  };
  const user = num('cpu_user');
  const kernel = num('cpu_system');
  return {
    cpu: { usage: { total: user + kernel, user, kernel } },
    memory: { usage: { usage: num('mem_used'), limit: num('mem_total') } },
    pids: { current: num('pids') },
    network_interfaces: nets.map((line) => {
      const [name, ...v] = line.split('\x1f');
      const n = v.map((x) => Math.max(0, Number(x) || 0));
      return { name: name.slice(0, 15), rx_bytes: n[0], rx_packets: n[1], rx_errors: n[2], rx_dropped: n[3], tx_bytes: n[4], tx_packets: n[5], tx_errors: n[6], tx_dropped: n[7] };
    }),
  };
}

export async function containerStats(ctx: RuntimeContext, id: string): Promise<Stats> {
  const rec = liveRecord(ctx, id, 'read the stats of');
  return parseStats(await agentRequest(ctx, rec, 'stats', []));
}
