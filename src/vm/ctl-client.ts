// Talks to the guest agent over the ctl virtio-serial port (QEMU's unix socket server).
// One connection per CLI call; waits for the socket and the agent, bounded by deadlines.
import { connect, type Socket } from 'node:net';
import { encodeMessage, MessageDecoder, parseReply, sanitizeGuestText, type Reply, type Fields } from './ctl-codec.js';
import { RindError } from '../util/errors.js';

export class CtlClient {
  private decoder = new MessageDecoder();
  private queue: Reply[] = [];
  private waiter: ((r: Reply | Error) => void) | undefined;
  private failure: Error | undefined;

  private constructor(private sock: Socket) {
    sock.on('data', (chunk) => {
      try {
        for (const m of this.decoder.push(chunk)) this.deliver(parseReply(m));
      } catch (e) {
        this.fail(e as Error);
      }
    });
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('ctl connection closed')));
  }

  /** Connects, retrying while QEMU has not created the socket yet; `alive` aborts early. */
  static async connect(path: string, deadline: number, alive: () => boolean = () => true): Promise<CtlClient> {
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        return new CtlClient(sock);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw new RindError(`cannot reach the VM's control socket: ${(e as Error).message}`);
        if (!alive()) throw new RindError('the VM exited before its control channel came up');
        if (Date.now() > deadline) throw new RindError('timed out waiting for the VM control socket');
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  private deliver(r: Reply): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(r);
    } else this.queue.push(r);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(e);
    }
  }

  /** Sends one request and waits for its reply; an `error` reply becomes a RindError. */
  async request(verb: string, fields: readonly string[], timeoutMs: number): Promise<Fields> {
    this.sock.write(encodeMessage(verb, fields));
    const reply = await new Promise<Reply | Error>((resolve) => {
      const queued = this.queue.shift();
      if (queued) return resolve(queued);
      if (this.failure) return resolve(this.failure);
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(new Error(`no reply to ${verb} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
    if (reply instanceof Error) throw new RindError(`guest agent: ${reply.message}`);
    if (!reply.ok) throw new RindError(`guest: ${sanitizeGuestText(reply.fields.get('msg') ?? 'unknown error')}`);
    return reply.fields;
  }

  close(): void {
    this.sock.destroy();
  }
}
