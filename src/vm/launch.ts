// Starts a container's VM: spawns rind-shim (the waitable pid) which starts QEMU, then
// waits until the guest agent answers on the ctl channel. Reports failures with the VM's last words.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RindError } from '../util/errors.js';
import { isAlive, processStartTime, readPidFile } from '../host/proc.js';
import { CtlClient } from './ctl-client.js';
import type { HostBind } from './agent-config.js';
import { restoreClone, type Template } from './template.js';

export interface LaunchRequest {
  shim: string;
  qemu: string;
  qemuArgs: string[];
  stateDir: string;
  cgroupProcs: string[];
  binds: HostBind[];
  consoleSocket?: string;
  /** network namespace QEMU must run in (its taps live there) */
  netns?: string;
  /** foreground run in a terminal: the shim uses its stdio as the tty */
  tty?: boolean;
  /** keep the shim in our session (foreground run) instead of detaching it */
  foreground?: boolean;
  bootTimeoutMs: number;
  /** restore from a template instead of booting (the QEMU args carry -incoming defer) */
  restore?: { template: Template; timeoutMs: number };
  /** called as soon as the shim pid is known, so a crash mid-create can still be cleaned up */
  onShim?: (pid: number, startTime: number | undefined) => void;
}

export interface Launched {
  shimPid: number;
  shimStartTime: number | undefined;
  vmmPid: number | undefined;
  ctl: CtlClient;
  kernelRelease: string;
  bootMs: number;
  exited: Promise<number | null>;
}

export function shimArgs(r: LaunchRequest): string[] {
  const args = ['--state', r.stateDir, '--ready-fd', '3'];
  for (const f of r.cgroupProcs) args.push('--cgroup-procs', f);
  for (const b of r.binds) args.push(b.readonly ? '--bind-ro' : '--bind', b.source, join(r.stateDir, 'share', b.target));
  if (r.netns) args.push('--netns', r.netns);
  if (r.consoleSocket) args.push('--console-socket', r.consoleSocket);
  else if (r.tty) args.push('--tty');
  return [...args, '--', r.qemu, ...r.qemuArgs];
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

export interface ShimHandle {
  pid: number;
  startTime: number | undefined;
  exited: Promise<number | null>;
}

/** Spawns rind-shim in its own session with our stdio; resolves once it reports ready on fd 3. */
export async function spawnShim(
  shim: string,
  args: string[],
  keepRef: boolean,
  stateDir: string,
  what: string,
  onSpawn?: (pid: number, startTime: number | undefined) => void,
): Promise<ShimHandle> {
  const child = spawn(shim, args, { detached: true, stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null)));
    child.once('error', () => resolve(null));
  });
  if (!child.pid) throw new RindError(`cannot start rind-shim (${shim})`);
  const handle: ShimHandle = { pid: child.pid, startTime: processStartTime(child.pid), exited };
  onSpawn?.(handle.pid, handle.startTime);
  await readReady(child.stdio[3] as NodeJS.ReadableStream, stateDir, what);
  if (!keepRef) child.unref();
  return handle;
}

async function readReady(pipe: NodeJS.ReadableStream, stateDir: string, what: string): Promise<void> {
  const ready = await new Promise<string>((resolve) => {
    let text = '';
    pipe.on('data', (d: Buffer) => (text += d.toString()));
    pipe.on('end', () => resolve(text));
    pipe.on('error', () => resolve(text));
  });
  if (!ready.startsWith('ok')) {
    const why = ready.replace(/^error:\s*/, '').trim() || vmLastWords(stateDir) || 'rind-shim exited during set-up';
    throw new RindError(`cannot start ${what}: ${why}`);
  }
}

export async function launchVm(r: LaunchRequest): Promise<Launched> {
  const t0 = Date.now();
  const h = await spawnShim(r.shim, shimArgs(r), Boolean(r.foreground), r.stateDir, 'the VM', r.onShim);
  const { pid: shimPid, startTime: shimStartTime, exited } = h;
  const vmmPid = readPidFile(join(r.stateDir, 'vmm.pid')); // the shim writes it before saying ok
  if (r.restore) {
    try {
      await restoreClone(join(r.stateDir, 'qmp.sock'), r.restore.template, r.restore.timeoutMs);
    } catch (e) {
      throw new RindError(`restore from template ${r.restore.template.key} failed: ${(e as Error).message}`);
    }
  }
  const deadline = Date.now() + r.bootTimeoutMs;
  const alive = () => isAlive(shimPid, shimStartTime);
  let ctl: CtlClient | undefined;
  try {
    ctl = await CtlClient.connect(join(r.stateDir, 'ctl.sock'), deadline, alive);
    const pong = await raceWithExit(ctl.sync(Math.max(1, deadline - Date.now())), exited);
    return { shimPid, shimStartTime, vmmPid, ctl, kernelRelease: pong.get('kernel') ?? '', bootMs: Date.now() - t0, exited };
  } catch (e) {
    ctl?.close();
    const words = vmLastWords(r.stateDir);
    throw new RindError(`the VM did not come up: ${(e as Error).message}${words ? ` (${words})` : ''}`);
  }
}

async function raceWithExit<T>(p: Promise<T>, exited: Promise<number | null>): Promise<T> {
  return Promise.race([p, exited.then(() => Promise.reject(new Error('the VM exited during boot')))]);
}
