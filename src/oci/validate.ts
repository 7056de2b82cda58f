// The checks runc makes of a config.json beyond its shape (libcontainer's validator and specconv), run when a bundle loads.
// Rules over the spec (checkSpec) and the rootfs facts runc checks (checkRootfs): one-line RindErrors before any VM work, nothing made.
import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import type { Spec } from './spec-schema.js';
import { RindError } from '../util/errors.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function refuse(where: string, what: string): never {
  throw new RindError(`${where}: ${what}`);
}

/** setrlimit(2)'s resources (the names runtime-spec allows for Linux). */
export const RLIMIT_TYPES = new Set([
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE',
  'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
]);

/** runtime-spec: an unknown type is an error, and so is a type given twice; soft above hard cannot be set. */
function checkRlimits(rlimits: Array<{ type: string; soft: number; hard: number }> | undefined, where: string): void {
  const seen = new Set<string>();
  for (const r of rlimits ?? []) {
    if (!RLIMIT_TYPES.has(r.type)) refuse(where, `unknown rlimit type ${r.type}`);
    if (seen.has(r.type)) refuse(where, `rlimit ${r.type} is given more than once`);
    seen.add(r.type);
    if (r.soft > r.hard) refuse(where, `rlimit ${r.type}: soft limit ${r.soft} is above the hard limit ${r.hard}`);
  }
}

const SCHED_POLICIES = new Set(['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE']);

/** runc's scheduler rules (sched_setattr(2)). */
function checkScheduler(s: Obj | undefined): void {
  if (!s) return;
  const w = 'process.scheduler';
  const policy = s.policy;
  if (typeof policy !== 'string' || !policy) refuse(w, 'policy is required');
  if (!SCHED_POLICIES.has(policy)) refuse(w, `unknown policy ${JSON.stringify(policy)}`);
  const nice = num(s.nice) ?? 0;
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) refuse(w, `nice ${String(s.nice)} is not in -20..19`);
  if ((num(s.priority) ?? 0) !== 0 && policy !== 'SCHED_FIFO' && policy !== 'SCHED_RR') refuse(w, 'priority is only for SCHED_FIFO or SCHED_RR');
  if (policy !== 'SCHED_DEADLINE' && ['runtime', 'deadline', 'period'].some((k) => (num(s[k]) ?? 0) !== 0))
    refuse(w, 'runtime, deadline and period are only for SCHED_DEADLINE');
}

function checkIoPriority(p: Obj | undefined): void {
  if (!p) return;
  if (!['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'].includes(p.class as string))
    refuse('process.ioPriority', `unknown class ${JSON.stringify(p.class)} (use IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)`);
  const prio = num(p.priority) ?? 0;
  if (!Number.isInteger(prio) || prio < 0 || prio > 7) refuse('process.ioPriority', `priority ${String(p.priority)} is not in 0..7`);
}

/** The process rules `create` and `exec` share (an exec's process.json is a process too). */
export function checkProcess(p: Obj, where = 'process'): void {
  checkRlimits(p.rlimits as Array<{ type: string; soft: number; hard: number }> | undefined, `${where}.rlimits`);
  checkScheduler(obj(p.scheduler));
  checkIoPriority(obj(p.ioPriority));
}

// ---- sysctls: only what a namespace the container has of its own isolates (runc's list) ----

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** sysctl(8) allows `/` as the separator when the first separator is `/`: net/ipv4/ip_forward is net.ipv4.ip_forward. */
export function sysctlDots(name: string): string {
  const i = name.search(/[./]/);
  if (i < 0 || name[i] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

function checkSysctls(sysctl: Record<string, string> | undefined, namespaces: Set<string>): void {
  for (const raw of Object.keys(sysctl ?? {})) {
    const s = sysctlDots(raw);
    const w = `linux.sysctl ${JSON.stringify(raw)}`;
    if (IPC_SYSCTLS.has(s) || s.startsWith('fs.mqueue.')) {
      if (!namespaces.has('ipc')) refuse(w, 'needs an ipc namespace of its own (not the host\'s)');
      continue;
    }
    if (s.startsWith('net.')) {
      if (!namespaces.has('network')) refuse(w, 'needs a network namespace of its own (not the host\'s)');
      continue;
    }
    if (namespaces.has('uts') && s === 'kernel.domainname') continue;
    if (namespaces.has('uts') && s === 'kernel.hostname') refuse(w, 'conflicts with the spec\'s hostname field (set that instead)');
    refuse(w, 'is not in a separate kernel namespace: it would set the whole (guest) kernel');
  }
}

// ---- linux.resources: values no cgroup accepts (runc fails writing them, or refuses them first) ----

/** -1 is "unlimited", 0 "unset"; anything lower is no value */
function atLeastMinusOne(v: number | undefined, where: string): void {
  if (v !== undefined && v < -1) refuse(where, `${v} is invalid (use -1 for unlimited, or a positive value)`);
}

function checkMemory(m: Obj | undefined): void {
  if (!m) return;
  const w = 'linux.resources.memory';
  const limit = num(m.limit);
  const swap = num(m.swap);
  atLeastMinusOne(limit, `${w}.limit`);
  atLeastMinusOne(num(m.reservation), `${w}.reservation`);
  atLeastMinusOne(swap, `${w}.swap`);
  // runc's conversion (memory+swap → cgroup v2 swap): a swap limit needs a memory limit no bigger than it
  if (swap !== undefined && swap > 0) {
    if (limit === undefined || limit <= 0) refuse(`${w}.swap`, `${swap} is set without a memory limit (swap is the memory+swap limit)`);
    if (swap < limit) refuse(`${w}.swap`, `${swap} is below memory.limit ${limit} (swap is the memory+swap limit, at least the memory limit)`);
  }
  const swappiness = num(m.swappiness);
  if (swappiness !== undefined && (swappiness < 0 || swappiness > 100)) refuse(`${w}.swappiness`, `${swappiness} is not in 0..100`);
}

/** a cpuset list: "0-3,5"; every range low to high */
function checkCpuList(v: unknown, where: string): void {
  if (typeof v !== 'string' || v === '') return;
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) refuse(where, `${JSON.stringify(v)} is not a list like 0-3,5`);
  }
}

function checkCpu(c: Obj | undefined): void {
  if (!c) return;
  const w = 'linux.resources.cpu';
  const quota = num(c.quota);
  const period = num(c.period);
  atLeastMinusOne(quota, `${w}.quota`);
  // the kernel's CFS bounds: a period of 1 ms..1 s, a quota of at least 1 ms
  if (quota !== undefined && quota > 0 && quota < 1000) refuse(`${w}.quota`, `${quota} µs is below the kernel's minimum of 1000 µs`);
  if (period !== undefined && period !== 0 && (period < 1000 || period > 1_000_000)) refuse(`${w}.period`, `${period} µs is not in 1000..1000000 µs`);
  checkCpuList(c.cpus, `${w}.cpus`);
  checkCpuList(c.mems, `${w}.mems`);
}

function checkBlockIo(b: Obj | undefined): void {
  if (!b) return;
  const w = 'linux.resources.blockIO';
  const weight = (v: unknown, where: string) => {
    const n = num(v);
    if (n !== undefined && n !== 0 && (n < 10 || n > 1000)) refuse(where, `${n} is not in 10..1000`);
  };
  weight(b.weight, `${w}.weight`);
  weight(b.leafWeight, `${w}.leafWeight`);
  for (const [i, d] of (Array.isArray(b.weightDevice) ? b.weightDevice : []).entries()) {
    weight(obj(d)?.weight, `${w}.weightDevice[${i}].weight`);
    weight(obj(d)?.leafWeight, `${w}.weightDevice[${i}].leafWeight`);
  }
}

/** runc: every device rule has an access string of r, w, m; its type is a, b or c. */
function checkDeviceRules(devices: unknown): void {
  for (const [i, d] of (Array.isArray(devices) ? devices : []).entries()) {
    const r = obj(d) ?? {};
    const w = `linux.resources.devices[${i}]`;
    if (r.type !== undefined && !['a', 'b', 'c'].includes(r.type as string)) refuse(w, `type ${JSON.stringify(r.type)} (use a, b or c)`);
    if (typeof r.access !== 'string' || !/^[rwm]+$/.test(r.access)) refuse(w, `access ${JSON.stringify(r.access ?? '')} (use a combination of r, w and m)`);
  }
}

/** Also for `rind update --resources`: the same values are invalid there. */
export function checkResources(r: Obj | undefined): void {
  if (!r) return;
  checkMemory(obj(r.memory));
  checkCpu(obj(r.cpu));
  atLeastMinusOne(num(obj(r.pids)?.limit), 'linux.resources.pids.limit');
  checkBlockIo(obj(r.blockIO));
  checkDeviceRules(r.devices);
}

function checkMounts(mounts: Spec['mounts']): void {
  for (const [i, m] of (mounts ?? []).entries()) {
    // runc: "mount field contains null byte" (the schema already keeps NUL out of source)
    if (m.destination.includes('\0') || (m.type ?? '').includes('\0')) refuse(`mounts[${i}]`, 'destination or type contains a NUL byte');
  }
}

/** The rules over the spec itself (no filesystem): called for every config.json rind loads. */
export function checkSpec(spec: Spec): void {
  if (spec.process) checkProcess(spec.process as unknown as Obj);
  checkMounts(spec.mounts);
  const linux = spec.linux as Obj | undefined;
  if (!linux) return;
  const namespaces = new Set((spec.linux?.namespaces ?? []).map((n) => n.type));
  checkSysctls(spec.linux?.sysctl, namespaces);
  checkResources(obj(linux.resources));
  const personality = obj(linux.personality);
  if (personality && !['LINUX', 'LINUX32'].includes(personality.domain as string))
    refuse('linux.personality', `domain ${JSON.stringify(personality.domain)} (use LINUX or LINUX32)`);
}

// ---- the rootfs (runc's rootfs check, and its refusal to mount proc or sysfs over anything but a directory) ----

/**
 * `bundleDir`'s rootfs, as runc resolves it (a relative root.path is under the bundle's real path): it must exist and
 * be no symlink, nor lie under one. A proc or sysfs mount's destination, when it exists, must be a plain directory:
 * mounted through a symlink it could land outside the rootfs.
 */
export function checkRootfs(spec: Spec & { root: { path: string } }, bundleDir: string): void {
  const given = spec.root.path;
  let real: string;
  let expected: string;
  try {
    expected = isAbsolute(given) ? normalize(given) : join(realpathSync(bundleDir), given);
    real = realpathSync(expected);
  } catch {
    throw new RindError(`bundle ${bundleDir}: root.path ${resolve(bundleDir, given)} does not exist`);
  }
  if (real !== expected.replace(/(.)\/+$/, '$1'))
    throw new RindError(`bundle ${bundleDir}: root.path ${expected} is a symlink or lies under one (its real path is ${real}): give the real path`);
  for (const m of spec.mounts ?? []) {
    if (m.type !== 'proc' && m.type !== 'sysfs') continue;
    const at = join(real, normalize(m.destination));
    let st;
    try {
      st = lstatSync(at);
    } catch {
      continue; // made as a directory in the guest
    }
    if (!st.isDirectory())
      throw new RindError(`mount ${m.destination} (${m.type}): ${at} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}: ${m.type} is mounted only on a plain directory (through a symlink it could land outside the rootfs)`);
  }
}
