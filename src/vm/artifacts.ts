// Locates what a VM is made of: guest kernel, initramfs (agent), the host shim and QEMU.
// The set-up links them into <repo>/build; RIND_KERNEL/RIND_INITRAMFS/RIND_SHIM/RIND_QEMU override.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RindError } from '../util/errors.js';

export interface Artifacts {
  kernel: string;
  initramfs: string;
  shim: string;
  qemu: string;
}

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'rind') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new RindError('cannot find the rind installation (package.json)');
    dir = up;
  }
}

function need(label: string, path: string, hint: string): string {
  if (!existsSync(path)) throw new RindError(`${label} not found at ${path}: ${hint}`);
  return realpathSync(path);
}

export function findArtifacts(): Artifacts {
  const build = join(repoRoot(), 'build');
  const hint = 'run `npm run setup` (scripts/setup.sh) first';
  return {
    kernel: need('guest kernel', process.env.RIND_KERNEL ?? join(build, 'vmlinux'), hint),
    initramfs: need('guest initramfs', process.env.RIND_INITRAMFS ?? join(build, 'initramfs.cpio'), hint),
    shim: need('rind-shim', process.env.RIND_SHIM ?? join(build, 'rind-shim'), hint),
    qemu: need('QEMU', process.env.RIND_QEMU ?? '/usr/bin/qemu-system-x86_64', 'install qemu-system-x86'),
  };
}

/** A file's identity for cache keys: path, size and mtime (one stat). */
export function fileIdentity(path: string): string {
  const st = statSync(path);
  return `${path}:${st.size}:${st.mtimeMs}`;
}
