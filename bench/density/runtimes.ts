// The runtimes under test and how to call them: same runc-style argv for all three
// (`R --root ROOT create --bundle B --pid-file F ID`, `start ID`, `delete --force ID`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import type { RuntimeName } from './options.js';
import { childEnv } from './mountns.js';

export interface RuntimeDef {
  name: RuntimeName;
  binary: string;
}

/** The repository's bin/rind, found upwards from this module (works from the dist/cli chunks and dist/bench/density). */
export function rindBinary(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'bin', 'rind');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find bin/rind above the running module');
}

function which(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function resolveRuntime(name: RuntimeName): RuntimeDef {
  if (name === 'rind' || name === 'rind-unikernel') return { name, binary: rindBinary() };
  const binary = which(name);
  if (!binary) throw new Error(`${name} is not installed (apt-get install ${name}; npm run setup installs it)`);
  return { name, binary };
}

/** First line of `R --version` (rind's also names the accelerator). */
/** rind, with a Linux guest or a unikernel (the web unikernel instead of busybox httpd) */
export function isRind(name: RuntimeName): boolean {
  return name === 'rind' || name === 'rind-unikernel';
}

export function runtimeVersion(def: RuntimeDef): { version: string; accelerator?: string } {
  try {
    // rind: no daemon for this one call on the default root; it would outlive the run in the benchmark's
    // private mount namespace and keep that namespace's cgroup hierarchies mounted
    const env = childEnv(isRind(def.name) ? { RIND_NO_DAEMON: '1' } : {});
    const out = execFileSync(def.binary, ['--version'], { encoding: 'utf8', timeout: 120_000, env, stdio: ['ignore', 'pipe', 'ignore'] });
    const accel = /^accelerator:\s*(.+)$/m.exec(out)?.[1]?.trim();
    return { version: out.split('\n')[0].trim(), accelerator: accel };
  } catch (e) {
    return { version: `unknown (${(e as Error).message.split('\n')[0]})` };
  }
}

export function createArgs(root: string, bundle: string, pidFile: string, id: string): string[] {
  return ['--root', root, 'create', '--bundle', bundle, '--pid-file', pidFile, id];
}

export function startArgs(root: string, id: string): string[] {
  return ['--root', root, 'start', id];
}

export function deleteArgs(root: string, id: string): string[] {
  return ['--root', root, 'delete', '--force', id];
}
