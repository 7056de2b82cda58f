// VM templates, VMM-neutral: the key that names one, validation before use, locking, pruning.
// How a template is booted and snapshotted is the caller's (runtime/template-build.ts); see docs/templates.md.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFileLock } from '../host/lock.js';
import { cacheDir } from '../util/paths.js';
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

/** What a build leaves in its directory: `ram` and `state` files, and these facts. */
export interface Built {
  memMiB: number;
  bootMs: number;
}

/** The key of a template: the VMM's full command line for it and the identities of every input file. */
export function templateKey(argv: string[], fileIdentities: string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ layout: TEMPLATE_LAYOUT, args: argv, files: fileIdentities }));
  return h.digest('hex').slice(0, KEY_HEX_DIGITS);
}

export function templatesRoot(): string {
  return join(cacheDir(), 'templates');
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

function writeMeta(dir: string, key: string, built: Built): void {
  const ram = statSync(join(dir, 'ram'));
  const meta: Meta = {
    key, layout: TEMPLATE_LAYOUT, memMiB: built.memMiB, ramBytes: ram.size, ramMtimeMs: ram.mtimeMs,
    stateBytes: statSync(join(dir, 'state')).size, builtAt: new Date().toISOString(), bootMs: built.bootMs,
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

/** Returns the template named `key`, building it (once, under a lock) with `build(dir)` if needed. */
export async function ensureTemplate(key: string, build: (dir: string) => Promise<Built>): Promise<Template> {
  const root = templatesRoot();
  mkdirSync(root, { recursive: true });
  const dir = join(root, key);
  const ready = readValid(dir, key);
  if (ready) return ready;
  return withFileLock(`${dir}.lock`, `template ${key}`, 300_000, async () => readValid(dir, key) ?? (await buildInto(root, dir, key, build)));
}

async function buildInto(root: string, dir: string, key: string, build: (dir: string) => Promise<Built>): Promise<Template> {
  rmSync(dir, { recursive: true, force: true });
  const tmp = `${dir}.build-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeMeta(tmp, key, await build(tmp));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new RindError(`building the VM template failed: ${(e as Error).message}`);
  }
  renameSync(tmp, dir);
  const built = readValid(dir, key);
  if (!built) throw new RindError(`template ${key} failed validation right after it was built`);
  pruneTemplates(root, key, TEMPLATES_KEPT);
  return built;
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
