// End-to-end: the OCI lifecycle on real microVMs (real QEMU, our kernel and agent, busybox rootfs).
// Covers output, exit codes, signals through the waitable pid, process spec, rootfs and bad input.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindAsync, createUnderSubreaper, state, leftovers, cleanup, waitFor } from './harness.js';

const env = newEnv('lifecycle');
after(() => {
  cleanup(env);
});

const errLines = (b: Buffer) => b.toString().split('\n').filter((l) => l && !l.includes('WARNING: KVM is not usable'));

test('run prints output, the guest kernel release and passes exit 42 through', () => {
  const b = makeBundle(env, 'hello', ['/bin/busybox', 'sh', '-c', 'echo hello; uname -r; exit 42']);
  const r = rind(env, ['run', '--bundle', b, 'hello']);
  const out = r.stdout.toString().split('\n');
  assert.equal(out[0], 'hello', r.stderr.toString());
  assert.ok(out[1].length > 0);
  assert.notEqual(out[1], release(), 'the release must be the guest kernel, not the host');
  assert.equal(r.status, 42);
  assert.ok(!existsSync(join(env.root, 'hello')), 'run removes the container after it exits');
});

test('exit codes 0 and 1', () => {
  assert.equal(rind(env, ['run', '--bundle', makeBundle(env, 'ok', ['true']), 'ok']).status, 0);
  assert.equal(rind(env, ['run', '--bundle', makeBundle(env, 'no', ['false']), 'no']).status, 1);
});

test('env, cwd, uid, gid and additional gids', () => {
  const b = makeBundle(env, 'ids', ['sh', '-c', 'echo $FOO; pwd; id -u; id -g; id -G; umask'], (s) => {
    s.process.env.push('FOO=bar baz');
    s.process.cwd = '/tmp';
    s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 7], umask: 0o027 };
  });
  const r = rind(env, ['run', '--bundle', b, 'ids']);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.deepEqual(r.stdout.toString().trim().split('\n'), ['bar baz', '/tmp', '1000', '1001', '1001 5 7', '0027']);
});

test('stdout and stderr are kept apart; stdin is piped in', () => {
  const b = makeBundle(env, 'streams', ['sh', '-c', 'echo out; echo err >&2; cat; echo done']);
  const r = rind(env, ['run', '--bundle', b, 'streams'], { input: 'line1\nline2\n' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.toString(), 'out\nline1\nline2\ndone\n');
  assert.deepEqual(errLines(r.stderr), ['err']);
});

test('10 MiB of output arrives byte-exact', () => {
  const b = makeBundle(env, 'big', ['cat', '/data.bin']);
  const data = randomBytes(10 * 1024 * 1024);
  writeFileSync(join(b, 'rootfs', 'data.bin'), data);
  const r = rind(env, ['run', '--bundle', b, 'big']);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.length, data.length);
  assert.ok(r.stdout.equals(data), 'bytes differ');
});

test('rootfs writes are visible on the host; a read-only root refuses writes', () => {
  const b = makeBundle(env, 'write', ['sh', '-c', 'echo from-guest > /tmp/out.txt']);
  assert.equal(rind(env, ['run', '--bundle', b, 'write']).status, 0);
  assert.equal(readFileSync(join(b, 'rootfs', 'tmp', 'out.txt'), 'utf8'), 'from-guest\n');
  const ro = makeBundle(env, 'ro', ['touch', '/newfile'], (s) => (s.root.readonly = true));
  const r = rind(env, ['run', '--bundle', ro, 'ro']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /Read-only file system/);
  assert.ok(!existsSync(join(ro, 'rootfs', 'newfile')));
});

test('created -> running -> stopped, SIGKILL gives 137 through the waitable pid', async () => {
  const b = makeBundle(env, 'sleeper', ['sleep', '1000']);
  const { pidFile, result } = createUnderSubreaper(env, 'sleeper', b);
  await waitFor(() => existsSync(pidFile), 120_000);
  const s1 = state(env, 'sleeper');
  assert.equal(s1.status, 'created');
  assert.equal(s1.pid, Number(readFileSync(pidFile, 'utf8')));
  assert.equal(rind(env, ['start', 'sleeper']).status, 0);
  assert.equal(state(env, 'sleeper').status, 'running');
  const del = rind(env, ['delete', 'sleeper']);
  assert.notEqual(del.status, 0, 'delete of a running container needs --force');
  assert.match(del.stderr.toString(), /running/);
  assert.equal(rind(env, ['kill', 'sleeper', 'KILL']).status, 0);
  assert.match(await result, /exit=137/);
  assert.equal(state(env, 'sleeper').status, 'stopped');
  assert.equal(rind(env, ['delete', 'sleeper']).status, 0);
  assert.ok(!existsSync(join(env.root, 'sleeper')));
});

test('SIGTERM gives 143 through the waitable pid (a PID 1 that handles it, as under runc)', async () => {
  const b = makeBundle(env, 'term', ['sh', '-c', 'trap "exit 143" TERM; touch /tmp/trapped; while true; do sleep 0.2; done']);
  const { pidFile, result } = createUnderSubreaper(env, 'term', b);
  await waitFor(() => existsSync(pidFile), 120_000);
  assert.equal(rind(env, ['start', 'term']).status, 0);
  await waitFor(() => existsSync(join(b, 'rootfs', 'tmp', 'trapped')), 30_000); // a signal before the trap is ignored (PID 1)
  assert.equal(rind(env, ['kill', 'term']).status, 0);
  assert.match(await result, /exit=143/);
  assert.equal(rind(env, ['delete', 'term']).status, 0);
});

test('two containers at once', async () => {
  const a = makeBundle(env, 'a', ['sh', '-c', 'echo A; sleep 1']);
  const b = makeBundle(env, 'b', ['sh', '-c', 'echo B; sleep 1']);
  const [ra, rb] = await Promise.all([rindAsync(env, ['run', '--bundle', a, 'a']), rindAsync(env, ['run', '--bundle', b, 'b'])]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  assert.equal(ra.stdout, 'A\n');
  assert.equal(rb.stdout, 'B\n');
});

test('list shows containers as JSON', async () => {
  const b = makeBundle(env, 'listed', ['sleep', '1000']);
  const { pidFile } = createUnderSubreaper(env, 'listed', b);
  await waitFor(() => existsSync(pidFile), 120_000);
  const r = rind(env, ['list', '--format', 'json']);
  const all = JSON.parse(r.stdout.toString());
  assert.ok(all.some((c: any) => c.id === 'listed' && c.status === 'created'));
  assert.equal(rind(env, ['delete', 'listed']).status, 0, 'a created container can be deleted without --force');
});

test('bad input: clear one-line errors, non-zero exit, nothing left behind', () => {
  const oneLine = (r: ReturnType<typeof rind>, re: RegExp) => {
    assert.notEqual(r.status, 0);
    const lines = errLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr.toString());
    assert.match(lines[0], re);
  };
  const bad = makeBundle(env, 'badjson', ['true']);
  writeFileSync(join(bad, 'config.json'), '{"ociVersion": "1.0.2", ');
  oneLine(rind(env, ['create', '--bundle', bad, 'badjson']), /not valid JSON/);
  const noargs = makeBundle(env, 'noargs', ['true'], (s) => delete s.process.args);
  oneLine(rind(env, ['create', '--bundle', noargs, 'noargs']), /process/);
  oneLine(rind(env, ['create', '--bundle', join(env.work, 'nope'), 'nobundle']), /does not exist/);
  oneLine(rind(env, ['state', 'ghost']), /ghost does not exist/);
  oneLine(rind(env, ['start', 'ghost']), /ghost does not exist/);
  oneLine(rind(env, ['kill', 'ghost']), /ghost does not exist/);
  oneLine(rind(env, ['delete', 'ghost']), /ghost does not exist/);
  assert.equal(rind(env, ['delete', '--force', 'ghost']).status, 0, 'delete --force is idempotent');
  oneLine(rind(env, ['create', '--bundle', bad, '../evil']), /invalid container id/);
  for (const id of ['badjson', 'noargs', 'nobundle']) assert.ok(!existsSync(join(env.root, id)), `${id} left state`);
});

test('duplicate id is refused and the first container survives', async () => {
  const b = makeBundle(env, 'dup', ['sleep', '1000']);
  const { pidFile } = createUnderSubreaper(env, 'dup', b);
  await waitFor(() => existsSync(pidFile), 120_000);
  const r = rind(env, ['create', '--bundle', b, 'dup']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /already exists/);
  assert.equal(state(env, 'dup').status, 'created');
  assert.equal(rind(env, ['delete', '--force', 'dup']).status, 0);
});

test('nothing is left behind: no QEMU, no shim, no state', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
  const ids = existsSync(env.root) ? (await import('node:fs')).readdirSync(env.root).filter((d) => !d.startsWith('.')) : [];
  assert.deepEqual(ids, []);
});
