// Read-only reports: `--version` and `features` (OCI runtime features JSON), both naming the accelerator.
// Probing happens here too, so `rind --version` is the cheapest way to see which accelerator is used.
import { resolveAccel, TCG_WARNING } from '../runtime/accel.js';
import type { RuntimeContext } from '../runtime/context.js';
import { writeErr } from '../daemon/context.js';
import { rindEnv } from '../util/env.js';
import { VMM_CAPS } from '../vmm/jail.js';
import { CAPS } from '../guest/linux/security.js';
import { SECCOMP_FILTER_FLAG } from '../guest/linux/seccomp.js';

async function accelLine(ctx: RuntimeContext): Promise<{ accel: string; reason: string }> {
  try {
    const v = await resolveAccel(ctx.accel);
    if (v.accel === 'tcg') writeErr(`rind: ${TCG_WARNING}\n`);
    return { accel: v.accel, reason: v.reason };
  } catch (e) {
    return { accel: 'unknown', reason: (e as Error).message };
  }
}

export async function versionText(ctx: RuntimeContext, version: string): Promise<string> {
  const a = await accelLine(ctx);
  return `rind version ${version}\nspec: 1.0.2\naccelerator: ${a.accel} (${a.reason})\n`;
}

export async function featuresJson(ctx: RuntimeContext): Promise<object> {
  const a = await accelLine(ctx);
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.1.0',
    // all run on the host; createContainer/startContainer too (a VM's namespaces are not on the host)
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'sync', 'async', 'relatime', 'norelatime',
      'strictatime', 'noatime', 'nodiratime', 'bind', 'rbind', 'private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared'],
    linux: {
      // made in the guest (network: the VM's); a path joins a container of the same VM (docs/design.md)
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'user'],
      capabilities: Object.keys(CAPS),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      // compiled on the host to classic BPF for x86_64 and loaded by the agent (src/guest/linux/seccomp.ts)
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
        archs: ['SCMP_ARCH_X86_64'],
        knownFlags: Object.keys(SECCOMP_FILTER_FLAG),
        supportedFlags: Object.keys(SECCOMP_FILTER_FLAG),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: {
      'io.rind.accelerator': a.accel,
      'io.rind.accelerator.reason': a.reason,
      'io.rind.isolation': 'microvm',
      'io.rind.guest.kinds': 'linux,unikernel',
      'io.rind.unikernel.styles': 'io.rind.guest=unikernel,com.urunc.unikernel.*,runh-hermit-layout',
      'io.rind.pods': 'io.kubernetes.cri.container-type,io.kubernetes.cri-o.ContainerType,shared-netns',
      'io.rind.vmm.jail': rindEnv.jail() ? `pid,ipc,uts,mount namespaces; pivot_root; uid ${rindEnv.jailUidBase() > 0 ? 'per sandbox' : '0'}; caps ${VMM_CAPS.join(',')}; no_new_privs; qemu -sandbox on` : 'off (RIND_JAIL=0)',
      'io.rind.unsupported': 'apparmorProfile,selinuxLabel (no LSM in the guest: ignored); checkpoint,restore; --preserve-fds N>0, LISTEN_FDS, time namespaces, idmapped mounts, joining another VM\'s or a host namespace other than network (refused); mkfifo on the 9p rootfs (QEMU 7.2 refuses it)',
      // runc passes host fds into the container (--preserve-fds, systemd's LISTEN_FDS): a VM cannot receive any
      'io.rind.preserveFds': '0 only: a VM cannot receive host file descriptors (--preserve-fds N>0 and LISTEN_FDS are refused)',
    },
  };
}
