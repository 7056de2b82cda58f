// Chooses the accelerator: KVM when a real boot of our guest under KVM works, else TCG.
// The verdict is cached per (kernel, initramfs, host kernel, QEMU); TCG always comes with a warning.
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { RindError } from '../util/errors.js';
import { fileIdentity, writeAtomic } from '../util/fs.js';
import { cacheDir } from '../util/paths.js';
import type { Accel, LaunchPlan } from '../vmm/devices.js';
import { defaultVmm } from '../vmm/vmm.js';
import { shimBinary, startVmm, stopVmm, vmLastWords, type ShimHandle } from '../vmm/shim.js';
import { jailFor, sharedJailUid } from '../vmm/jail.js';
import { linuxArtifacts } from '../guest/linux/artifacts.js';
import { timeouts } from '../util/timeouts.js';

export type { Accel };
export type AccelChoice = Accel | 'auto';

export const TCG_WARNING =
  'WARNING: KVM is not usable on this host; rind is running microVMs under QEMU TCG emulation. ' +
  'TCG is NOT a security boundary (QEMU security policy): do not run untrusted workloads this way.';

export interface AccelVerdict {
  accel: Accel;
  reason: string;
  key: string;
  probedAt: string;
}

export function parseAccelChoice(value: string | undefined): AccelChoice {
  const v = (value ?? 'auto').toLowerCase();
  if (v === 'kvm' || v === 'tcg' || v === 'auto') return v;
  throw new RindError(`invalid accelerator ${JSON.stringify(value)}: use kvm, tcg or auto`);
}

function verdictKey(): string {
  const a = linuxArtifacts();
  const h = createHash('sha256');
  for (const f of [a.kernel, a.initramfs, defaultVmm().binary()]) h.update(`${fileIdentity(f)}\n`);
  h.update(release());
  return h.digest('hex').slice(0, 16);
}

/** Resolves the accelerator for this call: explicit choice, cached verdict, or a fresh probe. */
export async function resolveAccel(choice: AccelChoice): Promise<AccelVerdict & { fresh: boolean }> {
  const key = choice === 'auto' ? verdictKey() : 'forced';
  if (choice !== 'auto') return { accel: choice, reason: 'forced by --accel/RIND_ACCEL', key, probedAt: '', fresh: false };
  const file = join(cacheDir(), 'accel.json');
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as AccelVerdict;
    if (cached.key === key && (cached.accel === 'kvm' || cached.accel === 'tcg')) return { ...cached, fresh: false };
  } catch {
    /* no verdict yet */
  }
  const verdict = await probe(key);
  mkdirSync(cacheDir(), { recursive: true });
  writeAtomic(file, JSON.stringify(verdict));
  return { ...verdict, fresh: true };
}

async function probe(key: string): Promise<AccelVerdict> {
  const probedAt = new Date().toISOString();
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible', key, probedAt };
  }
  const ok = await bootsUnderKvm(timeouts.kvmProbeMs);
  return ok === true
    ? { accel: 'kvm', reason: 'a probe boot of the guest kernel under KVM succeeded', key, probedAt }
    : { accel: 'tcg', reason: `a probe boot under KVM failed: ${ok}`, key, probedAt };
}

/** Boots the real guest with rind.probe=1 under KVM, through rind-shim; true if the agent's marker shows up in time. */
export async function bootsUnderKvm(timeoutMs: number): Promise<true | string> {
  const dir = mkdtempSync(join(tmpdir(), 'rind-kvm-probe-'));
  try {
    const a = linuxArtifacts();
    const plan: LaunchPlan = {
      stateDir: dir, accel: 'kvm', memMiB: 64, vcpus: 1, devices: [{ kind: 'console' }],
      boot: { kernel: a.kernel, initramfs: a.initramfs, cmdline: 'console=ttyS0 reboot=t panic=-1 quiet rind.probe=1' },
    };
    const vmm = defaultVmm();
    const h = await startVmm({ shim: shimBinary(), binary: vmm.binary(), argv: vmm.argv(plan), stateDir: dir, vmmOnly: true, stdio: 'pipe', jail: jailFor(plan, sharedJailUid()) }, true, 'the KVM probe');
    try {
      return await watchForMarker(h, dir, timeoutMs);
    } finally {
      await stopVmm(dir, h.pid, h.startTime);
    }
  } catch (e) {
    return (e as Error).message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function watchForMarker(h: ShimHandle, dir: string, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(`no guest marker within ${timeoutMs} ms`), timeoutMs);
    const done = (v: true | string) => {
      clearTimeout(timer);
      resolve(v);
    };
    h.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('RIND-PROBE-OK')) done(true);
    });
    void h.exited.then(() => setTimeout(() => done(out.includes('RIND-PROBE-OK') ? true : vmLastWords(dir) || 'qemu exited'), 5));
  });
}
