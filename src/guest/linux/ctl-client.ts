// Talks to the guest agent over the ctl virtio-serial port (QEMU's unix socket server).
// One connection per CLI call; waits for the socket and the agent, bounded by deadlines.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { encodeMessage, MessageDecoder, parseReply, sanitizeGuestText, type Reply, type Fields } from './ctl-codec.js';
import { RindError } from '../../util/errors.js';

/** how long one ping may go unanswered before the conversation is retried on a new connection */
const SYNC_RETRY_MS = 5_000;

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

  /**
   * Connects (retrying while QEMU has not created the socket yet; `alive` aborts early) and syncs. A ping
   * left unanswered (5 s, then 10, 20...) is tried again on a fresh connection: the port's reconnect wakes
   * an agent that missed the previous client's hang-up (seen rarely under load), until the deadline.
   */
  static async open(path: string, deadline: number, alive: () => boolean = () => true): Promise<CtlClient> {
    // each try waits twice as long as the one before: a slow agent on a loaded host still gets its time
    for (let wait = SYNC_RETRY_MS; ; wait *= 2) {
      const c = await CtlClient.connect(path, deadline, alive);
      const left = deadline - Date.now();
      try {
        await c.sync(Math.max(1, Math.min(left, wait)));
        return c;
      } catch (e) {
        c.close();
        if (left <= wait || !alive() || !/no reply to ping/.test((e as Error).message)) throw e;
      }
    }
  }

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

  /**
   * Starts a conversation: the agent cannot always tell one client from the next (a reply to
   * a client that left may reach us), so ping with a fresh nonce and skip replies until ours.
   */
  async sync(timeoutMs: number): Promise<Fields> {
    const nonce = randomBytes(8).toString('hex');
    const end = Date.now() + timeoutMs;
    this.sock.write(encodeMessage('ping', [`nonce=${nonce}`]));
    for (;;) {
      const reply = await this.next(Math.max(1, end - Date.now()), 'ping');
      if (reply.ok && reply.fields.get('nonce') === nonce) return reply.fields;
    }
  }

  private next(timeoutMs: number, verb: string): Promise<Reply> {
    return new Promise<Reply | Error>((resolve) => {
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
    }).then((r) => {
      if (r instanceof Error) throw new RindError(`guest agent: ${r.message}`);
      return r;
    });
  }

  /** Sends one request and waits for its reply; an `error` reply becomes a RindError. */
  async request(verb: string, fields: readonly string[], timeoutMs: number): Promise<Fields> {
    this.sock.write(encodeMessage(verb, fields));
    const reply = await this.next(timeoutMs, verb);
    if (!reply.ok) throw new RindError(`guest: ${sanitizeGuestText(reply.fields.get('msg') ?? 'unknown error')}`);
    return reply.fields;
  }

  close(): void {
    this.sock.destroy();
  }
}
