// The wire protocol between bin/rind (native/client, C) and the daemon: 8-byte headers, bounded payloads.
// native/client/proto.h is the C side; test/unit/daemon-protocol.test.ts checks both agree.
//
// header: 'r' (0x72), version (1), type, 0, payload length (u32 little-endian)
// client -> daemon
//   REQUEST  u32 argc, u32 envc, then argc + envc + 1 NUL-terminated strings: argv[1..], environ, cwd
//   SPAWNED  u32 id, i32 pid (negative: -errno of a failed fork)
//   READY    u32 id, the bytes the child wrote on its ready fd until EOF
//   EXITED   u32 id, i32 wait status
// daemon -> client
//   ACK      u32 daemon pid: the request is taken; from here a lost daemon is an error, before it a retry
//   STDOUT, STDERR  bytes to write to fd 1 / fd 2
//   SPAWN    u32 id, u32 flags (1: forward signals), u32 n, n NUL-terminated strings: file, argv[1..]
//   EXIT     i32 exit code of the call
//   FALLBACK  run the Node CLI (bin/rind-node) instead; only before ACK
export const MAGIC = 0x72;
export const VERSION = 1;
export const HEADER = 8;

export const T = {
  REQUEST: 1,
  SPAWNED: 2,
  READY: 3,
  EXITED: 4,
  ACK: 16,
  STDOUT: 17,
  STDERR: 18,
  SPAWN: 19,
  EXIT: 20,
  FALLBACK: 21,
} as const;

/** Largest payload per type; anything larger ends the connection. */
export const MAX_PAYLOAD: Record<number, number> = {
  [T.REQUEST]: 4 << 20,
  [T.SPAWNED]: 8,
  [T.READY]: 4 + 4096,
  [T.EXITED]: 8,
  [T.ACK]: 4,
  [T.STDOUT]: 64 << 10,
  [T.STDERR]: 64 << 10,
  [T.SPAWN]: 1 << 20,
  [T.EXIT]: 4,
  [T.FALLBACK]: 0,
};
export const MAX_STRINGS = 8192;
export const SPAWN_FORWARD_SIGNALS = 1;

export class ProtocolError extends Error {}

export function frame(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const max = MAX_PAYLOAD[type];
  if (max === undefined || payload.length > max) throw new ProtocolError(`frame type ${type}: ${payload.length} bytes`);
  const b = Buffer.allocUnsafe(HEADER + payload.length);
  b[0] = MAGIC;
  b[1] = VERSION;
  b[2] = type;
  b[3] = 0;
  b.writeUInt32LE(payload.length, 4);
  b.set(payload, HEADER);
  return b;
}

const u32 = (...v: number[]): Buffer => {
  const b = Buffer.allocUnsafe(4 * v.length);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i));
  return b;
};
const i32 = (v: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32LE(v, 0);
  return b;
};
const strings = (list: string[]): Buffer => Buffer.concat(list.map((s) => Buffer.from(`${s}\0`)));

/** Splits a stream into frames; throws ProtocolError on anything malformed (the caller drops the peer). */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly accept: ReadonlySet<number>) {}

  push(chunk: Buffer): { type: number; payload: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { type: number; payload: Buffer }[] = [];
    while (this.buf.length >= HEADER) {
      const type = this.buf[2];
      if (this.buf[0] !== MAGIC) throw new ProtocolError('bad magic');
      if (this.buf[1] !== VERSION) throw new ProtocolError(`protocol version ${this.buf[1]}, this daemon speaks ${VERSION}`);
      if (!this.accept.has(type) || this.buf[3] !== 0) throw new ProtocolError(`unexpected frame type ${type}`);
      const len = this.buf.readUInt32LE(4);
      if (len > MAX_PAYLOAD[type]) throw new ProtocolError(`frame type ${type} too long (${len} bytes)`);
      if (this.buf.length < HEADER + len) break;
      out.push({ type, payload: Buffer.from(this.buf.subarray(HEADER, HEADER + len)) });
      this.buf = this.buf.subarray(HEADER + len);
    }
    return out;
  }
}

/** n NUL-terminated strings filling `b` exactly from `off`. */
function readStrings(b: Buffer, off: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const end = b.indexOf(0, off);
    if (end < 0) throw new ProtocolError('string not terminated');
    out.push(b.toString('utf8', off, end));
    off = end + 1;
  }
  if (off !== b.length) throw new ProtocolError('trailing bytes');
  return out;
}

export interface Request {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

export function encodeRequest(r: { argv: string[]; env: string[]; cwd: string }): Buffer {
  return frame(T.REQUEST, Buffer.concat([u32(r.argv.length, r.env.length), strings([...r.argv, ...r.env, r.cwd])]));
}

export function decodeRequest(p: Buffer): Request {
  if (p.length < 8) throw new ProtocolError('short request');
  const argc = p.readUInt32LE(0);
  const envc = p.readUInt32LE(4);
  if (argc > MAX_STRINGS || envc > MAX_STRINGS) throw new ProtocolError('too many strings');
  const all = readStrings(p, 8, argc + envc + 1);
  const cwd = all[argc + envc];
  if (!cwd.startsWith('/')) throw new ProtocolError('cwd is not absolute');
  const env: Record<string, string> = {};
  for (const kv of all.slice(argc, argc + envc)) {
    const eq = kv.indexOf('=');
    if (eq > 0 && !(kv.slice(0, eq) in env)) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { argv: all.slice(0, argc), env, cwd };
}

export const encodeSpawn = (id: number, file: string, args: string[], forward: boolean): Buffer =>
  frame(T.SPAWN, Buffer.concat([u32(id, forward ? SPAWN_FORWARD_SIGNALS : 0, args.length + 1), strings([file, ...args])]));
export const encodeAck = (pid: number): Buffer => frame(T.ACK, u32(pid));
export const encodeExit = (code: number): Buffer => frame(T.EXIT, i32(code));

export function decodeIdInt(p: Buffer, what: string): { id: number; value: number } {
  if (p.length !== 8) throw new ProtocolError(`${what}: ${p.length} bytes`);
  return { id: p.readUInt32LE(0), value: p.readInt32LE(4) };
}

export function decodeReady(p: Buffer): { id: number; text: string } {
  if (p.length < 4) throw new ProtocolError('short ready');
  return { id: p.readUInt32LE(0), text: p.toString('utf8', 4) };
}

/** Node's child 'exit' semantics for a raw wait status: the code, or 128 when a signal ended it. */
export function exitFromWaitStatus(status: number): number | null {
  const sig = status & 0x7f;
  if (sig === 0) return (status >> 8) & 0xff;
  if (sig !== 0x7f) return 128;
  return null;
}
