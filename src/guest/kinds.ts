// Chooses a sandbox's guest kind, once, from its first container's spec; names kinds in records.
// The only place that knows every kind.
import type { RunnableSpec } from '../oci/spec.js';
import { RindError } from '../util/errors.js';
import type { GuestKind } from './guest.js';
import { linuxGuest } from './linux/index.js';
import { unikernelGuest, unikernelImage } from './unikernel/index.js';

const KINDS: Record<string, GuestKind> = { linux: linuxGuest, unikernel: unikernelGuest };

/** A unikernel image (urunc annotations, runh layout, io.rind.guest=unikernel) or else the Linux guest. */
export function guestKindFor(spec: RunnableSpec, rootfs: string): GuestKind {
  return unikernelImage(spec, rootfs) ? unikernelGuest : linuxGuest;
}

export function guestKindNamed(name: string | undefined): GuestKind {
  const kind = KINDS[name ?? 'linux'];
  if (!kind) throw new RindError(`unknown guest kind ${JSON.stringify(name)} in the sandbox record`);
  return kind;
}
