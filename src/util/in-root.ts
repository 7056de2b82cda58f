// Resolves a path inside a container's rootfs the way the container would see it: symlinks and `..`
// are followed but never leave the root (an absolute link target restarts at the root). No host escape.
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RindError } from './errors.js';

const MAX_LINKS = 40;

export function resolveInRoot(root: string, path: string): string {
  let parts = path.split('/').filter((p) => p && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = join(root, ...done, part);
    let link: string | undefined;
    try {
      link = lstatSync(here).isSymbolicLink() ? readlinkSync(here) : undefined;
    } catch {
      link = undefined; // a missing component: the caller's existence check names it
    }
    if (link === undefined) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new RindError(`${path}: too many symbolic links inside the rootfs`);
    if (link.startsWith('/')) done.length = 0;
    parts = [...link.split('/').filter((p) => p && p !== '.'), ...parts];
  }
  return join(root, ...done);
}
