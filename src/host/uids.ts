// Unprivileged host uids for jailed VMMs: one per sandbox from a configurable range, claimed atomically
// (a file per uid naming its sandbox), reclaimed when that sandbox's state is gone. Never uid 0.
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RindError } from '../util/errors.js';

export interface UidRange {
  base: number;
  count: number;
}

function claimFile(root: string, uid: number): string {
  return join(root, '.jail-uids', String(uid));
}

/** Claims a uid for `sandbox` (first choice by hash, then the next free); `alive(id)`: does that sandbox still exist. */
export function claimUid(root: string, sandbox: string, range: UidRange, alive: (id: string) => boolean): number {
  if (range.base < 1 || range.count < 1) throw new RindError(`jail uid range ${range.base}+${range.count} is invalid (uid 0 is never used)`);
  mkdirSync(join(root, '.jail-uids'), { recursive: true, mode: 0o700 });
  const start = createHash('sha256').update(`${root}\0${sandbox}`).digest().readUInt32LE(0) % range.count;
  for (let i = 0; i < Math.min(range.count, 4096); i++) {
    const uid = range.base + ((start + i) % range.count);
    const f = claimFile(root, uid);
    try {
      writeFileSync(f, sandbox, { flag: 'wx', mode: 0o600 });
      return uid;
    } catch {
      const owner = safeRead(f);
      if (owner !== undefined && owner !== sandbox && !alive(owner)) rmSync(f, { force: true });
      if (owner === sandbox) return uid;
    }
  }
  throw new RindError(`no free jail uid in ${range.base}..${range.base + range.count - 1} (RIND_JAIL_UID_BASE, RIND_JAIL_UIDS)`);
}

function safeRead(f: string): string | undefined {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

export function releaseUid(root: string, uid: number | undefined, sandbox: string): void {
  if (uid === undefined) return;
  const f = claimFile(root, uid);
  if (existsSync(f) && safeRead(f) === sandbox) rmSync(f, { force: true });
}
