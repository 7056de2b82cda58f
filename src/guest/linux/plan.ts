// The Linux guest's VM: kernel command line and device list (console, ctl/io/exec ports, 9p share, rng, NICs).
// Pure: the VMM turns the plan into its own flags; nothing here names a VMM option.
import type { Accel, Device, LaunchPlan } from '../../vmm/devices.js';
import { RIND_EXEC_PORTS } from '../../proto/limits.js';

export const SHARE_TAG = 'rindshare';
/** virtio-serial ports for concurrent `exec` sessions (rind.exec0..N-1) */
export const EXEC_PORTS = RIND_EXEC_PORTS;

export interface Nic {
  mac: string;
  tap?: string;
}

export interface LinuxPlanInputs {
  accel: Accel;
  kernel: string;
  initramfs: string;
  stateDir: string;
  memMiB: number;
  vcpus: number;
  nics?: Nic[];
  /** how the io port's host side is attached; default: fd 3 from rind-shim */
  ioSocket?: string;
  memoryFile?: { path: string; share: boolean };
  incoming?: boolean;
  tbSizeMiB?: number;
  /** host TSC in kHz: under TCG the guest cannot calibrate it and would tick 100 Hz forever when idle */
  tscKhz?: number;
}

export function kernelCmdline(accel: Accel, tscKhz?: number): string {
  let line = 'console=ttyS0 reboot=t panic=-1 no_timer_check quiet';
  if (accel === 'tcg' && tscKhz) line += ` tsc_early_khz=${tscKhz} tsc=reliable`;
  return line;
}

export function linuxDevices(inp: LinuxPlanInputs): Device[] {
  const s = inp.stateDir;
  return [
    { kind: 'console', file: `${s}/console.log` },
    { kind: 'port', name: 'rind.ctl', attach: { socket: `${s}/ctl.sock` } },
    { kind: 'port', name: 'rind.io', attach: inp.ioSocket ? { socket: inp.ioSocket } : { fd: 3 } },
    ...Array.from({ length: EXEC_PORTS }, (_, i): Device => ({ kind: 'port', name: `rind.exec${i}`, attach: { socket: `${s}/exec${i}.sock` } })),
    { kind: 'share', tag: SHARE_TAG, path: `${s}/share` },
    { kind: 'rng' },
    ...(inp.nics ?? []).map((n): Device => ({ kind: 'nic', mac: n.mac, tap: n.tap })),
  ];
}

export function linuxPlan(inp: LinuxPlanInputs): LaunchPlan {
  return {
    stateDir: inp.stateDir,
    accel: inp.accel,
    memMiB: inp.memMiB,
    vcpus: inp.vcpus,
    boot: { kernel: inp.kernel, initramfs: inp.initramfs, cmdline: kernelCmdline(inp.accel, inp.tscKhz) },
    memoryFile: inp.memoryFile,
    incoming: inp.incoming,
    devices: linuxDevices(inp),
    tbSizeMiB: inp.tbSizeMiB,
  };
}
