// Translates the OCI process, root and mounts into the agent's `create` message fields
// and the host-side bind list (sources the shim binds into the share). Pure.
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { RunnableSpec } from '../../oci/spec.js';
import type { ProcessSpec } from '../../oci/spec-schema.js';
import { RindError } from '../../util/errors.js';
import type { HostBind } from '../../vmm/shim.js';
import { SHARE_TAG } from './plan.js';
import { CTL_MAX } from './ctl-codec.js';
import { linuxSecurityFields, processSecurityFields, seccompFields, type LinuxSecurity } from './security.js';
import type { OciSeccomp } from './seccomp.js';

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export interface AgentConfig {
  fields: string[];
  binds: HostBind[];
}

export function isBindMount(m: { type?: string; options?: string[] }): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

function limitValue(v: number): string {
  return v >= 2 ** 63 || !Number.isSafeInteger(v) ? '-1' : String(v);
}

/** The process keys shared by `create` and `exec` (docs/protocol.md). */
export function processFields(p: ProcessSpec): string[] {
  const f: string[] = processSecurityFields(p);
  for (const a of p.args) f.push(`arg=${a}`);
  for (const e of p.env ?? []) f.push(`env=${e}`);
  f.push(`cwd=${p.cwd}`, `uid=${p.user.uid}`, `gid=${p.user.gid}`, `gids=${(p.user.additionalGids ?? []).join(',')}`);
  if (p.user.umask !== undefined) f.push(`umask=${p.user.umask}`);
  f.push(`terminal=${p.terminal ? 1 : 0}`);
  if (p.terminal && p.consoleSize) {
    const { height, width } = p.consoleSize;
    if (height > 65535 || width > 65535) throw new RindError(`process.consoleSize: ${height}x${width} (at most 65535 each)`);
    f.push(`console_size=${height},${width}`);
  }
  for (const r of p.rlimits ?? []) {
    const n = RLIMITS[r.type];
    if (n === undefined) throw new RindError(`process.rlimits: unknown type ${r.type}`);
    f.push(`rlimit=${n},${limitValue(r.soft)},${limitValue(r.hard)}`);
  }
  return f;
}

/** `statSource` is injectable so the translation stays testable without a filesystem. */
export function buildAgentConfig(
  spec: RunnableSpec,
  bundleDir: string,
  statSource: (p: string) => { isDir: boolean } | undefined = statPath,
  /** where this container's paths live in the share: '' for a sandbox's own container, `c/<cid>/` for a pod member */
  prefix = '',
): AgentConfig {
  const f: string[] = [`share=${SHARE_TAG}`, `rootfs=${prefix}rootfs`, `readonly=${spec.root.readonly ? 1 : 0}`];
  f.push(`hostname=${spec.hostname ?? ''}`);
  for (const x of processFields(spec.process)) f.push(x); // no spread: 200,000 args must not blow the stack
  for (const x of [...linuxSecurityFields(spec.linux as LinuxSecurity | undefined), ...seccompFields(spec.linux?.seccomp as OciSeccomp | undefined)]) f.push(x);
  const binds: HostBind[] = [];
  for (const m of spec.mounts ?? []) {
    const opts = m.options ?? [];
    if (m.destination.split('/').includes('..')) throw new RindError(`mount ${m.destination}: destination must not contain ..`);
    const mm = m as { uidMappings?: unknown; gidMappings?: unknown };
    if (mm.uidMappings || mm.gidMappings || opts.some((o) => o === 'idmap' || o === 'ridmap'))
      throw new RindError(`mount ${m.destination}: idmapped mounts are not supported by rind (its 9p share maps no ids)`);
    if (isBindMount(m)) {
      if (!m.source) throw new RindError(`mount ${m.destination}: bind mount without a source`);
      const source = isAbsolute(m.source) ? m.source : join(bundleDir, m.source);
      const st = statSource(source);
      if (!st) throw new RindError(`mount ${m.destination}: source ${source} does not exist`);
      const target = `${prefix}binds/${binds.length}`;
      binds.push({ source, target, isDir: st.isDir, readonly: opts.includes('ro') });
      f.push(`mount=${[m.destination, 'bind', target, opts.join(',')].join('\x1f')}`);
    } else {
      f.push(`mount=${[m.destination, m.type ?? 'none', m.source ?? m.type ?? 'none', opts.join(',')].join('\x1f')}`);
    }
  }
  checkSize(f);
  return { fields: f, binds };
}

/** The create message must fit the ctl channel: say which part of the spec is too big, before any VM starts. */
function checkSize(fields: string[]): void {
  let bytes = 0;
  for (const x of fields) bytes += Buffer.byteLength(x) + 1;
  // the host adds network, identity and cid fields (a few KiB at most)
  if (bytes > CTL_MAX - 16 * 1024)
    throw new RindError(`the process (args, env) and mounts take ${bytes} bytes: rind passes at most ${CTL_MAX - 16 * 1024} to the guest`);
}

function statPath(p: string): { isDir: boolean } | undefined {
  try {
    return { isDir: statSync(p).isDirectory() };
  } catch {
    return undefined;
  }
}
