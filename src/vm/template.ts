// VM templating: boot one VM per machine shape to "agent ready", save its device state with its
// RAM in a file; clones restore from it with the RAM mapped copy-on-write (docs/templates.md).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, openSync, closeSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { planVm, type PlanInputs } from './plan.js';
import { CtlClient } from './ctl-client.js';
import { QmpClient } from './qmp.js';
import { cacheDir } from './accel.js';
import { fileIdentity } from './artifacts.js';
import { RindError } from '../util/errors.js';
import { isAlive } from '../host/proc.js';

export const TEMPLATE_LAYOUT = 1;
/** hex digits of a template key, which names its directory */
const KEY_HEX_DIGITS = 20;
const KEY_DIR = new RegExp(`^[0-9a-f]{${KEY_HEX_DIGITS}}$`);
const BUILD_DIR = new RegExp(`^[0-9a-f]{${KEY_HEX_DIGITS}}\\.build-(\\d+)$`);
/** templates kept besides the one in use; each holds a guest-RAM-sized file */
export const TEMPLATES_KEPT = 4;

export interface Template {
  key: string;
  dir: string;
  ram: string;
  state: string;
  memMiB: number;
}

interface Meta {
  key: string;
  layout: number;
  memMiB: number;
  ramBytes: number;
  stateBytes: number;
  ramMtimeMs: number;
  builtAt: string;
  bootMs: number;
}

/** Template NICs have no backend; clones attach their taps to the same guest-visible slots. */
export function templateMac(i: number): string {
  return `52:54:00:72:69:${(0x10 + i).toString(16).padStart(2, '0')}`;
}

/** The plan a template boots with (and the key that names it) for a clone's plan inputs. */
export function templatePlanInputs(base: PlanInputs, dir: string): PlanInputs {
  return {
    ...base,
    stateDir: dir,
    nics: (base.nics ?? []).map((_, i) => ({ mac: templateMac(i) })),
    memoryFile: { path: join(dir, 'ram'), share: true },
    incoming: false,
    ioChardev: `socket,id=io,path=${dir}/io.sock,server=on,wait=off`,
  };
}

export function templateKey(base: PlanInputs, qemu: string): string {
  const args = planVm(templatePlanInputs(base, '@DIR@')).qemuArgs;
  const h = createHash('sha256');
  h.update(JSON.stringify({ layout: TEMPLATE_LAYOUT, args, files: [fileIdentity(base.kernel), fileIdentity(base.initramfs), fileIdentity(qemu)] }));
  return h.digest('hex').slice(0, KEY_HEX_DIGITS);
}

function readValid(dir: string, key: string): Template | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    const ram = statSync(join(dir, 'ram'));
    const state = statSync(join(dir, 'state'));
    // a RAM file that changed since the save would make clones hang: never use it
    if (meta.key !== key || meta.layout !== TEMPLATE_LAYOUT || ram.size !== meta.ramBytes || ram.mtimeMs !== meta.ramMtimeMs || state.size !== meta.stateBytes || state.size === 0)
      return undefined;
    const now = new Date();
    utimesSync(join(dir, 'meta.json'), now, now); // last use, for pruning
    return { key, dir, ram: join(dir, 'ram'), state: join(dir, 'state'), memMiB: meta.memMiB };
  } catch {
    return undefined;
  }
}

/** Returns the template for these plan inputs, building it (once, under a lock) if needed. */
export async function ensureTemplate(base: PlanInputs, qemu: string, bootTimeoutMs: number): Promise<Template> {
  const root = join(cacheDir(), 'templates');
  mkdirSync(root, { recursive: true });
  const key = templateKey(base, qemu);
  const dir = join(root, key);
  const ready = readValid(dir, key);
  if (ready) return ready;
  const release = await lockfile.lock(dir, { realpath: false, stale: 60_000, update: 10_000, retries: { retries: 1200, minTimeout: 50, maxTimeout: 200 } });
  try {
    const again = readValid(dir, key);
    if (again) return again;
    rmSync(dir, { recursive: true, force: true });
    const tmp = `${dir}.build-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await buildTemplate(base, qemu, tmp, key, bootTimeoutMs);
    renameSync(tmp, dir);
    const built = readValid(dir, key);
    if (!built) throw new RindError(`template ${key} failed validation right after it was built`);
    pruneTemplates(root, key, TEMPLATES_KEPT);
    return built;
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * Which template dirs to delete: all but the `keep` most recently used besides `current`, and build
 * dirs of processes that are gone. Pure, so the policy is unit-tested.
 */
export function templatesToPrune(entries: { name: string; lastUse?: number }[], current: string, keep: number, alive: (pid: number) => boolean): string[] {
  const doomed: string[] = [];
  const kept = entries
    .filter((e) => e.name !== current && KEY_DIR.test(e.name) && e.lastUse !== undefined)
    .sort((a, b) => b.lastUse! - a.lastUse!);
  doomed.push(...kept.slice(keep).map((e) => e.name));
  for (const e of entries) {
    const m = BUILD_DIR.exec(e.name);
    if (m && !alive(Number(m[1]))) doomed.push(e.name);
  }
  return doomed;
}

/** Deletes templates nobody used lately (a clone still running keeps its RAM mapping: unlinking is safe). */
function pruneTemplates(root: string, current: string, keep: number): void {
  try {
    const entries = readdirSync(root).map((name) => {
      try {
        return { name, lastUse: statSync(join(root, name, 'meta.json')).mtimeMs };
      } catch {
        return { name };
      }
    });
    for (const name of templatesToPrune(entries, current, keep, (pid) => isAlive(pid))) rmSync(join(root, name), { recursive: true, force: true });
  } catch {
    /* pruning is housekeeping: never fails a create */
  }
}

async function buildTemplate(base: PlanInputs, qemu: string, dir: string, key: string, bootTimeoutMs: number): Promise<void> {
  mkdirSync(join(dir, 'share'), { recursive: true });
  const inputs = templatePlanInputs(base, dir);
  const plan = planVm(inputs);
  const logFd = openSync(join(dir, 'vmm.log'), 'a');
  const t0 = Date.now();
  const child = spawn(qemu, plan.qemuArgs, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    const ctl = await CtlClient.connect(join(dir, 'ctl.sock'), Date.now() + bootTimeoutMs, () => !exited);
    try {
      await ctl.sync(bootTimeoutMs);
    } finally {
      ctl.close();
    }
    const bootMs = Date.now() - t0;
    const q = await QmpClient.open(join(dir, 'qmp.sock'));
    try {
      await q.execute('stop');
      await q.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
      await q.execute('migrate', { uri: `exec:cat > ${join(dir, 'state')}` });
      await waitMigration(q, 30_000);
      await q.execute('quit').catch(() => undefined);
    } finally {
      q.close();
    }
    await new Promise<void>((r) => (exited ? r() : child.once('exit', () => r())));
    const ram = statSync(join(dir, 'ram'));
    const meta: Meta = {
      key, layout: TEMPLATE_LAYOUT, memMiB: plan.memMiB, ramBytes: ram.size, ramMtimeMs: ram.mtimeMs,
      stateBytes: statSync(join(dir, 'state')).size, builtAt: new Date().toISOString(), bootMs,
    };
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new RindError(`building the VM template failed: ${(e as Error).message}`);
  }
}

async function waitMigration(q: QmpClient, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const info = (await q.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    if (info.status === 'completed') return;
    if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`migration ${info.status}: ${info['error-desc'] ?? ''}`);
    if (Date.now() > end) throw new Error(`migration still ${info.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 3));
  }
}

/** Plan inputs of a clone: the container's own paths and taps, the template's RAM, incoming. */
export function clonePlanInputs(base: PlanInputs, tpl: Template): PlanInputs {
  return { ...base, memoryFile: { path: tpl.ram, share: false }, incoming: true };
}

/** Drives a clone's QEMU (started with -incoming defer) through the restore and resumes it. */
export async function restoreClone(qmpSock: string, tpl: Template, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let q: QmpClient | undefined;
  while (!q) {
    try {
      if (!existsSync(qmpSock)) throw new Error('no QMP socket yet');
      q = await QmpClient.open(qmpSock, Math.max(100, end - Date.now()));
    } catch (e) {
      if (Date.now() > end) throw new Error(`QMP never came up: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 3));
    }
  }
  try {
    await q.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
    // no RARP self-announcements after the restore: they are broadcasts every VM on the bridge
    // would be woken for (5 per clone), and the NIC's MAC is the veth's, which the bridge knows
    await q.execute('migrate-set-parameters', { 'announce-rounds': 0 });
    await q.execute('migrate-incoming', { uri: `exec:cat ${tpl.state}` });
    await waitMigration(q, Math.max(100, end - Date.now()));
    await q.execute('cont');
  } finally {
    q.close();
  }
}
