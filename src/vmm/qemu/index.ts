// QEMU (microvm machine) behind the Vmm interface: argv from the plan, QMP for pause/resume/snapshot.
// Everything QEMU-specific the runtime needs is reached through this object.
import { join } from 'node:path';
import type { Vmm } from '../vmm.js';
import { qemuArgv } from './argv.js';
import { qmp, qmpWhenUp } from './qmp.js';
import { timeouts } from '../../util/timeouts.js';
import { restoreState, saveState } from './snapshot.js';
import { rindEnv } from '../../util/env.js';
import { need } from '../../util/paths.js';

export const qemuVmm: Vmm = {
  name: 'qemu',
  capabilities: { transports: ['virtio-serial'], shares: ['9p'], snapshot: true, pause: true },
  binary: () => need('QEMU', rindEnv.qemu() ?? '/usr/bin/qemu-system-x86_64', 'install qemu-system-x86'),
  argv: qemuArgv,
  pause: async (stateDir) => void (await qmp(join(stateDir, 'qmp.sock'), 'stop')),
  resume: async (stateDir) => void (await qmpWhenUp(join(stateDir, 'qmp.sock'), 'cont', timeouts.qmpMs)),
  snapshot: saveState,
  restore: restoreState,
};
