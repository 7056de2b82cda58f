// The VMM-neutral description of a VM: machine size, boot source and a typed list of devices.
// Guest kinds produce it, a VMM turns it into its own command line; no VMM flag appears here.
export type Accel = 'kvm' | 'tcg';

/** How the host side of a guest channel is attached. */
export type Attach = { socket: string } | { fd: number };

export type Device =
  /** the guest's serial console: written to a file, to the VMM's stdout, or attached to a host fd (both ways) */
  | { kind: 'console'; file?: string; fd?: number }
  /** a named host<->guest byte channel (virtio-serial port on QEMU) */
  | { kind: 'port'; name: string; attach: Attach }
  /** a host directory the guest mounts by tag */
  | { kind: 'share'; tag: string; path: string }
  | { kind: 'rng' }
  /** a NIC with the guest-visible MAC; without a tap it has no backend (templates) */
  | { kind: 'nic'; mac: string; tap?: string }
  /** a port the guest writes its exit code to (unikernels) */
  | { kind: 'exit-port' }
  /** a named blob the guest can read from the VMM's configuration interface (QEMU fw_cfg) */
  | { kind: 'config-blob'; name: string; value: string };

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
  /** start with the vCPUs stopped: the VM runs on the VMM's resume (agentless guests run on `start`) */
  startPaused?: boolean;
  devices: Device[];
  /** TCG translation cache, MiB */
  tbSizeMiB?: number;
}
