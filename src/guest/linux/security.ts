// The spec's security settings as agent fields (docs/protocol.md "security keys"): capability masks,
// no_new_privs, a compiled seccomp program, masked/read-only paths, sysctls, oom_score_adj, device nodes.
// Translated and checked here, on the host: the agent only applies numbers and paths it is given.
import { RindError } from '../../util/errors.js';
import { compileSeccomp, type OciSeccomp } from './seccomp.js';

/** Linux capability numbers (include/uapi/linux/capability.h, 6.1). */
export const CAPS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6,
  CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10, CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15, CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20, CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25, CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35, CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

export interface OciCapabilities {
  bounding?: string[];
  effective?: string[];
  permitted?: string[];
  inheritable?: string[];
  ambient?: string[];
}

export function capMask(names: string[] | undefined, where: string): string {
  let m = 0n;
  for (const n of names ?? []) {
    const bit = CAPS[n];
    if (bit === undefined) throw new RindError(`${where}: unknown capability ${JSON.stringify(n)}`);
    m |= 1n << BigInt(bit);
  }
  return m.toString(16);
}

/** Capability sets of a process: every set is given (an absent set is empty, as in runc). */
export function capabilityFields(c: OciCapabilities | undefined): string[] {
  if (!c) return [];
  return (['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const).map((k) => `cap_${k}=${capMask(c[k], `process.capabilities.${k}`)}`);
}

export function seccompFields(s: OciSeccomp | undefined): string[] {
  if (!s) return [];
  const c = compileSeccomp(s);
  return [`seccomp=${c.program.toString('base64')}`, `seccomp_flags=${c.flags}`];
}

const SYSCTL_RE = /^[a-z0-9_]+(\.[A-Za-z0-9_*-]+)+$/;

export interface OciDevice {
  path: string;
  type: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

function deviceField(d: OciDevice, i: number): string {
  if (!['c', 'u', 'b', 'p'].includes(d.type)) throw new RindError(`linux.devices[${i}]: type ${JSON.stringify(d.type)} (use c, u, b or p)`);
  if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) throw new RindError(`linux.devices[${i}]: ${d.path} needs major and minor`);
  if (!d.path.startsWith('/dev/') || d.path.split('/').includes('..')) throw new RindError(`linux.devices[${i}]: ${d.path} must be under /dev`);
  const t = d.type === 'u' ? 'c' : d.type;
  return `device=${[d.path, t, d.major ?? 0, d.minor ?? 0, (d.fileMode ?? 0o666).toString(8), d.uid ?? 0, d.gid ?? 0].join('\x1f')}`;
}

export interface LinuxSecurity {
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
  devices?: OciDevice[];
  rootfsPropagation?: string;
  seccomp?: OciSeccomp;
}

const PROPAGATION = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable']);

/** The container-wide settings (create only). */
export function linuxSecurityFields(l: LinuxSecurity | undefined): string[] {
  const f: string[] = [];
  for (const p of l?.maskedPaths ?? []) f.push(`masked=${absPath(p, 'linux.maskedPaths')}`);
  for (const p of l?.readonlyPaths ?? []) f.push(`readonly_path=${absPath(p, 'linux.readonlyPaths')}`);
  for (const [k, v] of Object.entries(l?.sysctl ?? {})) {
    if (!SYSCTL_RE.test(k) || v.includes('\0')) throw new RindError(`linux.sysctl: bad name ${JSON.stringify(k)}`);
    f.push(`sysctl=${k}\x1f${v}`);
  }
  (l?.devices ?? []).forEach((d, i) => f.push(deviceField(d, i)));
  if (l?.rootfsPropagation) {
    if (!PROPAGATION.has(l.rootfsPropagation)) throw new RindError(`linux.rootfsPropagation ${JSON.stringify(l.rootfsPropagation)} is not a propagation type`);
    f.push(`rootfs_propagation=${l.rootfsPropagation}`);
  }
  return f;
}

function absPath(p: string, where: string): string {
  if (!p.startsWith('/') || p.includes('\0') || p.includes('\x1f')) throw new RindError(`${where}: ${JSON.stringify(p)} is not an absolute path`);
  return p;
}

export interface ProcessSecurity {
  capabilities?: OciCapabilities;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

/** The per-process settings (create and exec). */
export function processSecurityFields(p: ProcessSecurity): string[] {
  const f = capabilityFields(p.capabilities);
  if (p.noNewPrivileges) f.push('nnp=1');
  if (p.oomScoreAdj !== undefined) {
    if (!Number.isInteger(p.oomScoreAdj) || p.oomScoreAdj < -1000 || p.oomScoreAdj > 1000) throw new RindError(`process.oomScoreAdj ${p.oomScoreAdj}: must be -1000..1000`);
    f.push(`oom_score_adj=${p.oomScoreAdj}`);
  }
  return f;
}
