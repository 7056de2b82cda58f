// Chooses the accelerator: KVM when a real boot of our guest under KVM works, else TCG.
// The verdict is cached per (kernel, initramfs, host kernel, QEMU); TCG always comes with a warning.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { RindError } from '../util/errors.js';
import { writeAtomic } from '../oci/state.js';
import { fileIdentity, type Artifacts } from './artifacts.js';

export type Accel = 'kvm' | 'tcg';
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

export function cacheDir(): string {
  return process.env.RIND_CACHE ?? '/var/cache/rind';
}

export function parseAccelChoice(value: string | undefined): AccelChoice {
  const v = (value ?? 'auto').toLowerCase();
  if (v === 'kvm' || v === 'tcg' || v === 'auto') return v;
  throw new RindError(`invalid accelerator ${JSON.stringify(value)}: use kvm, tcg or auto`);
}

function verdictKey(a: Artifacts): string {
  const h = createHash('sha256');
  for (const f of [a.kernel, a.initramfs, a.qemu]) h.update(`${fileIdentity(f)}\n`);
  h.update(release());
  return h.digest('hex').slice(0, 16);
}

/** Resolves the accelerator for this call: explicit choice, cached verdict, or a fresh probe. */
export async function resolveAccel(choice: AccelChoice, a: Artifacts): Promise<AccelVerdict & { fresh: boolean }> {
  const key = choice === 'auto' ? verdictKey(a) : 'forced';
  if (choice !== 'auto') return { accel: choice, reason: 'forced by --accel/RIND_ACCEL', key, probedAt: '', fresh: false };
  const file = join(cacheDir(), 'accel.json');
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as AccelVerdict;
    if (cached.key === key && (cached.accel === 'kvm' || cached.accel === 'tcg')) return { ...cached, fresh: false };
  } catch {
    /* no verdict yet */
  }
  const verdict = await probe(a, key);
  mkdirSync(cacheDir(), { recursive: true });
  writeAtomic(file, JSON.stringify(verdict));
  return { ...verdict, fresh: true };
}

async function probe(a: Artifacts, key: string): Promise<AccelVerdict> {
  const probedAt = new Date().toISOString();
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible', key, probedAt };
  }
  const ok = await bootsUnderKvm(a, 8000);
  return ok === true
    ? { accel: 'kvm', reason: 'a probe boot of the guest kernel under KVM succeeded', key, probedAt }
    : { accel: 'tcg', reason: `a probe boot under KVM failed: ${ok}`, key, probedAt };
}

/** Boots the real guest with rind.probe=1 under KVM; true if the agent's marker shows up in time. */
export function bootsUnderKvm(a: Artifacts, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const child = spawn(
      a.qemu,
      [
        '-M', 'microvm,x-option-roms=off,isa-serial=on,rtc=off,acpi=off', '-no-reboot', '-nodefaults', '-no-user-config',
        '-display', 'none', '-serial', 'stdio', '-m', '64M', '-accel', 'kvm', '-cpu', 'host',
        '-kernel', a.kernel, '-initrd', a.initramfs, '-append', 'console=ttyS0 reboot=t panic=-1 quiet rind.probe=1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    let done = false;
    const finish = (v: true | string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(v);
    };
    const timer = setTimeout(() => finish(`no guest marker within ${timeoutMs} ms`), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('RIND-PROBE-OK')) finish(true);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => finish(e.message));
    child.on('exit', () => setTimeout(() => finish(out.includes('RIND-PROBE-OK') ? true : (err.trim().split('\n').pop() ?? 'qemu exited') || 'qemu exited'), 5));
  });
}
