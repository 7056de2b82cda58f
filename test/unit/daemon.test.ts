// The daemon's wire protocol (TypeScript side against native/client/proto.h, hostile inputs) and
// calls served by a Session over a real unix socket: per-call stdout/stderr/exit code/cwd/env, concurrency.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FrameReader, MAX_PAYLOAD, MAX_STRINGS, ProtocolError, SPAWN_FORWARD_SIGNALS, T, VERSION, MAGIC, HEADER, decodeRequest, encodeRequest, exitFromWaitStatus, frame,
} from '../../src/daemon/protocol.js';
import { Session, subcommand, callEnvOf } from '../../src/daemon/session.js';
import { callEnv, callPath, runInCall } from '../../src/daemon/context.js';
import { rindEnv } from '../../src/util/env.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('protocol constants agree with native/client/proto.h', () => {
  const h = readFileSync(join(REPO, 'native', 'client', 'proto.h'), 'utf8');
  const def = (name: string): number => {
    const m = new RegExp(`#define ${name} \\(?([0-9a-fx]+)u?(?: << (\\d+))?\\)?`).exec(h);
    assert.ok(m, `${name} in proto.h`);
    return Number(m[1]) << Number(m[2] ?? 0);
  };
  assert.equal(def('RP_MAGIC'), MAGIC);
  assert.equal(def('RP_VERSION'), VERSION);
  assert.equal(def('RP_HEADER'), HEADER);
  for (const [k, v] of Object.entries(T)) assert.equal(def(`RP_${k}`), v, k);
  assert.equal(def('RP_MAX_REQUEST'), MAX_PAYLOAD[T.REQUEST]);
  assert.equal(def('RP_MAX_READY') + 4, MAX_PAYLOAD[T.READY]);
  assert.equal(def('RP_MAX_OUTPUT'), MAX_PAYLOAD[T.STDOUT]);
  assert.equal(def('RP_MAX_SPAWN'), MAX_PAYLOAD[T.SPAWN]);
  assert.equal(def('RP_MAX_STRINGS'), MAX_STRINGS);
  assert.equal(def('RP_SPAWN_FORWARD'), SPAWN_FORWARD_SIGNALS);
});

test('requests round-trip; malformed ones are refused', () => {
  const r = decodeRequest(encodeRequest({ argv: ['state', 'c1'], env: ['A=1', 'B=x=y', 'A=2', 'junk'], cwd: '/tmp' }).subarray(HEADER));
  assert.deepEqual(r, { argv: ['state', 'c1'], env: { A: '1', B: 'x=y' }, cwd: '/tmp' });
  const bad = [
    Buffer.alloc(4),
    Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('a\0/\0x\0')]), // trailing string
    Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('a\0/')]), // unterminated
    Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('rel\0')]), // relative cwd
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
  ];
  for (const b of bad) assert.throws(() => decodeRequest(b), ProtocolError);
});

test('frame reader: split input, bounds, foreign frames (seeded random bytes never throw anything else)', () => {
  const rd = new FrameReader(new Set([T.READY, T.EXITED]));
  const f = Buffer.concat([frame(T.READY, Buffer.from('\x01\0\0\0ok\n')), frame(T.EXITED, Buffer.alloc(8))]);
  const got = [...rd.push(f.subarray(0, 5)), ...rd.push(f.subarray(5, 13)), ...rd.push(f.subarray(13))];
  assert.deepEqual(got.map((g) => g.type), [T.READY, T.EXITED]);
  assert.throws(() => new FrameReader(new Set([T.READY])).push(frame(T.EXITED, Buffer.alloc(8))), ProtocolError);
  const long = Buffer.from([MAGIC, VERSION, T.READY, 0, 0, 0, 0x10, 0]);
  assert.throws(() => new FrameReader(new Set([T.READY])).push(long), ProtocolError);
  assert.throws(() => frame(T.EXIT, Buffer.alloc(5)), ProtocolError);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const r = new FrameReader(new Set([T.REQUEST, T.SPAWNED, T.READY, T.EXITED]));
    const b = Buffer.from(Array.from({ length: 1 + (rnd() % 40) }, (_, j) => (j === 0 && rnd() % 2 ? MAGIC : j === 1 && rnd() % 2 ? VERSION : rnd())));
    try {
      for (const fr of r.push(b)) if (fr.type === T.REQUEST) decodeRequest(fr.payload);
    } catch (e) {
      assert.ok(e instanceof ProtocolError, String(e));
    }
  }
});

test('wait statuses become Node exit semantics', () => {
  assert.equal(exitFromWaitStatus(0), 0);
  assert.equal(exitFromWaitStatus(42 << 8), 42);
  assert.equal(exitFromWaitStatus(9), 128);
});

test('the subcommand skips global flags and their values; path variables are the caller\'s', () => {
  assert.equal(subcommand(['--root', '/r', '--debug', 'bench', 'density']), 'bench');
  assert.equal(subcommand(['--log', 'bench', 'list']), 'list');
  assert.equal(subcommand(['--version']), undefined);
  const env = callEnvOf({ argv: [], cwd: '/home/u', env: { RIND_KERNEL: 'k/vmlinux', RIND_ACCEL: 'tcg', RIND_CACHE: '/c' } });
  assert.deepEqual(env, { RIND_KERNEL: '/home/u/k/vmlinux', RIND_ACCEL: 'tcg', RIND_CACHE: '/c' });
  const call = { t0: 0, env: { RIND_ACCEL: 'kvm' }, cwd: '/w', out: () => undefined, err: () => undefined, spawn: () => Promise.reject(new Error('no')) };
  runInCall(call, () => {
    assert.equal(rindEnv.accel(), 'kvm');
    assert.equal(callPath('b'), '/w/b');
    assert.equal(callEnv().PATH, undefined);
  });
  assert.notEqual(callEnv(), call.env);
});

interface Reply { out: string; err: string; code: number | undefined; frames: number[] }

function call(sock: string, argv: string[], cwd: string, env: string[] = []): Promise<Reply> {
  return new Promise((resolve) => {
    const c = connect(sock);
    const rd = new FrameReader(new Set([T.ACK, T.STDOUT, T.STDERR, T.EXIT, T.SPAWN, T.FALLBACK]));
    const r: Reply = { out: '', err: '', code: undefined, frames: [] };
    c.on('connect', () => c.write(encodeRequest({ argv, env, cwd })));
    c.on('data', (d: Buffer) => {
      for (const f of rd.push(d)) {
        r.frames.push(f.type);
        if (f.type === T.STDOUT) r.out += f.payload.toString();
        if (f.type === T.STDERR) r.err += f.payload.toString();
        if (f.type === T.EXIT) r.code = f.payload.readInt32LE(0);
      }
    });
    c.on('close', () => resolve(r));
  });
}

test('a session runs main(argv) with the caller\'s cwd, env and stdio; calls do not mix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-daemon-test-'));
  const sock = join(dir, 'd.sock');
  const server: Server = createServer((s) => void new Session(s, () => undefined));
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    mkdirSync(join(dir, 'a', 'root'), { recursive: true });
    mkdirSync(join(dir, 'b'), { recursive: true });
    // relative --root against each caller's cwd; a missing container is one line on stderr and exit 1
    const [a, b, c] = await Promise.all([
      call(sock, ['--root', 'root', 'list', '--format', 'json'], join(dir, 'a')),
      call(sock, ['--root', 'root', 'state', 'nope'], join(dir, 'b')),
      call(sock, ['--root', 'root', 'spec', '--bundle', '.'], join(dir, 'b')),
    ]);
    assert.equal(a.code, 0);
    assert.equal(a.out, '[]\n');
    assert.equal(a.frames[0], T.ACK);
    assert.equal(b.code, 1);
    assert.equal(b.err, 'rind: container nope does not exist\n');
    assert.equal(b.out, '');
    assert.equal(c.code, 0);
    assert.ok(JSON.parse(readFileSync(join(dir, 'b', 'config.json'), 'utf8')).process, 'spec wrote into the caller\'s cwd');
    // `bench` is handed back to the Node CLI
    assert.deepEqual((await call(sock, ['bench', 'density'], dir)).frames, [T.FALLBACK]);
    // a malformed request drops the connection without an ACK
    const dropped = await new Promise<number[]>((resolve) => {
      const s = connect(sock);
      const frames: number[] = [];
      s.on('connect', () => s.write(Buffer.from([MAGIC, 9, T.REQUEST, 0, 0, 0, 0, 0])));
      s.on('data', (d) => frames.push(d[2]));
      s.on('close', () => resolve(frames));
    });
    assert.deepEqual(dropped, []);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
