// Decides which network namespace a container's VM joins, from linux.namespaces:
// a path (Podman, CNI, Kubernetes), a fresh one rind owns (containerd's default), or none (host).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { RunnableSpec } from '../oci/spec.js';
import { RindError } from '../util/errors.js';

export type NetnsPlan = { kind: 'path'; path: string } | { kind: 'owned'; name: string; path: string } | { kind: 'host' };

/** Unique per (state root, id): two rind roots may hold containers with the same id. */
export function ownedNetnsName(root: string, id: string): string {
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 8);
  return `rind-${tag}-${id}`; // ids are at most 200 characters: within NAME_MAX, never truncated
}

export function netnsPlan(spec: RunnableSpec, id: string, root = '/run/rind'): NetnsPlan {
  const ns = spec.linux?.namespaces?.find((n) => n.type === 'network');
  if (!ns) return { kind: 'host' };
  if (ns.path) {
    if (!existsSync(ns.path)) throw new RindError(`network namespace ${ns.path} does not exist`);
    return { kind: 'path', path: ns.path };
  }
  const name = ownedNetnsName(root, id);
  return { kind: 'owned', name, path: `/run/netns/${name}` };
}

export function createOwnedNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new RindError(`cannot create network namespace ${name}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
  }
}

export function deleteOwnedNetns(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
}
