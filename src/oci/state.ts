// Per-container state under --root: one directory per id, state.json written atomically,
// a lock per container (different containers never wait on each other), status derived from facts.
import { mkdirSync, readFileSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { RindError } from '../util/errors.js';
import { isSameProcess } from '../host/proc.js';
import { withFileLock } from '../host/lock.js';
import { writeAtomic } from '../util/fs.js';
import type { HooksSpec } from './spec-schema.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** What rind remembers about a container between CLI calls. */
export interface ContainerRecord {
  id: string;
  /** the sandbox (VM) it runs in; a one-container sandbox has the container's id */
  sandbox: string;
  bundle: string;
  rootfs: string;
  created: string;
  annotations: Record<string, string>;
  /** persisted lifecycle step; 'stopped' is derived, never stored */
  status: Exclude<Status, 'stopped'>;
  /** the container's waitable pid (a rind-shim) */
  shimPid?: number;
  shimStartTime?: number;
  terminal: boolean;
  /** a pod member's exec port (its stdio) and the mount points of its binds in the VM's share */
  port?: number;
  binds?: string[];
  /** the spec's hooks (poststop runs at delete, when the bundle may be gone) and its ociVersion */
  hooks?: HooksSpec;
  ociVersion?: string;
}

/** What rind remembers about a sandbox: one VM, its network wiring and cgroups. */
export interface SandboxRecord {
  id: string;
  /** guest kind (linux) and VMM (qemu), chosen once at creation */
  guest: string;
  vmm: string;
  accel: string;
  memMiB?: number;
  vcpus?: number;
  /** the shim that started the VMM (its parent) */
  shimPid?: number;
  shimStartTime?: number;
  cgroupDirs: string[];
  /** network namespace rind created (pathless netns in the spec) and must remove */
  ownedNetns?: string;
  /** the netns the VM serves and the engine interfaces wired to it */
  net?: { netns: string; ifs: string[] };
  /** how the VM came up: restored from a template, or booted */
  bootMode?: 'clone' | 'boot';
  /** the unprivileged host uid its VMM runs as (jail) */
  jailUid?: number;
}

const ID_RE = /^[\w+\-.]+$/;
/** ids name a state dir, a lock file and an owned netns (`rind-<8 hex>-<id>`): all within NAME_MAX (255) */
export const MAX_ID_LENGTH = 200;

export function validateId(id: string | undefined): string {
  if (!id) throw new RindError('container id is required');
  if (id.length > MAX_ID_LENGTH) throw new RindError(`invalid container id: ${id.length} characters, at most ${MAX_ID_LENGTH}`);
  if (!ID_RE.test(id) || id === '.' || id === '..') throw new RindError(`invalid container id: ${JSON.stringify(id)}`);
  return id;
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  path(id: string, file: string): string {
    return join(this.root, id, file);
  }

  /** Claims the id atomically; fails if a container with this id exists. */
  reserve(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(this.dir(id), { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RindError(`container ${id} already exists`);
      throw new RindError(`cannot create state for ${id} under ${this.root}: ${(e as Error).message}`);
    }
    return this.dir(id);
  }

  exists(id: string): boolean {
    return existsSync(this.dir(id));
  }

  read(id: string): ContainerRecord {
    let text: string;
    try {
      text = readFileSync(this.path(id, 'state.json'), 'utf8');
    } catch {
      throw new RindError(`container ${id} does not exist`);
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch {
      throw new RindError(`container ${id}: state file is corrupt (${this.path(id, 'state.json')})`);
    }
  }

  tryRead(id: string): ContainerRecord | undefined {
    try {
      return this.read(id);
    } catch {
      return undefined;
    }
  }

  write(record: ContainerRecord): void {
    writeAtomic(this.path(record.id, 'state.json'), JSON.stringify(record, null, 1));
  }

  readSandbox(id: string): SandboxRecord {
    try {
      return JSON.parse(readFileSync(this.path(id, 'sandbox.json'), 'utf8')) as SandboxRecord;
    } catch {
      throw new RindError(`sandbox ${id} does not exist or its record is unreadable`);
    }
  }

  writeSandbox(record: SandboxRecord): void {
    writeAtomic(this.path(record.id, 'sandbox.json'), JSON.stringify(record, null, 1));
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  /** Exit code recorded by the shim, if the container has ended. */
  exitCode(id: string): number | undefined {
    try {
      const n = Number.parseInt(readFileSync(this.path(id, 'exit'), 'utf8'), 10);
      return Number.isInteger(n) ? n : undefined;
    } catch {
      return undefined;
    }
  }

  status(record: ContainerRecord): Status {
    if (this.exitCode(record.id) !== undefined) return 'stopped';
    // the waitable pid must still be the shim recorded (start time): a reused pid is not the container
    if (record.status === 'creating') return isSameProcess(record.shimPid, record.shimStartTime) || !record.shimPid ? 'creating' : 'stopped';
    if (!isSameProcess(record.shimPid, record.shimStartTime)) return 'stopped';
    return record.status;
  }

  /** Serializes operations on one container; the lock lives outside the container's dir and dies with its holder. */
  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const locks = join(this.root, '.locks');
    mkdirSync(locks, { recursive: true });
    return withFileLock(join(locks, id), `container ${id}`, 120_000, fn);
  }
}
