// Binds host paths into the mount namespace of a running VMM (a pod member's rootfs and binds go into
// its share while they stay invisible on the host), and takes them out again, via rind-shim's
// --bind-into/--unbind-in (open_tree in the host's namespace, move_mount in the VMM's: works in its jail).
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

function makeMountPoint(b: NsBind): void {
  if (b.isDir) mkdirSync(b.target, { recursive: true });
  else {
    mkdirSync(dirname(b.target), { recursive: true });
    closeSync(openSync(b.target, 'a'));
  }
}

function shimCall(shim: string, args: string[]): void {
  try {
    execFileSync(shim, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n').pop() ?? '';
    throw new RindError(err.replace(/^error:\s*/, ''));
  }
}

/** Binds every source at its target inside `pid`'s mount namespace, all or none. */
export function bindInto(shim: string, pid: number, binds: NsBind[]): void {
  if (!binds.length) return;
  for (const b of binds) makeMountPoint(b);
  shimCall(shim, ['--bind-into', String(pid), ...binds.flatMap((b) => [b.readonly ? '--bind-ro' : '--bind', b.source, b.target])]);
}

/** Lazily unmounts targets inside `pid`'s mount namespace (missing ones are fine); never throws. */
export function unbindFrom(shim: string, pid: number, targets: string[]): void {
  if (!targets.length) return;
  try {
    shimCall(shim, ['--unbind-in', String(pid), ...targets]);
  } catch {
    /* the VM is gone, or nothing was mounted */
  }
}
