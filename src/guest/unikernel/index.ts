// The unikernel guest kind: the image's own kernel (Hermit, Unikraft, any PVH ELF) booted directly, no agent.
// Its serial console is the container's stdio and isa-debug-exit its exit code; it starts on `start`.
import { statSync } from 'node:fs';
import type { RunnableSpec } from '../../oci/spec.js';
import type { Device, LaunchPlan } from '../../vmm/devices.js';
import type { GuestKind, PreparedContainer, VmShape } from '../guest.js';
import { RindError } from '../../util/errors.js';
import { resolveInRoot } from '../../util/in-root.js';
import { detectUnikernel, type UnikernelImage } from './image.js';
import { pvhNetHint, unikernelCmdline } from './cmdline.js';

/** fd of the console socketpair in the VMM (rind-shim's console mode) */
export const CONSOLE_FD = 3;
/** fw_cfg file a PVH unikernel reads its network from (docs/unikernels.md) */
export const NET_HINT = 'opt/io.rind/net';

function isFileIn(rootfs: string): (p: string) => boolean {
  return (p) => {
    try {
      return statSync(resolveInRoot(rootfs, p)).isFile();
    } catch {
      return false;
    }
  };
}

/** The unikernel image of a bundle, if it is one (see image.ts for the three styles). */
export function unikernelImage(spec: RunnableSpec, rootfs: string): UnikernelImage | undefined {
  return detectUnikernel(spec.annotations ?? {}, spec.process.args, isFileIn(rootfs));
}

function hostFile(rootfs: string, p: string, what: string): string {
  const host = resolveInRoot(rootfs, p);
  if (!isFileIn(rootfs)(p)) throw new RindError(`unikernel ${what} ${p} is not a file in the rootfs`);
  return host;
}

function prepare(spec: RunnableSpec, _bundleDir: string, rootfs: string): PreparedContainer {
  const img = unikernelImage(spec, rootfs);
  if (!img) throw new RindError('not a unikernel image');
  return {
    binds: [],
    config: [],
    image: { kind: img.type, kernel: hostFile(rootfs, img.kernel, 'kernel'), initrd: img.initrd ? hostFile(rootfs, img.initrd, 'initrd') : undefined, args: img.args },
  };
}

function plan(shape: VmShape): LaunchPlan {
  const image = shape.container.image;
  if (!image) throw new RindError('unikernel sandbox without a boot image');
  const img = { type: image.kind as UnikernelImage['type'], style: 'rind' as const, kernel: image.kernel, args: image.args };
  const hint = image.kind === 'pvh' ? pvhNetHint(shape.net) : undefined;
  const devices: Device[] = [
    { kind: 'console', fd: CONSOLE_FD },
    { kind: 'exit-port' },
    ...shape.nics.map((n): Device => ({ kind: 'nic', mac: n.mac, tap: n.tap })),
    ...(hint ? [{ kind: 'config-blob', name: NET_HINT, value: hint } as Device] : []),
  ];
  return {
    stateDir: shape.stateDir, accel: shape.accel, memMiB: shape.memMiB, vcpus: shape.vcpus, tbSizeMiB: shape.tbSizeMiB,
    boot: { kernel: image.kernel, initramfs: image.initrd, cmdline: unikernelCmdline(img, shape.net) },
    startPaused: true, devices,
  };
}

const unsupported = (what: string) => () => Promise.reject(new RindError(`${what} is not supported for unikernel containers`));

export const unikernelGuest: GuestKind = {
  name: 'unikernel',
  capabilities: { exec: false, ps: false, stats: false, templates: false, pods: false },
  stdio: 'console',
  minMemMiB: 16,
  execPorts: 0,
  plan,
  prepare,
  ready: async () => ({ kernelRelease: '', create: async () => undefined, close: () => undefined }),
  start: (ch) => ch.resume(),
  signal: async (ch, _cid, signo) => ch.stopOnSignal(signo),
  exec: unsupported('exec'),
  ps: unsupported('ps'),
  stats: unsupported('stats'),
  createMember: unsupported('a second container in the VM'),
  pauseMember: unsupported('pausing one container of the VM'),
  removeMember: unsupported('removing one container of the VM'),
  update: unsupported('update'),
  prepareMember: () => {
    throw new RindError('a second container in the VM is not supported for unikernel containers');
  },
};
