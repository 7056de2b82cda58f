// Translates linux.namespaces, the user namespace's id mappings, hostname and domainname into the
// agent's namespace keys (docs/protocol.md "Namespaces"). Pure: paths were resolved by the runtime (NsJoin).
import type { RunnableSpec } from '../../oci/spec.js';
import { RindError } from '../../util/errors.js';
import type { NsJoin } from '../guest.js';

/** The kinds the agent makes or joins for a container (mount: always its own; network: the VM's). */
const GUEST_KINDS = new Set(['pid', 'ipc', 'uts', 'cgroup', 'user']);

interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

function mappingFields(key: 'uidmap' | 'gidmap', list: unknown): string[] {
  if (list === undefined) return [];
  const name = key === 'uidmap' ? 'linux.uidMappings' : 'linux.gidMappings';
  if (!Array.isArray(list)) throw new RindError(`${name}: expected an array`);
  if (list.length > 32) throw new RindError(`${name}: ${list.length} mappings, at most 32`);
  return list.map((m: IdMapping, i) => {
    const ok = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= 0xffffffff;
    if (!m || !ok(m.containerID, 0) || !ok(m.hostID, 0) || !ok(m.size, 1) || m.containerID + m.size > 2 ** 32 || m.hostID + m.size > 2 ** 32)
      throw new RindError(`${name}[${i}]: containerID, hostID and size must be 32-bit ids with size >= 1`);
    return `${key}=${m.containerID},${m.hostID},${m.size}`;
  });
}

/** The namespace keys of a container's create message. */
export function namespaceFields(spec: RunnableSpec, joins: NsJoin[]): string[] {
  const linux = (spec.linux ?? {}) as { namespaces?: { type: string; path?: string }[]; uidMappings?: unknown; gidMappings?: unknown };
  const f: string[] = [];
  const has = new Set<string>();
  for (const ns of linux.namespaces ?? []) {
    if (has.has(ns.type)) throw new RindError(`linux.namespaces: ${ns.type} is given more than once`);
    has.add(ns.type);
    if (ns.type === 'time') throw new RindError('linux.namespaces: time namespaces are not supported by rind');
    if (GUEST_KINDS.has(ns.type) && !ns.path) f.push(`ns=${ns.type}`);
  }
  for (const j of joins) f.push(`nsjoin=${j.type},${j.cid}`);
  const ownUser = has.has('user') && !joins.some((j) => j.type === 'user');
  const maps = [...mappingFields('uidmap', linux.uidMappings), ...mappingFields('gidmap', linux.gidMappings)];
  if (maps.length && !ownUser) throw new RindError('linux.uidMappings/gidMappings are given without a user namespace of its own in linux.namespaces');
  if (ownUser && (!maps.some((m) => m.startsWith('uidmap=')) || !maps.some((m) => m.startsWith('gidmap='))))
    throw new RindError('linux.namespaces has a user namespace: linux.uidMappings and linux.gidMappings are required');
  for (const m of maps) f.push(m);
  const domainname = (spec as { domainname?: unknown }).domainname;
  if (domainname !== undefined && (typeof domainname !== 'string' || domainname.length > 64 || domainname.includes('\0')))
    throw new RindError('domainname: expected a string of at most 64 characters');
  for (const [what, v] of [['hostname', spec.hostname], ['domainname', domainname]] as const)
    if (v && !has.has('uts')) throw new RindError(`${what} is set but linux.namespaces has no uts namespace (runc refuses this too)`);
  if (domainname) f.push(`domainname=${domainname}`);
  return f;
}
