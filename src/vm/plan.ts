// Turns a validated spec into a VM plan: guest size, vCPUs and the exact QEMU command line.
// Pure (no I/O) so every sizing rule and flag is unit-tested.
import type { RunnableSpec } from '../oci/spec.js';
import type { Accel } from './accel.js';

export const DEFAULT_MEM_MIB = 128;
export const MIN_MEM_MIB = 128; // below this the guest (agent, 10 serial ports, 9p) can run out of memory at boot
export const SHARE_TAG = 'rindshare';
/** virtio-serial ports for concurrent `exec` sessions (rind.exec0..N-1) */
export const EXEC_PORTS = 8;

export interface Nic {
  mac: string;
  tap?: string;
}

export interface VmPlan {
  memMiB: number;
  vcpus: number;
  accel: Accel;
  kernelCmdline: string;
  qemuArgs: string[];
}

export interface PlanInputs {
  spec: RunnableSpec;
  accel: Accel;
  kernel: string;
  initramfs: string;
  stateDir: string;
  hostCpus: number;
  /** the VM's NICs in guest order; a NIC without a tap has no backend (templates) */
  nics?: Nic[];
  /** guest RAM in a file (templates: shared; clones: private copy-on-write) */
  memoryFile?: { path: string; share: boolean };
  /** wait for an incoming migration (clone from a template) */
  incoming?: boolean;
  /** how the io port's host side is attached; default: fd 3 from rind-shim */
  ioChardev?: string;
  tbSizeMiB?: number;
  /** host TSC in kHz: under TCG the guest cannot calibrate it and would tick 100 Hz forever when idle */
  tscKhz?: number;
}

export function guestMemoryMiB(spec: RunnableSpec): number {
  const limit = spec.linux?.resources?.memory?.limit;
  if (limit === undefined || limit <= 0) return DEFAULT_MEM_MIB;
  return Math.max(MIN_MEM_MIB, Math.ceil(limit / (1024 * 1024)));
}

export function countCpuset(cpus: string): number {
  let n = 0;
  for (const part of cpus.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return 0;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return 0;
    n += b - a + 1;
  }
  return n;
}

export function guestVcpus(spec: RunnableSpec, hostCpus: number): number {
  const cpu = spec.linux?.resources?.cpu;
  let n = 1;
  if (cpu?.quota !== undefined && cpu.quota > 0) n = Math.ceil(cpu.quota / (cpu.period && cpu.period > 0 ? cpu.period : 100000));
  else if (cpu?.cpus) n = countCpuset(cpu.cpus) || 1;
  return Math.max(1, Math.min(n, hostCpus, 16));
}

export function planVm(inp: PlanInputs): VmPlan {
  const memMiB = guestMemoryMiB(inp.spec);
  const vcpus = guestVcpus(inp.spec, inp.hostCpus);
  let kernelCmdline = 'console=ttyS0 reboot=t panic=-1 no_timer_check quiet';
  if (inp.accel === 'tcg' && inp.tscKhz) kernelCmdline += ` tsc_early_khz=${inp.tscKhz} tsc=reliable`;
  const accelArgs =
    inp.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', `tcg,tb-size=${inp.tbSizeMiB ?? 8}`, '-cpu', 'max'];
  const s = inp.stateDir;
  const machine = `microvm,x-option-roms=off,isa-serial=on,rtc=off,acpi=off${inp.memoryFile ? ',memory-backend=mem' : ''}`;
  const memArgs = inp.memoryFile
    ? ['-object', `memory-backend-file,id=mem,size=${memMiB}M,mem-path=${inp.memoryFile.path},share=${inp.memoryFile.share ? 'on' : 'off'}`]
    : [];
  const qemuArgs = [
    '-M', machine, ...memArgs,
    '-no-reboot', '-nodefaults', '-no-user-config', '-display', 'none',
    '-serial', `file:${s}/console.log`,
    '-m', `${memMiB}M`, '-smp', String(vcpus),
    ...accelArgs,
    // a clone's guest state comes from the template: QEMU need not read (and keep a copy of) the kernel
    ...(inp.incoming ? [] : ['-kernel', inp.kernel, '-initrd', inp.initramfs, '-append', kernelCmdline]),
    '-qmp', `unix:${s}/qmp.sock,server=on,wait=off`,
    '-device', 'virtio-serial-device,max_ports=16',
    '-chardev', `socket,id=ctl,path=${s}/ctl.sock,server=on,wait=off`,
    '-device', 'virtserialport,chardev=ctl,name=rind.ctl',
    '-chardev', inp.ioChardev ?? 'socket,id=io,fd=3',
    '-device', 'virtserialport,chardev=io,name=rind.io',
    ...Array.from({ length: EXEC_PORTS }, (_, i) => [
      '-chardev', `socket,id=exec${i},path=${s}/exec${i}.sock,server=on,wait=off`,
      '-device', `virtserialport,chardev=exec${i},name=rind.exec${i}`,
    ]).flat(),
    '-fsdev', `local,id=share,path=${s}/share,security_model=none,multidevs=remap`,
    '-device', `virtio-9p-device,fsdev=share,mount_tag=${SHARE_TAG}`,
    '-device', 'virtio-rng-device',
    ...(inp.nics ?? []).flatMap((nic, i) =>
      nic.tap
        ? ['-netdev', `tap,id=net${i},ifname=${nic.tap},script=no,downscript=no`, '-device', `virtio-net-device,netdev=net${i},mac=${nic.mac}`]
        : ['-device', `virtio-net-device,mac=${nic.mac}`],
    ),
    ...(inp.incoming ? ['-incoming', 'defer'] : []),
  ];
  return { memMiB, vcpus, accel: inp.accel, kernelCmdline, qemuArgs };
}
