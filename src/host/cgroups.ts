// Places a container's host processes (shim + QEMU) in the spec's cgroupsPath for accounting.
// Handles cgroup v2 (unified) and v1 (one directory per controller); best effort, never fatal, except a frozen cgroup (refused).
import { existsSync, mkdirSync, rmdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RindError } from '../util/errors.js';

const ROOT = '/sys/fs/cgroup';
const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'freezer', 'blkio'];

export function isCgroupV2(): boolean {
  return existsSync(join(ROOT, 'cgroup.controllers'));
}

/** Turns runc-style cgroupsPath (absolute, relative, or systemd "slice:prefix:name") into a path. */
export function normalizeCgroupPath(cgroupsPath: string | undefined, id: string): string {
  if (!cgroupsPath) return `/rind/${id}`;
  const systemd = /^([^:/]*):([^:]*):([^:]+)$/.exec(cgroupsPath);
  if (systemd) {
    const slice = systemd[1] || 'system.slice';
    const unit = systemd[2] ? `${systemd[2]}-${systemd[3]}.scope` : systemd[3];
    return `/${slice}/${unit}`;
  }
  const clean = cgroupsPath.split('/').filter((p) => p && p !== '.' && p !== '..').join('/');
  return `/${clean}`;
}

function readTrim(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Why the cgroup at `path` (or the nearest ancestor that exists) freezes whatever joins it, or undefined: v2 `cgroup.freeze`
 * of it or of an ancestor, v1 `freezer.state` (FROZEN or FREEZING; it reflects the ancestors). `root` is for tests.
 */
export function frozenCgroup(path: string, root = ROOT, v2 = isCgroupV2()): string | undefined {
  if (v2) {
    for (let dir = join(root, path); dir.startsWith(root) && dir !== root; dir = dirname(dir)) {
      if (readTrim(join(dir, 'cgroup.freeze')) === '1') return `${join(dir, 'cgroup.freeze')} is 1`;
    }
    return undefined;
  }
  if (!existsSync(join(root, 'freezer'))) return undefined;
  const hierarchy = realpathSync(join(root, 'freezer'));
  for (let dir = join(hierarchy, path); dir.startsWith(hierarchy) && dir !== hierarchy; dir = dirname(dir)) {
    const state = readTrim(join(dir, 'freezer.state'));
    if (state === undefined) continue;
    return state === 'THAWED' ? undefined : `${join(dir, 'freezer.state')} is ${state}`;
  }
  return undefined;
}

/**
 * runc's rule: a frozen cgroup is refused up front. The shim joining it would freeze at once (and under cgroup v1 not
 * even SIGKILL would end it until the cgroup is thawed), so create would wait for a VM that never starts.
 */
export function assertNotFrozen(path: string): void {
  const why = frozenCgroup(path);
  if (why) throw new RindError(`container's cgroup ${path} is frozen (${why}): its VM could not run there; thaw it first`);
}

/** Creates the cgroup dirs; returns the cgroup.procs files the shim must join. A frozen cgroup is refused first. */
export function prepareCgroups(path: string): { dirs: string[]; procsFiles: string[] } {
  assertNotFrozen(path);
  const dirs: string[] = [];
  const procsFiles: string[] = [];
  const v2 = isCgroupV2();
  // v1 hierarchies may be co-mounted (cpu -> cpu,cpuacct): one directory per real hierarchy
  const hierarchies = [...new Set(V1_CONTROLLERS.filter((c) => existsSync(join(ROOT, c))).map((c) => realpathSync(join(ROOT, c))))];
  const candidates = v2 ? [join(ROOT, path)] : hierarchies.map((h) => join(h, path));
  for (const dir of candidates) {
    try {
      if (v2) enableV2Controllers(path);
      mkdirSync(dir, { recursive: true });
      dirs.push(dir);
      procsFiles.push(join(dir, 'cgroup.procs'));
    } catch {
      /* accounting is best effort: a read-only or delegated hierarchy must not block a container */
    }
  }
  return { dirs, procsFiles };
}

function enableV2Controllers(path: string): void {
  const parts = path.split('/').filter(Boolean);
  let dir = ROOT;
  for (const part of parts.slice(0, -1)) {
    const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
    const want = available.filter((c) => ['memory', 'cpu', 'pids', 'io'].includes(c));
    try {
      if (want.length) writeFileSync(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
    } catch {
      /* parent may have processes; accounting stays partial */
    }
    dir = join(dir, part);
    mkdirSync(dir, { recursive: true });
  }
}

export function removeCgroupDirs(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      /* already gone, or an engine still holds it: the engine removes its own */
    }
  }
}

export interface VmmLimits {
  /** guest RAM plus the VMM's own overhead */
  memoryBytes: number;
  /** the spec's CPU quota as given (µs per period), if any */
  cpu?: { quota: number; period: number };
}

/** The files a limit is written to, v1 and v2 names (only those that exist in a dir are written). */
function limitWrites(l: VmmLimits): [string, string][] {
  const w: [string, string][] = [['memory.limit_in_bytes', String(l.memoryBytes)], ['memory.max', String(l.memoryBytes)]];
  if (l.cpu) w.push(['cpu.cfs_period_us', String(l.cpu.period)], ['cpu.cfs_quota_us', String(l.cpu.quota)], ['cpu.max', `${l.cpu.quota} ${l.cpu.period}`]);
  return w;
}

/**
 * Limits the VMM's host cgroup (the spec's cgroupsPath): a runaway VM cannot take the host's memory or CPU.
 * Returns the writes that failed (the caller logs them once); a missing controller is not a failure.
 */
export function applyVmmLimits(dirs: string[], l: VmmLimits): string[] {
  const failed: string[] = [];
  for (const dir of dirs) {
    for (const [file, value] of limitWrites(l)) {
      const path = join(dir, file);
      if (!existsSync(path)) continue;
      try {
        writeFileSync(path, value);
      } catch (e) {
        failed.push(`${path}=${value}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  }
  return failed;
}
