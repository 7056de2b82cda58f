// End-to-end: `rind exec` (flags and --process), waitable exec pids, concurrent execs, ps, events,
// pause/resume — inside a running microVM.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindAsync, rindDetached, state, cleanup, leftovers, waitFor, SUBREAPER, RIND } from './harness.js';
import { spawn } from 'node:child_process';

const env = newEnv('exec');
before(() => {
  const b = makeBundle(env, 'box', ['sleep', '100000']);
  const r = rindDetached(env, ['run', '-d', '--bundle', b, 'box'], 'box');
  env.ids.add('box');
  assert.equal(r.status, 0, r.stderr);
});
after(() => cleanup(env));

test('exec with flags: args, env, cwd, user; exit code passes through', () => {
  const r = rind(env, ['exec', '-e', 'X=1', '--cwd', '/tmp', '-u', '1000:1000', 'box', 'sh', '-c', 'echo $X; pwd; id -u; exit 6']);
  assert.equal(r.stdout.toString(), '1\n/tmp\n1000\n');
  assert.equal(r.status, 6);
});

test('exec --process FILE, stdin piped, stderr apart', () => {
  const p = join(env.work, 'proc.json');
  writeFileSync(p, JSON.stringify({ args: ['sh', '-c', 'cat; echo err >&2'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin'] }));
  const r = rind(env, ['exec', '--process', p, 'box'], { input: 'piped\n' });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), 'piped\n');
  assert.match(r.stderr.toString(), /^err$/m);
  // runc runs a process file without `user` as root
  writeFileSync(p, JSON.stringify({ args: ['/bin/id', '-u'], cwd: '/' })); // no env, so no PATH: a path (as runc needs)
  const u = rind(env, ['exec', '--process', p, 'box']);
  assert.equal(u.status, 0, u.stderr.toString());
  assert.equal(u.stdout.toString(), '0\n');
});

test('a refused exec fails clearly and does not disturb the next one on the port', () => {
  const bad = rind(env, ['exec', 'box', '/nonexistent']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr.toString(), /nonexistent/);
  const next = rind(env, ['exec', 'box', 'sh', '-c', 'wc -c'], { input: 'x'.repeat(1000) });
  assert.equal(next.stdout.toString().trim(), '1000');
  assert.equal(next.status, 0);
});

test('several execs at once', async () => {
  const runs = await Promise.all([1, 2, 3, 4].map((i) => rindAsync(env, ['exec', 'box', 'sh', '-c', `sleep 1; echo ${i}; exit ${i}`])));
  runs.forEach((r, i) => {
    assert.equal(r.stdout, `${i + 1}\n`, r.stderr);
    assert.equal(r.code, i + 1);
  });
});

test('exec --detach --pid-file: a waitable pid whose status is the exec process\'s', async () => {
  const pidFile = join(env.work, 'exec.pid');
  const c = spawn(SUBREAPER, [pidFile, '--', RIND, '--root', env.root, 'exec', '-d', '--pid-file', pidFile, 'box', 'sh', '-c', 'sleep 1; exit 9'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  await new Promise((r) => c.on('close', r));
  assert.match(out, /exit=9/);
});

test('ps lists guest pids; events --stats reports guest figures', () => {
  const ps = rind(env, ['ps', '--format', 'json', 'box']);
  assert.equal(ps.status, 0, ps.stderr.toString());
  const pids = JSON.parse(ps.stdout.toString());
  assert.ok(Array.isArray(pids) && pids.length >= 1 && pids.every((p: number) => p > 1));
  const ev = rind(env, ['events', '--stats', 'box']);
  assert.equal(ev.status, 0, ev.stderr.toString());
  const e = JSON.parse(ev.stdout.toString());
  assert.equal(e.type, 'stats');
  assert.ok(e.data.memory.usage.limit > 64 * 1024 * 1024);
  assert.ok(e.data.memory.usage.usage > 0);
  assert.ok(e.data.pids.current >= 1);
});

test('pause stops the VM, resume continues it', async () => {
  assert.equal(rind(env, ['pause', 'box']).status, 0);
  assert.equal(state(env, 'box').status, 'paused');
  assert.notEqual(rind(env, ['pause', 'box']).status, 0, 'pausing twice is an error');
  assert.equal(rind(env, ['resume', 'box']).status, 0);
  assert.equal(state(env, 'box').status, 'running');
  assert.equal(rind(env, ['exec', 'box', 'true']).status, 0);
});

test('nothing is left behind', async () => {
  assert.equal(rind(env, ['delete', '--force', 'box']).status, 0);
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
  assert.ok(!existsSync(join(env.root, 'box')));
});
