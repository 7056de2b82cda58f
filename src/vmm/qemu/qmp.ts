// Minimal QMP client (QEMU Machine Protocol over the VM's qmp.sock), used only inside vmm/qemu.
// QEMU is our own process, but its replies are still parsed defensively (bounded, JSON only).
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { RindError } from '../../util/errors.js';

const MAX_LINE = 1 << 20;

export class QmpClient {
  private buf = '';
  private waiters: ((msg: Record<string, unknown> | Error) => void)[] = [];

  private constructor(private sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      if (this.buf.length > MAX_LINE) return this.failAll(new Error('QMP reply too long'));
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return this.failAll(new Error('QMP sent invalid JSON'));
        }
        if ('event' in msg) continue;
        this.waiters.shift()?.(msg);
      }
    });
    sock.on('error', (e) => this.failAll(e));
    sock.on('close', () => this.failAll(new Error('QMP connection closed')));
  }

  private failAll(e: Error): void {
    for (const w of this.waiters.splice(0)) w(e);
  }

  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('QMP timed out')), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(timer);
        if (m instanceof Error) reject(m);
        else resolve(m);
      });
    });
  }

  static async open(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    }).catch((e: Error) => {
      throw new RindError(`cannot reach the VMM's QMP socket: ${e.message}`);
    });
    const c = new QmpClient(sock);
    await c.next(timeoutMs); // greeting
    await c.execute('qmp_capabilities', undefined, timeoutMs);
    return c;
  }

  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
    const reply = this.next(timeoutMs);
    this.sock.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    const m = await reply;
    if ('error' in m) {
      const err = m.error as { desc?: string };
      throw new RindError(`QMP ${command}: ${String(err?.desc ?? 'failed').slice(0, 200)}`);
    }
    return m.return;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Runs one QMP command against a VM's socket and closes the connection. */
export async function qmp(path: string, command: string, args?: Record<string, unknown>): Promise<unknown> {
  const c = await QmpClient.open(path);
  try {
    return await c.execute(command, args);
  } finally {
    c.close();
  }
}

/** QMP of a VM that is still starting: retried until it answers or the deadline passes. */
export async function openWhenUp(sock: string, end: number): Promise<QmpClient> {
  for (;;) {
    try {
      if (!existsSync(sock)) throw new Error('no QMP socket yet');
      return await QmpClient.open(sock, Math.max(100, end - Date.now()));
    } catch (e) {
      if (Date.now() > end) throw new Error(`QMP never came up: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 3));
    }
  }
}

/** One QMP command to a VM that may still be starting (agentless guests are resumed right after launch). */
export async function qmpWhenUp(path: string, command: string, timeoutMs: number): Promise<unknown> {
  const c = await openWhenUp(path, Date.now() + timeoutMs);
  try {
    return await c.execute(command);
  } finally {
    c.close();
  }
}
