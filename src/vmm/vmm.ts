// The VMM seam: what the runtime asks of a virtual machine monitor, whichever it is.
// A VMM turns a LaunchPlan into a binary + argv that rind-shim starts, and controls the running VM.
import type { LaunchPlan } from './devices.js';
import { qemuVmm } from './qemu/index.js';

export interface VmmCapabilities {
  /** host<->guest channel kinds it can offer */
  transports: readonly 'virtio-serial'[];
  /** directory share kinds it can offer */
  shares: readonly '9p'[];
  /** save and restore (templates) */
  snapshot: boolean;
  pause: boolean;
}

export interface Vmm {
  readonly name: string;
  readonly capabilities: VmmCapabilities;
  /** the VMM binary rind-shim executes */
  binary(): string;
  argv(plan: LaunchPlan): string[];
  pause(stateDir: string): Promise<void>;
  resume(stateDir: string): Promise<void>;
  /** saves a running VM's device state to `stateFile` (its RAM stays in the plan's memory file) and ends it */
  snapshot(stateDir: string, stateFile: string, timeoutMs: number): Promise<void>;
  /** brings a VM launched with `incoming` to the state in `stateFile` and runs it */
  restore(stateDir: string, stateFile: string, timeoutMs: number): Promise<void>;
}

/** The one VMM rind drives; the seam is where another would be chosen. */
export function defaultVmm(): Vmm {
  return qemuVmm;
}
