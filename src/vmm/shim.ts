// Starts every VMM process through rind-shim (containers, template builds, the KVM probe) and stops it.
// The runtime never signals a VMM itself: it asks the VMM's shim, which is its parent and its jail.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RindError } from '../util/errors.js';
import { isSameProcess, processStartTime, readPidFile, signalRecorded, waitGone } from '../host/proc.js';
import { timeouts, within } from '../util/timeouts.js';
import { RIND_SHIM_STOP_SIGNAL } from '../proto/limits.js';
import { jailArgs, type JailSpec } from './jail.js';
import { rindEnv } from '../util/env.js';
import { need, repoRoot } from '../util/paths.js';
import { currentCall } from '../daemon/context.js';

/** A host path bound into the VM's share before the VMM starts. */
export interface HostBind {
  source: string;
  /** path under the share dir, e.g. binds/3 */
  target: string;
  isDir: boolean;
  readonly: boolean;
}

export type ShimStdio = 'inherit' | 'pipe' | number;

export interface ShimRequest {
  shim: string;
  binary: string;
  argv: string[];
  stateDir: string;
  cgroupProcs?: string[];
  binds?: HostBind[];
  /** network namespace the VMM must run in (its taps live there) */
  netns?: string;
  consoleSocket?: string;
  /** foreground run in a terminal: the shim uses its stdio as the tty */
  tty?: boolean;
  /** no io relay: the VMM inherits the shim's stdio (template builds, probes) */
  vmmOnly?: boolean;
  /** agentless guest: the VMM's serial console (fd 3) is the container's stdio, isa-debug-exit its exit code */
  console?: boolean;
  /** stdout/stderr of the shim (and of a --vmm-only VMM): ours, a pipe, or an open fd (default: ours) */
  stdio?: ShimStdio;
  /** the VMM's confinement (vmm/jail.ts); undefined: unconfined */
  jail?: JailSpec;
  /** the shim's own root once the VMM runs: the container's rootfs, so tools entering the waitable pid see the container's files */
  shimRoot?: string;
}

export interface ShimHandle {
  pid: number;
  startTime: number | undefined;
  exited: Promise<number | null>;
  /** the shim's stdout when started with stdio 'pipe' */
  stdout?: NodeJS.ReadableStream;
}

export function shimArgs(r: ShimRequest): string[] {
  const args = ['--state', r.stateDir, '--ready-fd', '3'];
  if (r.vmmOnly) args.push('--vmm-only');
  if (r.console) args.push('--serial-console', '--exit-map', 'debug-exit');
  for (const f of r.cgroupProcs ?? []) args.push('--cgroup-procs', f);
  for (const b of r.binds ?? []) args.push(b.readonly ? '--bind-ro' : '--bind', b.source, join(r.stateDir, 'share', b.target));
  if (r.netns) args.push('--netns', r.netns);
  if (r.consoleSocket) args.push('--console-socket', r.consoleSocket);
  else if (r.tty) args.push('--tty');
  if (r.jail) args.push(...jailArgs(r.jail));
  if (r.shimRoot) args.push('--shim-root', r.shimRoot);
  return [...args, '--', r.binary, ...r.argv];
}

/** Last meaningful lines the VM left behind, for error messages. */
export function vmLastWords(stateDir: string): string {
  const pick = (f: string) => {
    try {
      return readFileSync(join(stateDir, f), 'utf8').trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    } catch {
      return '';
    }
  };
  return [pick('shim.log'), pick('vmm.log'), pick('console.log')].filter(Boolean).join(' | ').slice(0, 400);
}

/** Spawns rind-shim in its own session; resolves once it reports ready on fd 3. */
export async function spawnShim(
  shim: string,
  args: string[],
  opts: { keepRef: boolean; stateDir: string; what: string; stdio?: ShimStdio; onSpawn?: (pid: number, startTime: number | undefined) => void },
): Promise<ShimHandle> {
  const io = opts.stdio ?? 'inherit';
  // in the daemon, a shim with the caller's stdio is forked by the caller's client (bin/rind): it gets the
  // engine's stdio and session, and its pid descends from the engine exactly as when the CLI forks it
  const call = io === 'inherit' ? currentCall() : undefined;
  if (call) {
    const c = await call.spawn(shim, args, { forwardSignals: opts.keepRef });
    const handle: ShimHandle = { pid: c.pid, startTime: processStartTime(c.pid), exited: c.exited };
    opts.onSpawn?.(handle.pid, handle.startTime);
    checkReady(await bounded(c.ready, handle, opts.what), opts.stateDir, opts.what);
    return handle;
  }
  const child = spawn(shim, args, { detached: true, stdio: [io === 'inherit' ? 'inherit' : 'ignore', io, io, 'pipe'] });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null)));
    child.once('error', () => resolve(null));
  });
  if (!child.pid) throw new RindError(`cannot start rind-shim (${shim})`);
  const handle: ShimHandle = { pid: child.pid, startTime: processStartTime(child.pid), exited, stdout: child.stdout ?? undefined };
  opts.onSpawn?.(handle.pid, handle.startTime);
  checkReady(await bounded(readReady(child.stdio[3] as NodeJS.ReadableStream), handle, opts.what), opts.stateDir, opts.what);
  if (!opts.keepRef) child.unref();
  return handle;
}

/** The wait for a shim's ready report, bounded: a shim that never sends it (frozen in its cgroup, stuck) is killed. */
function bounded(ready: Promise<string>, h: ShimHandle, what: string): Promise<string> {
  const ms = timeouts.shimReadyMs;
  return within(ready, ms, `cannot start ${what}: rind-shim did not report ready within ${ms} ms (a frozen cgroup, or a stuck set-up)`, () =>
    signalRecorded(h.pid, h.startTime, 'SIGKILL'));
}

/** Starts the VMM of a request through the shim. */
export function startVmm(r: ShimRequest, keepRef: boolean, what: string, onSpawn?: (pid: number, startTime: number | undefined) => void): Promise<ShimHandle> {
  return spawnShim(r.shim, shimArgs(r), { keepRef, stateDir: r.stateDir, what, stdio: r.stdio, onSpawn });
}

/** Everything the shim writes on its ready fd until it closes it. */
function readReady(pipe: NodeJS.ReadableStream): Promise<string> {
  return new Promise<string>((resolve) => {
    let text = '';
    pipe.on('data', (d: Buffer) => (text += d.toString()));
    pipe.on('end', () => resolve(text));
    pipe.on('error', () => resolve(text));
  });
}

function checkReady(ready: string, stateDir: string, what: string): void {
  if (!ready.startsWith('ok')) {
    const why = ready.replace(/^error:\s*/, '').trim() || vmLastWords(stateDir) || 'rind-shim exited during set-up';
    throw new RindError(`cannot start ${what}: ${why}`);
  }
}

/**
 * The shim's control signal: "kill your VMM now, reap it, exit 137". Forwarded signals
 * (TERM, INT, HUP, QUIT, USR1, USR2) go to the guest instead.
 */
export const SHIM_STOP_SIGNAL = RIND_SHIM_STOP_SIGNAL;

/** The pid of the VMM a shim started (written by the shim before it reports ready). */
export function vmmPid(stateDir: string): number | undefined {
  return readPidFile(join(stateDir, 'vmm.pid'));
}

/**
 * Ends a VM: asks its shim to kill the VMM (the shim records exit 137), then makes sure both are gone.
 * A shim that does not react is SIGKILLed: the VMM dies with it (PR_SET_PDEATHSIG).
 */
export async function stopVmm(stateDir: string, shimPid: number | undefined, shimStartTime: number | undefined): Promise<void> {
  // only a shim that is still the one recorded is signalled or waited for (pids are reused); the VMM is
  // never signalled, only waited for, as the process its pid file names now
  const vmm = vmmPid(stateDir);
  const vmmStart = processStartTime(vmm ?? 0);
  const shimGone = () => !isSameProcess(shimPid, shimStartTime) || waitGone(shimPid, shimStartTime, timeouts.stopMs);
  if (signalRecorded(shimPid, shimStartTime, SHIM_STOP_SIGNAL) && (await shimGone())) {
    await waitGone(vmm, vmmStart, timeouts.stopMs);
    return;
  }
  signalRecorded(shimPid, shimStartTime, 'SIGKILL');
  await shimGone();
  // a dying QEMU still listens on its sockets: a relaunch in this dir must not reach it
  await waitGone(vmm, vmmStart, timeouts.stopMs);
}

/**
 * Delivers a container signal to an agentless guest's shim: it ends the VM and records 128+signo
 * (SIGKILL cannot be caught: the control signal stands for it, 137). Signal 0 only checks liveness.
 */
export function signalShim(shimPid: number | undefined, shimStartTime: number | undefined, signo: number): boolean {
  return signalRecorded(shimPid, shimStartTime, signo === 9 ? SHIM_STOP_SIGNAL : signo);
}

/** The rind-shim binary: $RIND_SHIM or the one the set-up linked into build/. */
export function shimBinary(): string {
  return need('rind-shim', rindEnv.shim() ?? join(repoRoot(), 'build', 'rind-shim'), 'run `npm run setup` (scripts/setup.sh) first');
}
