// What the Linux guest boots: our kernel and the initramfs holding rind-agent.
// The set-up links them into <repo>/build; RIND_KERNEL / RIND_INITRAMFS override.
import { join } from 'node:path';
import { rindEnv } from '../../util/env.js';
import { need, repoRoot } from '../../util/paths.js';

export interface LinuxArtifacts {
  kernel: string;
  initramfs: string;
}

export function linuxArtifacts(): LinuxArtifacts {
  const build = join(repoRoot(), 'build');
  const hint = 'run `npm run setup` (scripts/setup.sh) first';
  return {
    kernel: need('guest kernel', rindEnv.kernel() ?? join(build, 'vmlinux'), hint),
    initramfs: need('guest initramfs', rindEnv.initramfs() ?? join(build, 'initramfs.cpio'), hint),
  };
}
