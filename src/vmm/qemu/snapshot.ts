// Saving and restoring a QEMU VM's device state over QMP (migration to/from a file, RAM left in its file).
// Only device state moves: `x-ignore-shared` keeps the guest RAM in the memory-backend file.
import { join } from 'node:path';
import { QmpClient, openWhenUp } from './qmp.js';

const IGNORE_SHARED = { capabilities: [{ capability: 'x-ignore-shared', state: true }] };

async function waitMigration(q: QmpClient, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const info = (await q.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    if (info.status === 'completed') return;
    if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`migration ${info.status}: ${info['error-desc'] ?? ''}`);
    if (Date.now() > end) throw new Error(`migration still ${info.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 3));
  }
}

/** Stops the VM, writes its device state to `stateFile` and quits QEMU. */
export async function saveState(stateDir: string, stateFile: string, timeoutMs: number): Promise<void> {
  const q = await QmpClient.open(join(stateDir, 'qmp.sock'));
  try {
    await q.execute('stop');
    await q.execute('migrate-set-capabilities', IGNORE_SHARED);
    await q.execute('migrate', { uri: `exec:cat > ${stateFile}` });
    await waitMigration(q, timeoutMs);
    await q.execute('quit').catch(() => undefined);
  } finally {
    q.close();
  }
}

/** Drives a QEMU started with `-incoming defer` through the restore from `stateFile` and resumes it. */
export async function restoreState(stateDir: string, stateFile: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  const q = await openWhenUp(join(stateDir, 'qmp.sock'), end);
  try {
    await q.execute('migrate-set-capabilities', IGNORE_SHARED);
    // no RARP self-announcements after the restore: they are broadcasts every VM on the bridge
    // would be woken for (5 per clone), and the NIC's MAC is the veth's, which the bridge knows
    await q.execute('migrate-set-parameters', { 'announce-rounds': 0 });
    await q.execute('migrate-incoming', { uri: `exec:cat ${stateFile}` });
    await waitMigration(q, Math.max(100, end - Date.now()));
    await q.execute('cont');
  } finally {
    q.close();
  }
}
