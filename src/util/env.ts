// Every RIND_* environment variable rind reads, in one place (the README lists them).
// Values are read when asked for, never cached at import, so tests can set them per call; in the daemon
// they are the caller's (daemon/context), not the daemon's own.
import { callEnv } from '../daemon/context.js';

const positive = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

export const rindEnv = {
  /** cache of builds, templates and the accelerator verdict */
  cache: (): string => callEnv().RIND_CACHE ?? '/var/cache/rind',
  /** kvm | tcg | auto (the --accel flag wins) */
  accel: (): string | undefined => callEnv().RIND_ACCEL,
  kernel: (): string | undefined => callEnv().RIND_KERNEL,
  initramfs: (): string | undefined => callEnv().RIND_INITRAMFS,
  shim: (): string | undefined => callEnv().RIND_SHIM,
  qemu: (): string | undefined => callEnv().RIND_QEMU,
  /** how long a plain boot may take until the agent answers */
  bootTimeoutMs: (): number | undefined => positive(callEnv().RIND_BOOT_TIMEOUT_MS),
  /** how long a live guest may take to answer a request */
  agentTimeoutMs: (): number | undefined => positive(callEnv().RIND_AGENT_TIMEOUT_MS),
  /** TCG translation cache per VM, MiB */
  tbSizeMiB: (): number | undefined => positive(callEnv().RIND_TB_SIZE_MIB),
  /** RIND_TEMPLATES=0 boots every VM instead of cloning it from a template */
  templates: (): boolean => callEnv().RIND_TEMPLATES !== '0',
  /** a pod's guest RAM and vCPUs when the engine's annotations do not size it */
  podMemMiB: (): number | undefined => positive(callEnv().RIND_POD_MEM_MIB),
  podVcpus: (): number | undefined => positive(callEnv().RIND_POD_VCPUS),
  /** RIND_JAIL=0 runs VMMs unconfined (as root with every capability): for debugging only */
  jail: (): boolean => callEnv().RIND_JAIL !== '0',
  /** the host uids jailed VMMs run as: RIND_JAIL_UID_BASE .. +RIND_JAIL_UIDS-1 (RIND_JAIL_UID_BASE=0: stay root, capabilities dropped) */
  jailUidBase: (): number => { const v = callEnv().RIND_JAIL_UID_BASE; return v === undefined ? 4_000_000 : Number(v); },
  jailUids: (): number => positive(callEnv().RIND_JAIL_UIDS) ?? 65_536,
  /** `run` appends one JSON line of phase timings here (benchmarks) */
  timingsFile: (): string | undefined => callEnv().RIND_TIMINGS_FILE,
  /** RIND_NO_DAEMON=1: bin/rind runs the Node CLI itself (read by the C client; listed here for the README) */
  noDaemon: (): boolean => callEnv().RIND_NO_DAEMON === '1',
  /** how long the per-root daemon stays up without a call (read by the daemon at start) */
  daemonIdleMs: (): number | undefined => positive(callEnv().RIND_DAEMON_IDLE_MS),
};
