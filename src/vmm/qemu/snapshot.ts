// Saving and restoring a QEMU VM's device state over QMP (migration to/from a file, RAM left in its file).
// The stream goes over a unix socket rind serves, never `exec:` (QEMU runs with -sandbox spawn=deny).
import { createReadStream, createWriteStream } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { QmpClient, openWhenUp } from './qmp.js';
import { within } from '../../util/timeouts.js';

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

/** Serves one connection on `sock` and writes what arrives to `file`; resolves when the stream ended. */
function receiveInto(sock: string, file: string): { server: Server; done: Promise<void> } {
  let server!: Server;
  const done = new Promise<void>((resolve, reject) => {
    server = createServer((c) => {
      const out = createWriteStream(file);
      c.pipe(out);
      out.on('finish', () => resolve());
      out.on('error', reject);
      c.on('error', reject);
    });
    server.on('error', reject);
    server.listen(sock);
  });
  return { server, done };
}

/** Stops the VM, writes its device state to `stateFile` and quits QEMU. */
export async function saveState(stateDir: string, stateFile: string, timeoutMs: number): Promise<void> {
  const sock = join(stateDir, 'mig.sock');
  const rx = receiveInto(sock, stateFile);
  const q = await QmpClient.open(join(stateDir, 'qmp.sock'));
  try {
    await q.execute('stop');
    await q.execute('migrate-set-capabilities', IGNORE_SHARED);
    await q.execute('migrate', { uri: `unix:${sock}` });
    await waitMigration(q, timeoutMs);
    await within(rx.done, timeoutMs, 'the saved VM state did not finish arriving');
    await q.execute('quit').catch(() => undefined);
  } finally {
    q.close();
    rx.server.close();
  }
}

/** Streams `file` into the socket QEMU listens on for the incoming migration (it appears once asked). */
async function sendFile(sock: string, file: string, end: number): Promise<void> {
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        const c = connect(sock);
        c.once('connect', () => {
          const src = createReadStream(file);
          src.on('error', reject);
          src.pipe(c);
          c.on('finish', () => resolve());
        });
        c.once('error', reject);
      });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/** Drives a QEMU started with `-incoming defer` through the restore from `stateFile` and resumes it. */
export async function restoreState(stateDir: string, stateFile: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  const sock = join(stateDir, 'mig.sock');
  const q = await openWhenUp(join(stateDir, 'qmp.sock'), end);
  try {
    await q.execute('migrate-set-capabilities', IGNORE_SHARED);
    // no RARP self-announcements after the restore: they are broadcasts every VM on the bridge
    // would be woken for (5 per clone), and the NIC's MAC is the veth's, which the bridge knows
    await q.execute('migrate-set-parameters', { 'announce-rounds': 0 });
    await q.execute('migrate-incoming', { uri: `unix:${sock}` });
    await within(sendFile(sock, stateFile, end), Math.max(100, end - Date.now()), `the VM did not take its saved state within ${timeoutMs} ms`);
    await waitMigration(q, Math.max(100, end - Date.now()));
    await q.execute('cont');
  } finally {
    q.close();
  }
}
