// End-to-end: the small parts of runtime.md and config.md a conformance suite trips on — create --pid-file
// then state/kill at once, state in every status, the ociVersion values the spec allows, env without PATH
// (runc's lookup), and a cwd only root may enter for a non-root user (runc chdirs before dropping ids).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindDetached, cleanup, waitFor, state, runOnTerminal, type SpecPatch } from './harness.js';

const env = newEnv('specconf');
after(() => cleanup(env));

function run(id: string, args: string[], patch?: SpecPatch) {
  const b = makeBundle(env, id, args, patch);
  env.ids.add(id);
  const r = rind(env, ['run', '--bundle', b, id]);
  rind(env, ['delete', '--force', id]);
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

test('create --pid-file, then at once state and kill 0: created, the pid of the file; every status after', async () => {
  const b = makeBundle(env, 'st', ['sh', '-c', 'touch /tmp/up; sleep 1000']);
  env.ids.add('st');
  const pidFile = join(env.work, 'st.pid');
  const c = rindDetached(env, ['create', '--bundle', b, '--pid-file', pidFile, 'st'], 'st');
  assert.equal(c.status, 0, c.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const s0 = state(env, 'st');
  assert.equal(s0.status, 'created');
  assert.equal(s0.pid, pid, 'state.pid is the --pid-file pid');
  assert.equal(s0.ociVersion.split('.')[0], '1');
  assert.equal(rind(env, ['kill', 'st', '0']).status, 0, 'signal 0: it is alive');
  assert.equal(rind(env, ['start', 'st']).status, 0);
  await waitFor(() => existsSync(join(b, 'rootfs', 'tmp', 'up')), 30_000);
  assert.equal(state(env, 'st').status, 'running');
  assert.equal(rind(env, ['pause', 'st']).status, 0);
  assert.equal(state(env, 'st').status, 'paused');
  assert.equal(rind(env, ['resume', 'st']).status, 0);
  assert.equal(state(env, 'st').status, 'running');
  assert.equal(rind(env, ['kill', 'st', 'KILL']).status, 0);
  await waitFor(() => state(env, 'st').status === 'stopped', 30_000);
  const stopped = state(env, 'st');
  assert.ok(!stopped.pid, `a stopped container has no pid (${stopped.pid})`);
  assert.notEqual(rind(env, ['kill', 'st', '0']).status, 0, 'signal 0 on a stopped container fails');
  assert.equal(rind(env, ['delete', 'st']).status, 0);
  assert.notEqual(rind(env, ['state', 'st']).status, 0, 'deleted: unknown');
});

test('ociVersion: any 1.x the spec allows, with -rc/-dev suffixes; unknown annotations never an error', () => {
  for (const v of ['1.0.0', '1.0.2-dev', '1.1.0', '1.2.0-rc.1', '1.2.1']) {
    const r = run(`v${v.replace(/\W/g, '')}`, ['true'], (s) => {
      s.ociVersion = v;
      s.annotations = { 'org.example.unknown/key': 'x', 'io.rind.not-a-key': 'y' };
    });
    assert.equal(r.status, 0, `${v}: ${r.err}`);
  }
  const bad = run('v2', ['true'], (s) => (s.ociVersion = '2.0.0'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.err, /ociVersion/);
});

test('env without PATH: a bare args[0] is not found (as runc), a path works', () => {
  const bare = run('nopath', ['sh', '-c', 'true'], (s) => (s.process.env = ['TERM=xterm']));
  assert.notEqual(bare.status, 0);
  assert.match(bare.err, /executable file not found in \$PATH: sh/);
  const abs = run('abspath', ['/bin/sh', '-c', 'echo "[$FOO]"'], (s) => (s.process.env = ['FOO=bar']));
  assert.equal(abs.status, 0, abs.err);
  assert.equal(abs.out, '[bar]\n');
});

test('a cwd only root may enter works for a non-root user: chdir before the ids are dropped (runc\'s order)', () => {
  const b = makeBundle(env, 'cwd', ['/bin/sh', '-c', 'pwd; id -u; ls . >/dev/null 2>&1 || echo cannot-list'], (s) => {
    s.process.user = { uid: 1000, gid: 1000 };
    s.process.cwd = '/secret';
  });
  const dir = join(b, 'rootfs', 'secret');
  mkdirSync(dir);
  chmodSync(dir, 0o700); // root's, mode 0700: uid 1000 may not enter it
  env.ids.add('cwd');
  const r = rind(env, ['run', '--bundle', b, 'cwd']);
  rind(env, ['delete', '--force', 'cwd']);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), '/secret\n1000\ncannot-list\n');
});

test('a SIGKILLed waitable pid (rind-shim) leaves no VMM behind: the jailed QEMU dies with it', async () => {
  const b = makeBundle(env, 'orphan', ['sleep', '1000']);
  env.ids.add('orphan');
  const c = rindDetached(env, ['create', '--bundle', b, 'orphan'], 'orphan');
  assert.equal(c.status, 0, c.stderr);
  const vmm = Number(readFileSync(join(env.root, 'orphan', 'vmm.pid'), 'utf8'));
  assert.ok(existsSync(`/proc/${vmm}`), 'the VMM runs');
  process.kill(state(env, 'orphan').pid, 'SIGKILL');
  await waitFor(() => !existsSync(`/proc/${vmm}`) || readFileSync(`/proc/${vmm}/stat`, 'utf8').split(') ')[1].startsWith('Z'), 10_000);
  assert.equal(rind(env, ['delete', '--force', 'orphan']).status, 0);
});

test('process.consoleSize is the pty\'s first size when the engine never sizes it; the engine\'s size wins', async () => {
  const sized = (id: string, engineSizes: boolean): Promise<string> =>
    runOnTerminal(env, id, ['sh', '-c', 'stty size'], { noWinsize: !engineSizes }, (s) => (s.process.consoleSize = { height: 41, width: 97 }));
  assert.match(await sized('csize', false), /^41 97\r?$/m);
  assert.match(await sized('csize2', true), /^33 111\r?$/m, 'the engine resized its pty: that size');
});
