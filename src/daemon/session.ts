// One connection from bin/rind: one CLI call, run as main(argv) in the caller's context.
// Shims the call starts are forked by the client (SPAWN → SPAWNED, READY, EXITED): the daemon never
// holds a container's waitable pid, so it may die at any moment without taking a container with it.
import type { Socket } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { main } from '../cli/main.js';
import { EXIT_RIND_FAILURE } from '../util/errors.js';
import { runInCall, type CallContext, type ClientChild } from './context.js';
import {
  FrameReader, ProtocolError, T, decodeIdInt, decodeReady, decodeRequest, encodeAck, encodeExit, encodeSpawn, exitFromWaitStatus, frame,
  MAX_PAYLOAD, type Request,
} from './protocol.js';

/** RIND_* variables that name files: relative values are the caller's, like paths on its command line. */
const PATH_VARS = ['RIND_CACHE', 'RIND_KERNEL', 'RIND_INITRAMFS', 'RIND_SHIM', 'RIND_QEMU', 'RIND_TIMINGS_FILE'];

/** Global flags that take a value (runc's and ours): the subcommand is the first other word. */
const VALUE_FLAGS = new Set(['--root', '--log', '--log-format', '--accel', '--criu', '--rootless']);

/** Subcommands the daemon hands back to the Node CLI: long-running, own signal handling, process.exit. */
// bench: long-running, its own signals; update: `--resources -` reads the caller's stdin, which the client does not relay
const NOT_IN_DAEMON = new Set(['bench', 'update']);

export function subcommand(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-')) return a;
    if (VALUE_FLAGS.has(a)) i++;
  }
  return undefined;
}

export function callEnvOf(r: Request): Record<string, string> {
  const env = { ...r.env };
  for (const k of PATH_VARS) if (env[k] && !isAbsolute(env[k])) env[k] = resolve(r.cwd, env[k]);
  return env;
}

interface Pending {
  spawned: { resolve: (pid: number) => void; reject: (e: Error) => void };
  ready: (text: string) => void;
  exited: (code: number | null) => void;
}

export class Session {
  readonly closed: Promise<void>;
  private readonly reader = new FrameReader(new Set([T.REQUEST, T.SPAWNED, T.READY, T.EXITED]));
  private gone = false;
  private started = false;
  private nextId = 1;
  private readonly children = new Map<number, Pending>();

  constructor(private readonly sock: Socket, private readonly log: (msg: string) => void) {
    let done: () => void;
    this.closed = new Promise((r) => (done = r));
    sock.on('data', (d: Buffer) => {
      try {
        for (const f of this.reader.push(d)) this.onFrame(f.type, f.payload);
      } catch (e) {
        this.log(`dropping a client: ${(e as Error).message}`);
        sock.destroy();
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.gone = true;
      for (const p of this.children.values()) {
        p.spawned.reject(new Error('the rind client went away'));
        p.ready('');
      }
      this.children.clear();
      done();
    });
  }

  private send(b: Buffer): void {
    if (this.gone) throw new Error('the rind client went away');
    this.sock.write(b);
  }

  private output(type: number, chunk: string | Uint8Array): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const max = MAX_PAYLOAD[type];
    for (let off = 0; off < b.length; off += max) this.send(frame(type, b.subarray(off, off + max)));
  }

  private onFrame(type: number, p: Buffer): void {
    if (type === T.REQUEST) {
      if (this.started) throw new ProtocolError('a second request on one connection');
      this.started = true;
      void this.run(decodeRequest(p));
      return;
    }
    if (!this.started) throw new ProtocolError('no request yet');
    if (type === T.READY) {
      const r = decodeReady(p);
      this.children.get(r.id)?.ready(r.text);
      return;
    }
    const { id, value } = decodeIdInt(p, type === T.SPAWNED ? 'spawned' : 'exited');
    const c = this.children.get(id);
    if (!c) throw new ProtocolError(`unknown child ${id}`);
    if (type === T.SPAWNED) {
      if (value > 0) c.spawned.resolve(value);
      else c.spawned.reject(new Error(`fork failed (errno ${-value})`));
    } else {
      c.exited(exitFromWaitStatus(value)); // its READY may still come (a grandchild holding the pipe)
    }
  }

  private spawn(file: string, args: string[], opts: { forwardSignals: boolean }): Promise<ClientChild> {
    const id = this.nextId++;
    let p!: Pending;
    const ready = new Promise<string>((r) => (p = { ...p, ready: r }));
    const exited = new Promise<number | null>((r) => (p = { ...p, exited: r }));
    const pid = new Promise<number>((resolve, reject) => (p = { ...p, spawned: { resolve, reject } }));
    this.children.set(id, p);
    this.send(encodeSpawn(id, file, args, opts.forwardSignals));
    return pid.then((n) => ({ pid: n, ready, exited }));
  }

  private async run(r: Request): Promise<void> {
    if (NOT_IN_DAEMON.has(subcommand(r.argv) ?? '')) {
      this.send(frame(T.FALLBACK));
      this.sock.end();
      return;
    }
    this.send(encodeAck(process.pid));
    const call: CallContext = {
      t0: performance.now(),
      env: callEnvOf(r),
      cwd: r.cwd,
      out: (c) => this.output(T.STDOUT, c),
      err: (c) => this.output(T.STDERR, c),
      spawn: (file, args, opts) => this.spawn(file, args, opts),
    };
    let code: number;
    try {
      code = await runInCall(call, () => main(r.argv));
    } catch (e) {
      this.log(`call ${JSON.stringify(r.argv.slice(0, 6))} failed: ${(e as Error).stack ?? String(e)}`);
      code = EXIT_RIND_FAILURE;
    }
    if (this.gone) return;
    this.send(encodeExit(code));
    this.sock.end();
  }
}
