// The jail every VMM runs in, as rind-shim flags (native/shim/README.md: jail.c): own pid/ipc/uts/mount
// namespaces, pivot_root into <state>/jail, an unprivileged uid, four capabilities, no_new_privs, rlimits.
import { existsSync } from 'node:fs';
import type { LaunchPlan } from './devices.js';
import { rindEnv } from '../util/env.js';

/** What 9p (security_model=none) needs to keep ownership semantics; no CAP_MKNOD: the guest cannot make host device nodes. */
export const VMM_CAPS = ['chown', 'dac_override', 'fowner', 'fsetid'];

export interface JailSpec {
  stateDir: string;
  /** files the VMM reads from outside its state dir (kernel, initramfs, a unikernel image) */
  readOnly: string[];
  /** files it must open read-write (a template's RAM: QEMU opens mem-path O_RDWR even with share=off) */
  writable: string[];
  /** the VMM opens taps (/dev/net/tun) or KVM (/dev/kvm) */
  tun: boolean;
  kvm: boolean;
  /** unprivileged uid/gid, or undefined to stay root with the capability list */
  uid?: number;
  /** the guest RAM in MiB */
  memMiB: number;
}

export function jailArgs(j: JailSpec): string[] {
  const args = ['--jail-ns', 'pid,ipc,uts', '--jail-root', `${j.stateDir}/jail`];
  for (const p of j.readOnly) args.push('--jail-path-ro', p);
  for (const p of j.writable) args.push('--jail-path', p);
  if (j.tun && existsSync('/dev/net/tun')) args.push('--jail-path', '/dev/net/tun');
  if (j.kvm && existsSync('/dev/kvm')) args.push('--jail-path', '/dev/kvm');
  // no fsize limit: QEMU writes the guest's files through 9p, and a container may write big files; what bounds
  // the disk is the engine's storage for the rootfs and volumes (docs/design.md)
  args.push('--rlimit', 'nofile=4096', '--rlimit', 'core=0');
  args.push('--jail-caps', VMM_CAPS.join(','));
  if (j.uid !== undefined) args.push('--jail-uid', String(j.uid), '--jail-gid', String(j.uid));
  args.push('--no-new-privs');
  return args;
}

/** The jail of a launch plan: what its VMM must reach outside its state dir. */
export function jailFor(plan: LaunchPlan, uid: number | undefined): JailSpec | undefined {
  if (!rindEnv.jail()) return undefined;
  const outside = (p: string) => !p.startsWith(`${plan.stateDir}/`);
  const boot = plan.boot && !plan.incoming ? [plan.boot.kernel, plan.boot.initramfs].filter((p): p is string => Boolean(p)) : [];
  const ram = plan.memoryFile && outside(plan.memoryFile.path) ? [plan.memoryFile.path] : [];
  return {
    stateDir: plan.stateDir, readOnly: boot.filter(outside), writable: ram, memMiB: plan.memMiB, uid,
    tun: plan.devices.some((d) => d.kind === 'nic' && d.tap), kvm: plan.accel === 'kvm',
  };
}

/** The uid of VMMs that belong to no sandbox (template builds, the KVM probe): the range's base. */
export function sharedJailUid(): number | undefined {
  const base = rindEnv.jailUidBase();
  return base > 0 ? base : undefined;
}
