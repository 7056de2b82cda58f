// Resolves the namespace paths of a spec: which are another rind container's (joined in the guest, if that
// container runs in the same VM) and which are the host's (only the network namespace can be). No guest calls.
import { closeSync, openSync, readlinkSync, statfsSync } from 'node:fs';
import type { RunnableSpec } from '../oci/spec.js';
import type { ContainerRecord } from '../oci/state.js';
import type { NsJoin } from '../guest/guest.js';
import { isSameProcess } from '../host/proc.js';
import { RindError } from '../util/errors.js';
import type { RuntimeContext } from './context.js';

/** The kernel's name (/proc/PID/ns/<name>) of each OCI namespace type. */
const KERNEL_NAME: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

const NSFS_MAGIC = 0x6e736673;

/**
 * The kind of namespace a path holds ("ipc", "net", …), or one clear line. A bind-mounted namespace
 * file (/run/netns/x) names its mount point, not its kind: undefined (setns checks the kind when joining).
 */
export function namespaceKindAt(path: string, type: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new RindError(`linux.namespaces: ${type} path ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const m = /^([a-z_]+):\[\d+\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
    if (m) return m[1].replace(/_for_children$/, '');
    if (statfsSync(path).type === NSFS_MAGIC) return undefined;
    throw new RindError(`linux.namespaces: ${type} path ${path} is not a namespace`);
  } finally {
    closeSync(fd);
  }
}

/** The live rind container whose waitable pid is `pid`, if any. */
function containerWithPid(ctx: RuntimeContext, pid: number): ContainerRecord | undefined {
  for (const id of ctx.store.ids()) {
    const rec = ctx.store.tryRead(id);
    if (rec?.shimPid === pid && isSameProcess(rec.shimPid, rec.shimStartTime)) return rec;
  }
  return undefined;
}

/**
 * The namespaces a container joins, for a container going into `vm` (a running sandbox's id) or into a
 * VM of its own (undefined). Each path is checked to hold its type; a path to a rind container's process
 * (/proc/<its pid>/ns/<kind>, as engines give for pods) names that container's namespace in the guest.
 */
export function resolveNamespaceJoins(ctx: RuntimeContext, spec: RunnableSpec, vm: string | undefined): NsJoin[] {
  const joins: NsJoin[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path) continue;
    const kind = namespaceKindAt(ns.path, ns.type);
    if (kind !== undefined && kind !== KERNEL_NAME[ns.type]) throw new RindError(`linux.namespaces: ${ns.path} is a ${kind} namespace, not ${ns.type}`);
    if (ns.type === 'network') continue; // the VM sits in it (runtime/sandbox.ts)
    const m = /^\/proc\/(\d+)\/ns\/[a-z_]+$/.exec(ns.path);
    const holder = m ? containerWithPid(ctx, Number(m[1])) : undefined;
    if (!holder)
      throw new RindError(`linux.namespaces: the ${ns.type} namespace at ${ns.path} is a host namespace: a VM can join only the host's network namespace, or namespaces of containers in its own VM`);
    if (holder.sandbox !== vm) throw new RindError(`linux.namespaces: ${ns.path} is the ${ns.type} namespace of container ${holder.id}, which runs in another VM`);
    if (ns.type === 'mount' || ns.type === 'time') throw new RindError(`linux.namespaces: joining another container's ${ns.type} namespace is not supported`);
    joins.push({ type: ns.type as NsJoin['type'], cid: holder.id === holder.sandbox ? '' : holder.id });
  }
  return joins;
}
