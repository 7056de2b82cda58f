// Binds host paths into the mount namespace of a running process (a VM's VMM, whose share is private to it),
// and takes them out again. Uses util-linux nsenter + mount; read-only binds are remounted read-only.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { RindError } from '../util/errors.js';

export interface NsBind {
  source: string;
  /** absolute host path of the mount point (it exists in the target namespace too: same filesystem) */
  target: string;
  isDir: boolean;
  readonly: boolean;
}

function inMountNs(pid: number, args: string[]): void {
  try {
    execFileSync('nsenter', [`--mount=/proc/${pid}/ns/mnt`, '--', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n')[0];
    throw new RindError(`${args.join(' ')} in the VM's mount namespace failed: ${err}`);
  }
}

function makeMountPoint(b: NsBind): void {
  if (b.isDir) mkdirSync(b.target, { recursive: true });
  else {
    mkdirSync(dirname(b.target), { recursive: true });
    closeSync(openSync(b.target, 'a'));
  }
}

/** Binds every source at its target inside `pid`'s mount namespace; on failure undoes what it did. */
export function bindInto(pid: number, binds: NsBind[]): void {
  const done: string[] = [];
  try {
    for (const b of binds) {
      makeMountPoint(b);
      inMountNs(pid, ['mount', '--rbind', b.source, b.target]);
      done.push(b.target);
      if (b.readonly) inMountNs(pid, ['mount', '-o', 'remount,bind,ro', b.target]);
    }
  } catch (e) {
    unbindFrom(pid, done);
    throw e;
  }
}

/** Lazily unmounts targets inside `pid`'s mount namespace (missing ones are fine). */
export function unbindFrom(pid: number, targets: string[]): void {
  for (const t of [...targets].reverse()) {
    try {
      execFileSync('nsenter', [`--mount=/proc/${pid}/ns/mnt`, '--', 'umount', '-l', t], { stdio: 'ignore' });
    } catch {
      /* not mounted (the VM may be gone) */
    }
  }
}
