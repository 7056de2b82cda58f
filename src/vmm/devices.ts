// The VMM-neutral description of a VM: machine size, boot source and a typed list of devices.
// Guest kinds produce it, a VMM turns it into its own command line; no VMM flag appears here.
export type Accel = 'kvm' | 'tcg';

/** How the host side of a guest channel is attached. */
export type Attach = { socket: string } | { fd: number };

export type Device =
  /** the guest's serial console, written to a file or to the VMM's stdout */
  | { kind: 'console'; file?: string }
  /** a named host<->guest byte channel (virtio-serial port on QEMU) */
  | { kind: 'port'; name: string; attach: Attach }
  /** a host directory the guest mounts by tag */
  | { kind: 'share'; tag: string; path: string }
  | { kind: 'rng' }
  /** a NIC with the guest-visible MAC; without a tap it has no backend (templates) */
  | { kind: 'nic'; mac: string; tap?: string }
  /** a port the guest writes its exit code to (unikernels) */
  | { kind: 'exit-port' };

export interface LaunchPlan {
  stateDir: string;
  accel: Accel;
  memMiB: number;
  vcpus: number;
  /** what the VM boots; absent for a VM restored from a snapshot */
  boot?: { kernel: string; initramfs?: string; cmdline: string };
  /** guest RAM in a file (templates: shared; clones: private copy-on-write) */
  memoryFile?: { path: string; share: boolean };
  /** wait for a snapshot to be restored instead of running */
  incoming?: boolean;
  devices: Device[];
  /** TCG translation cache, MiB */
  tbSizeMiB?: number;
}
