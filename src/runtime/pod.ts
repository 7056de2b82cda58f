// Which sandbox a container belongs to: a pod's sandbox, a member of one, or a sandbox of its own.
// Decided from the engine's annotations (containerd CRI, CRI-O) or else by the network namespace it joins.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { RunnableSpec } from '../oci/spec.js';
import type { ContainerRecord } from '../oci/state.js';
import { writeAtomic } from '../util/fs.js';
import { RindError } from '../util/errors.js';
import type { RuntimeContext } from './context.js';

export type PodRole = { role: 'single' } | { role: 'sandbox' } | { role: 'member'; sandbox: string; by: 'annotation' | 'netns' };

const CRI = { type: 'io.kubernetes.cri.container-type', sandbox: 'io.kubernetes.cri.sandbox-id' };
const CRIO = { type: 'io.kubernetes.cri-o.ContainerType', sandbox: 'io.kubernetes.cri-o.SandboxID' };

/** The role the engine's annotations give, if any (pure). */
export function annotatedRole(a: Record<string, string>): PodRole | undefined {
  for (const keys of [CRI, CRIO]) {
    const type = a[keys.type];
    if (type === undefined) continue;
    if (type === 'sandbox') return { role: 'sandbox' };
    if (type !== 'container') throw new RindError(`annotation ${keys.type}=${JSON.stringify(type)}: expected sandbox or container`);
    const sandbox = a[keys.sandbox];
    if (!sandbox) throw new RindError(`annotation ${keys.type}=container without ${keys.sandbox}`);
    return { role: 'member', sandbox, by: 'annotation' };
  }
  return undefined;
}

/** The spec's network namespace path, if it names one. */
export function netnsPath(spec: RunnableSpec): string | undefined {
  return spec.linux?.namespaces?.find((n) => n.type === 'network')?.path || undefined;
}

function indexFile(ctx: RuntimeContext, netns: string): string {
  return join(ctx.store.root, '.netns', createHash('sha256').update(netns).digest('hex').slice(0, 32));
}

/** Remembers that `sandbox` serves the netns at `path` (a container joining it joins the sandbox). */
export function indexNetns(ctx: RuntimeContext, path: string, sandbox: string): void {
  mkdirSync(join(ctx.store.root, '.netns'), { recursive: true, mode: 0o700 });
  writeAtomic(indexFile(ctx, path), sandbox);
}

export function unindexNetns(ctx: RuntimeContext, path: string, sandbox: string): void {
  const f = indexFile(ctx, path);
  try {
    if (readFileSync(f, 'utf8') === sandbox) rmSync(f, { force: true });
  } catch {
    /* not indexed */
  }
}

/** The sandbox serving a netns path, if one is recorded and still has a live container record. */
export function sandboxServing(ctx: RuntimeContext, path: string): string | undefined {
  try {
    const id = readFileSync(indexFile(ctx, path), 'utf8');
    const rec = ctx.store.tryRead(id);
    return rec && rec.sandbox === id && ctx.store.status(rec) !== 'stopped' ? id : undefined;
  } catch {
    return undefined;
  }
}

export function podRole(ctx: RuntimeContext, spec: RunnableSpec): PodRole {
  const annotated = annotatedRole(spec.annotations ?? {});
  if (annotated) return annotated;
  const ns = netnsPath(spec);
  const sandbox = ns && sandboxServing(ctx, ns);
  return sandbox ? { role: 'member', sandbox, by: 'netns' } : { role: 'single' };
}

/** The cid a guest request carries for a container: none for a sandbox's own container. */
export function memberCid(rec: ContainerRecord): string | undefined {
  return rec.sandbox === rec.id ? undefined : rec.id;
}

/** Members are files under the sandbox's dir: adding one never rewrites the sandbox's record. */
export function addMember(ctx: RuntimeContext, sandbox: string, id: string): void {
  mkdirSync(join(ctx.store.dir(sandbox), 'members'), { recursive: true });
  writeAtomic(join(ctx.store.dir(sandbox), 'members', id), '');
}

export function removeMember(ctx: RuntimeContext, sandbox: string, id: string): void {
  rmSync(join(ctx.store.dir(sandbox), 'members', id), { force: true });
}

export function members(ctx: RuntimeContext, sandbox: string): string[] {
  try {
    return readdirSync(join(ctx.store.dir(sandbox), 'members')).filter((n) => !n.includes('.tmp'));
  } catch {
    return [];
  }
}
