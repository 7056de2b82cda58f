// The guest-kind seam: what runs inside a sandbox's VM (today: Linux with rind-agent), chosen once per sandbox.
// The runtime asks a kind for its VM plan, its host binds and its container operations, and checks its capabilities.
import type { RunnableSpec } from '../oci/spec.js';
import type { ProcessSpec } from '../oci/spec-schema.js';
import type { Accel, LaunchPlan } from '../vmm/devices.js';
import type { HostBind } from '../vmm/shim.js';
import type { NetConfig } from '../net/discover.js';
import type { Nic } from './linux/plan.js';
import type { GuestChannel } from './linux/agent.js';
import { RindError } from '../util/errors.js';

export type { GuestChannel, Nic };

export interface GuestCapabilities {
  exec: boolean;
  ps: boolean;
  stats: boolean;
  /** VM templates (clones restored from a snapshot of a booted guest) */
  templates: boolean;
  /** several containers in one VM (pods) */
  pods: boolean;
}

/** One guest process, with what `ps` columns are made of (guest pids, ticks of the guest's clock). */
export interface GuestProcess {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  /** the controlling terminal's device number (0: none) */
  ttyNr: number;
  tpgid: number;
  state: string;
  uid: number;
  gid: number;
  /** user + system CPU time, clock ticks */
  cpuTicks: number;
  nice: number;
  threads: number;
  /** clock ticks since the guest booted */
  startTicks: number;
  vszBytes: number;
  rssBytes: number;
  comm: string;
  /** the command line, arguments joined by spaces ('' for a process without one) */
  args: string;
}

/** A container's processes: its pids (its cgroup) and, for those still there, their facts. */
export interface GuestProcs {
  pids: number[];
  procs: GuestProcess[];
  /** clock ticks per second, the guest's clock now (ticks since boot), its RAM */
  hz: number;
  uptimeTicks: number;
  memTotalBytes: number;
}

/** The VM a sandbox needs, before the guest kind turns it into a plan. */
export interface VmShape {
  accel: Accel;
  stateDir: string;
  memMiB: number;
  vcpus: number;
  nics: Nic[];
  /** the engine's network as discovered in the netns (kinds that configure it at boot need it) */
  net: NetConfig;
  /** the sandbox's first container (kinds whose container is the VM's boot image need it) */
  container: PreparedContainer;
  tbSizeMiB?: number;
  tscKhz?: number;
}

/** A container as the guest kind prepared it: host paths to bind into the share, and its guest config. */
export interface PreparedContainer {
  binds: HostBind[];
  config: string[];
  /** an agentless image booted directly (unikernels): host paths and its command line's inputs */
  image?: BootImage;
  /** parts of the spec this kind does not apply: the runtime logs them once (never silently ignored) */
  notes?: string[];
}

/** What an agentless guest boots: a kernel (and initrd) from the container's rootfs, with its arguments. */
export interface BootImage {
  kind: string;
  kernel: string;
  initrd?: string;
  args: string[];
}

export interface GuestStats {
  cpu: { usage: { total: number; user: number; kernel: number } };
  /** oom_kill: processes the guest's OOM killer ended in the container's cgroup */
  memory: { usage: { usage: number; limit: number }; oom_kill?: number };
  pids: { current: number };
  network_interfaces: { name: string; rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }[];
}

/** A guest that came up: what it reported, and the one call that configures its container. */
export interface ReadyGuest {
  kernelRelease: string;
  create(c: PreparedContainer, net: NetConfig): Promise<void>;
  /** lets the guest go without a container (template builds) */
  close(): void;
}

export interface GuestKind {
  readonly name: string;
  readonly capabilities: GuestCapabilities;
  /** how the container's stdio and exit status reach the shim: the agent's io port, or the serial console */
  readonly stdio: 'agent' | 'console';
  /** the minimum guest RAM this kind boots with, MiB */
  readonly minMemMiB: number;
  /** plan of a booted VM; `template` plans keep only what clones share (no taps, io on a socket) */
  plan(shape: VmShape, variant?: { template?: { dir: string }; clone?: { ram: string } }): LaunchPlan;
  /** what a container needs from the host and tells the guest (pure apart from stat'ing bind sources) */
  prepare(spec: RunnableSpec, bundleDir: string, rootfs: string, joins?: NsJoin[]): PreparedContainer;
  /** waits until the guest can take its container */
  ready(ch: GuestChannel, deadline: number, exited: Promise<unknown>): Promise<ReadyGuest>;
  /** `cid` names a pod member; undefined is the sandbox's own container */
  start(ch: GuestChannel, cid?: string): Promise<void>;
  signal(ch: GuestChannel, cid: string | undefined, signo: number, all: boolean, timeoutMs: number): Promise<void>;
  /** `spec`: the container's, for what every process in it gets (its seccomp filter) */
  exec(ch: GuestChannel, cid: string | undefined, port: number, proc: ProcessSpec, spec?: RunnableSpec): Promise<void>;
  /** exec ports a VM of this kind has (exec sessions and pod members share them) */
  readonly execPorts: number;
  ps(ch: GuestChannel, cid?: string): Promise<GuestProcs>;
  stats(ch: GuestChannel, cid?: string): Promise<GuestStats>;
  /** pod members: a container added to a running sandbox, its stdio on exec port `port` */
  createMember(ch: GuestChannel, cid: string, port: number, c: PreparedContainer): Promise<void>;
  pauseMember(ch: GuestChannel, cid: string, pause: boolean): Promise<void>;
  removeMember(ch: GuestChannel, cid: string): Promise<void>;
  /** changes a running container's limits in the guest (`rind update`); returns what it could not apply */
  update(ch: GuestChannel, cid: string | undefined, resources: Record<string, unknown>): Promise<string[]>;
  /** host binds of a member live under this share prefix (`c/<cid>`) */
  prepareMember(spec: RunnableSpec, bundleDir: string, rootfs: string, cid: string, joins?: NsJoin[]): PreparedContainer;
}

/** A namespace a new container joins: that of another container in the same VM ('' = the sandbox's own container). */
export interface NsJoin {
  type: 'pid' | 'ipc' | 'uts' | 'cgroup' | 'user';
  cid: string;
}

/** One clear line when a kind lacks something, instead of a hang or a generic failure. */
export function requireCapability(kind: GuestKind, cap: keyof GuestCapabilities, what: string): void {
  if (!kind.capabilities[cap]) throw new RindError(`${what} is not supported for ${kind.name} containers`);
}
