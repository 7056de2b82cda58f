// Every bound rind puts on waiting for another process (guest, VMM, shim), named in one place.
// Under TCG on a loaded host the guest can be slow: bounds are generous, a dead peer is noticed early.
import { rindEnv } from './env.js';
import { RindError } from './errors.js';

export const timeouts = {
  /** plain boot until the agent answers */
  bootMs: (accel: string): number => rindEnv.bootTimeoutMs() ?? (accel === 'kvm' ? 10_000 : 60_000),
  /** a clone: QEMU start, restore from the template and the agent's answer */
  cloneMs: 15_000,
  /** a live guest's reply to a request */
  agentReplyMs: (): number => rindEnv.agentTimeoutMs() ?? 30_000,
  /** SIGKILL has a fallback (kill the VM): it need not wait long for a slow guest */
  agentKillMs: 5_000,
  /** the agent's reply to exec (a process is forked) */
  agentExecMs: 15_000,
  /** rind-shim's ready report (its set-up and the VMM's exec; a shim frozen in its cgroup never sends it) */
  shimReadyMs: 20_000,
  /** a VMM's or shim's exit after it was told to stop */
  stopMs: 3_000,
  /** the KVM probe boot */
  kvmProbeMs: 8_000,
  /** saving a template's device state */
  snapshotMs: 30_000,
  /** one QMP command */
  qmpMs: 5_000,
};

/** `p`, or a RindError with `message` once `ms` have passed; `onLate` runs first (to end what is stuck). */
export async function within<T>(p: Promise<T>, ms: number, message: string, onLate?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate?.();
      reject(new RindError(message));
    }, ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
