// Test helper: a Linux guest's QEMU command line for a spec, composed the way a sandbox does it
// (sizing → guest plan → VMM argv), so tests assert on the flags the VM really gets.
import type { RunnableSpec } from '../../src/oci/spec.js';
import type { Accel } from '../../src/vmm/devices.js';
import { linuxPlan, type Nic } from '../../src/guest/linux/plan.js';
import { qemuArgv } from '../../src/vmm/qemu/argv.js';
import { guestMemoryMiB, guestVcpus } from '../../src/runtime/sizing.js';

export interface PlanCase {
  spec: RunnableSpec;
  accel: Accel;
  kernel: string;
  initramfs: string;
  stateDir: string;
  hostCpus: number;
  tscKhz?: number;
  nics?: Nic[];
  incoming?: boolean;
  memoryFile?: { path: string; share: boolean };
}

export function planVm(c: PlanCase): { qemuArgs: string[]; kernelCmdline: string } {
  const plan = linuxPlan({ ...c, memMiB: guestMemoryMiB(c.spec), vcpus: guestVcpus(c.spec, c.hostCpus) });
  return { qemuArgs: qemuArgv(plan), kernelCmdline: plan.boot!.cmdline };
}
