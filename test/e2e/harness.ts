// End-to-end test harness: busybox bundles, a private --root per test file, rind invocations,
// and a leak check (no QEMU, shim or state left behind). Real VMs, no mocks.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { openSync, closeSync, mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, rmSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSpec } from '../../src/oci/default-spec.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const RIND = join(REPO, 'bin', 'rind');
export const SUBREAPER = join(REPO, 'build', 'testtools', 'subreaper');

const APPLETS = ['sh', 'echo', 'cat', 'id', 'pwd', 'env', 'sleep', 'head', 'touch', 'ls', 'uname', 'hostname', 'true',
  'false', 'tty', 'httpd', 'wc', 'sha256sum', 'dd', 'grep', 'printf', 'mkdir', 'rm', 'ps', 'kill', 'umask', 'ip', 'wget', 'nc', 'ping', 'stty', 'nproc', 'ulimit', 'cut'];

export interface Env {
  root: string;
  work: string;
  ids: Set<string>;
}

export function newEnv(name: string): Env {
  const work = mkdtempSync(join(tmpdir(), `rind-e2e-${name}-`));
  const root = join(work, 'state');
  return { root, work, ids: new Set() };
}

export type SpecPatch = (spec: any) => void;

/** A bundle whose rootfs holds static busybox and applet links. */
export function makeBundle(env: Env, name: string, args: string[], patch?: SpecPatch): string {
  const dir = join(env.work, name);
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'rootfs', 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev', 'root']) mkdirSync(join(dir, 'rootfs', d), { recursive: true });
  writeFileSync(join(dir, 'rootfs', 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const spec = defaultSpec() as any;
  spec.process.args = args;
  spec.process.terminal = false;
  spec.root.readonly = false;
  patch?.(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 1));
  return dir;
}

export function rind(env: Env, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<Buffer> {
  return spawnSync(RIND, ['--root', env.root, ...args], { input: opts.input ?? '', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20, env: opts.env ?? process.env });
}

export function rindAsync(env: Env, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(RIND, ['--root', env.root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `rind create` under a subreaper that then waits on the pid-file pid (like conmon). */
export function createUnderSubreaper(env: Env, id: string, bundle: string): { pidFile: string; result: Promise<string> } {
  const pidFile = join(env.work, `${id}.pid`);
  const c = spawn(SUBREAPER, [pidFile, '--', RIND, '--root', env.root, 'create', '--bundle', bundle, '--pid-file', pidFile, id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  env.ids.add(id);
  const result = new Promise<string>((resolve) => {
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', () => resolve(out));
  });
  return { pidFile, result };
}

export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function state(env: Env, id: string): any {
  const r = rind(env, ['state', id]);
  if (r.status !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

/** Processes whose command line mentions this env's state root (QEMU, shim). */
export function leftovers(env: Env): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(env.root) && !cmd.includes(' state ')) out.push(`${p}: ${cmd.slice(0, 120)}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

export function cleanup(env: Env): void {
  for (const id of existsSync(env.root) ? readdirSync(env.root).filter((d) => !d.startsWith('.')) : []) env.ids.add(id);
  for (const id of env.ids) rind(env, ['delete', '--force', id]);
  rmSync(env.work, { recursive: true, force: true });
}

export const RECVTTY = join(REPO, 'build', 'testtools', 'recvtty');

/** What a receiver does to the pty master it gets (native/testtools/recvtty.c): by default it sizes it 33x111
 * and leaves ONLCR as made. */
export interface ReceiverMode {
  /** clear ONLCR at once, as runc's recvtty and `runc run` do (an engine's ClearONLCR) */
  clearOnlcr?: boolean;
  /** leave the pty unsized, as an engine that never resizes */
  noWinsize?: boolean;
}

/** Starts a console-socket receiver; resolves with everything the terminal printed. */
export async function consoleReceiver(env: Env, name: string, input?: string, mode: ReceiverMode = {}): Promise<{ socket: string; output: Promise<string> }> {
  const socket = join(env.work, `${name}.console`);
  const recvEnv = { ...process.env, ...(mode.clearOnlcr ? { RECVTTY_CLEAR_ONLCR: '1' } : {}), ...(mode.noWinsize ? { RECVTTY_NO_WINSIZE: '1' } : {}) };
  const c = spawn(RECVTTY, input ? [socket, input] : [socket], { stdio: ['ignore', 'pipe', 'inherit'], env: recvEnv });
  let out = '';
  let ready: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  c.stdout.on('data', (d) => {
    out += d;
    if (out.startsWith('listening\n')) ready();
  });
  const output = new Promise<string>((resolve) => c.on('close', () => resolve(out.replace(/^listening\n/, ''))));
  await listening;
  return { socket, output };
}

/** Runs a terminal container detached on a console receiver until it stops, then deletes it; the terminal's whole output. */
export async function runOnTerminal(env: Env, id: string, args: string[], mode: ReceiverMode = {}, patch?: SpecPatch): Promise<string> {
  const b = makeBundle(env, id, args, (s) => {
    s.process.terminal = true;
    patch?.(s);
  });
  const { socket, output } = await consoleReceiver(env, id, undefined, mode);
  env.ids.add(id);
  const r = rind(env, ['run', '-d', '--console-socket', socket, '--bundle', b, id]);
  assert.equal(r.status, 0, r.stderr.toString());
  const out = await output;
  await waitFor(() => state(env, id).status === 'stopped', 30_000);
  assert.equal(rind(env, ['delete', id]).status, 0);
  env.ids.delete(id);
  return out;
}

/** For detached containers: their stdio must not be pipes we wait on (they live on). */
export function rindDetached(env: Env, args: string[], name: string): { status: number | null; stderr: string } {
  const errFile = join(env.work, `${name}.stderr`);
  const outFd = openSync(join(env.work, `${name}.stdout`), 'w');
  const errFd = openSync(errFile, 'w');
  const r = spawnSync(RIND, ['--root', env.root, ...args], { stdio: ['ignore', outFd, errFd], timeout: 120_000 });
  closeSync(outFd);
  closeSync(errFd);
  return { status: r.status, stderr: readFileSync(errFile, 'utf8') };
}
