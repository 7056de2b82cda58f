// End-to-end: runc's CLI contract on real microVMs: exit 1 for rind's own errors (exec: 255) (Node CLI and bin/rind's
// lost daemon), --debug lines per verb in --log, `ps` like runc's (table, ps options, json, stopped), and
// kill/delete never signalling a process that reused a stored shim pid.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindAsync, rindDetached, state, cleanup, leftovers, waitFor } from './harness.js';

const env = newEnv('cliconf');
after(() => cleanup(env));

const errOf = (b: Buffer) => b.toString().split('\n').filter((l) => l && !l.includes('WARNING: KVM is not usable'));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('exit 1 for rind\'s errors, 255 for exec\'s (Node CLI and bin/rind, as runc), the workload\'s code otherwise', () => {
  const viaDaemon = (args: string[]) => rind(env, args);
  const nodeCli = (args: string[]) => rind(env, args, { env: { ...process.env, RIND_NO_DAEMON: '1' } });
  for (const call of [viaDaemon, nodeCli]) {
    const r = call(['state', 'nope']);
    assert.equal(r.status, 1);
    assert.deepEqual(errOf(r.stderr), ['rind: container nope does not exist']);
    assert.equal(call(['kill', 'nope']).status, 1);
    assert.equal(call(['no-such-verb']).status, 1);
    assert.equal(call(['exec', 'nope', 'true']).status, 255, 'exec: 255 (runc\'s), apart from the process\'s own codes');
  }
  // a bad config: one line, 1, nothing left
  const bad = makeBundle(env, 'badcfg', ['true'], (s) => (s.process.args = []));
  const r = rind(env, ['run', '--bundle', bad, 'badcfg']);
  assert.equal(r.status, 1, r.stderr.toString());
  assert.equal(errOf(r.stderr).length, 1);
  assert.ok(!existsSync(join(env.root, 'badcfg')));
  // run's own status is the workload's, 255 included
  assert.equal(rind(env, ['run', '--bundle', makeBundle(env, 'x3', ['sh', '-c', 'exit 3']), 'x3']).status, 3);
});

test('--debug --log FILE --log-format json: a line per step of run, kill, ps and delete', async () => {
  const log = join(env.work, 'debug.json');
  const g = ['--debug', '--log', log, '--log-format', 'json'];
  const b = makeBundle(env, 'dbg', ['sleep', '1000']);
  const r = rindDetached(env, [...g, 'run', '-d', '--bundle', b, 'dbg'], 'dbg');
  env.ids.add('dbg');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(rind(env, [...g, 'ps', 'dbg']).status, 0);
  assert.equal(rind(env, [...g, 'kill', 'dbg', 'KILL']).status, 0);
  await waitFor(() => state(env, 'dbg').status === 'stopped', 30_000);
  assert.equal(rind(env, [...g, 'delete', 'dbg']).status, 0);
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const l of lines) {
    assert.deepEqual(Object.keys(l).slice(0, 3), ['level', 'msg', 'time'], JSON.stringify(l));
    assert.match(l.time, /Z$/);
  }
  const msgs = lines.filter((l) => l.level === 'debug').map((l) => l.msg);
  for (const m of ['run: called', 'create: launching the VM', 'vm: the agent answered', 'create: agent creates the container', 'create: created',
    'start: agent starts the process', 'run: done', 'ps: called', 'ps: agent lists the processes of the container', 'kill: called', 'kill: signal',
    'delete: called', 'delete: stop the VM, remove its host traces', 'delete: done'])
    assert.ok(msgs.includes(m), `no debug line "${m}" in: ${msgs.join(' | ')}`);
  assert.ok(msgs.some((m) => m === 'vm: booting' || m === 'vm: cloning from a template'));
  assert.equal(lines.find((l) => l.msg === 'kill: signal').signo, 9);
  // text to stderr without --log
  const t = rind(env, ['--debug', 'state', 'nope']);
  assert.match(t.stderr.toString(), /^time="[^"]+" level=debug msg="state: called"/m);
});

test('ps: -ef table, ps options, json; user names from the rootfs; stopped: header only, []', async () => {
  const b = makeBundle(env, 'pst', ['sh', '-c', 'sleep 1001 & sleep 1002 & wait'], (s) => {
    s.process.user = { uid: 1000, gid: 1000 };
  });
  writeFileSync(join(b, 'rootfs', 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n');
  const r = rindDetached(env, ['run', '-d', '--bundle', b, 'pst'], 'pst');
  env.ids.add('pst');
  assert.equal(r.status, 0, r.stderr);
  let table = '';
  await waitFor(() => {
    table = rind(env, ['ps', 'pst']).stdout.toString();
    return / sleep 1001$/m.test(table) && / sleep 1002$/m.test(table); // both forks have exec'd
  }, 30_000);
  const lines = table.trim().split('\n');
  assert.match(lines[0], /^UID\s+PID\s+PPID\s+C STIME TTY\s+TIME CMD$/);
  const rows = lines.slice(1).map((l) => l.split(/\s+/));
  assert.equal(rows.length, 3, table);
  assert.ok(rows.every((f) => f[0] === 'app'), 'uid 1000 is the rootfs\'s "app"');
  const sh = rows.find((f) => f.slice(7).join(' ') === 'sh -c sleep 1001 & sleep 1002 & wait')!;
  assert.ok(sh, table);
  for (const n of ['1001', '1002']) {
    const s = rows.find((f) => f.slice(7).join(' ') === `sleep ${n}`)!;
    assert.ok(s, table);
    assert.equal(s[2], sh[1], 'the sleeps are children of the sh');
  }
  const json = rind(env, ['ps', '--format', 'json', 'pst']);
  assert.equal(json.status, 0);
  assert.deepEqual(JSON.parse(json.stdout.toString()).sort(), rows.map((f) => Number(f[1])).sort());
  // the container's own view: the same three commands (guest pids differ in its pid namespace)
  const inside = rind(env, ['exec', 'pst', 'ps', '-o', 'comm']).stdout.toString().trim().split('\n').slice(1).filter((c) => c !== 'ps');
  assert.deepEqual(inside.sort(), ['sh', 'sleep', 'sleep']);
  // ps options after the id replace -ef
  const o = rind(env, ['ps', 'pst', '-o', 'pid,user,comm']);
  assert.equal(o.status, 0, o.stderr.toString());
  const ol = o.stdout.toString().trim().split('\n');
  assert.match(ol[0], /^\s*PID USER\s+COMMAND$/);
  assert.deepEqual(ol.slice(1).map((l) => l.trim().split(/\s+/).slice(1).join(' ')).sort(), ['app sh', 'app sleep', 'app sleep']);
  const aux = rind(env, ['ps', 'pst', 'aux']);
  assert.match(aux.stdout.toString().split('\n')[0], /^USER\s+PID %CPU %MEM\s+VSZ\s+RSS TTY\s+STAT START\s+TIME COMMAND$/);
  // refused options and ids: one line, 1
  const bad = rind(env, ['ps', 'pst', '-u', 'root']);
  assert.equal(bad.status, 1);
  assert.equal(errOf(bad.stderr).length, 1);
  assert.match(bad.stderr.toString(), /option -u is not supported/);
  assert.equal(rind(env, ['ps', 'pst', '-o', 'comm']).status, 1, 'no PID column: runc fails too');
  const none = rind(env, ['ps', 'nope']);
  assert.equal(none.status, 1);
  assert.deepEqual(errOf(none.stderr), ['rind: container nope does not exist']);
  // stopped, not deleted: runc lists nothing, exit 0
  assert.equal(rind(env, ['kill', 'pst', 'KILL']).status, 0);
  await waitFor(() => state(env, 'pst').status === 'stopped', 30_000);
  const st = rind(env, ['ps', 'pst']);
  assert.equal(st.status, 0, st.stderr.toString());
  assert.equal(st.stdout.toString(), 'UID        PID  PPID  C STIME TTY          TIME CMD\n');
  const sj = rind(env, ['ps', '--format', 'json', 'pst']);
  assert.equal(sj.status, 0);
  assert.equal(sj.stdout.toString(), '[]\n');
  assert.equal(rind(env, ['delete', 'pst']).status, 0);
});

test('bin/rind exits 1 (runc\'s failure code) when it loses its daemon during a call', async () => {
  const b = makeBundle(env, 'lost', ['sleep', '1000']);
  assert.equal(rindDetached(env, ['run', '-d', '--bundle', b, 'lost'], 'lost').status, 0);
  env.ids.add('lost');
  const ev = rindAsync(env, ['events', '--interval', '200ms', 'lost']);
  const pidFile = () => readdirSync(env.root).find((f) => /^\.rindd-[0-9a-f]+\.pid$/.test(f));
  await waitFor(() => pidFile() !== undefined, 10_000);
  await new Promise((r) => setTimeout(r, 1500)); // the events call is under way in the daemon
  const daemon = Number(readFileSync(join(env.root, pidFile()!), 'utf8'));
  process.kill(daemon, 'SIGKILL'); // this test's own daemon (its root is this file's)
  const r = await ev;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /rind: lost the rind daemon during the call/);
  assert.equal(rind(env, ['delete', '--force', 'lost']).status, 0, 'the next call starts a new daemon');
});

test('kill and delete never signal a process that reused the stored shim pid', async () => {
  const b = makeBundle(env, 'reuse', ['sleep', '1000']);
  assert.equal(rindDetached(env, ['create', '--bundle', b, 'reuse'], 'reuse').status, 0);
  env.ids.add('reuse');
  const recFile = join(env.root, 'reuse', 'state.json');
  const sbFile = join(env.root, 'reuse', 'sandbox.json');
  const rec = JSON.parse(readFileSync(recFile, 'utf8'));
  const shim: number = rec.shimPid;
  assert.ok(shim > 0 && rec.shimStartTime > 0);
  // the shim dies without a trace, and an unrelated process gets "its" pid. Its VMM is killed too: a jailed
  // QEMU outlives a SIGKILLed shim (PR_SET_PDEATHSIG is cleared by the jail's uid change)
  const vmm = Number(readFileSync(join(env.root, 'reuse', 'vmm.pid'), 'utf8'));
  process.kill(shim, 'SIGKILL');
  await waitFor(() => !alive(shim), 10_000);
  if (alive(vmm)) process.kill(vmm, 'SIGKILL');
  await waitFor(() => !alive(vmm), 10_000);
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  const gone = new Promise((r) => sleeper.once('exit', r));
  try {
    const other = sleeper.pid!;
    const point = (startTime: number | undefined) => {
      for (const f of [recFile, sbFile]) {
        const j = JSON.parse(readFileSync(f, 'utf8'));
        j.shimPid = other;
        if (startTime === undefined) delete j.shimStartTime;
        else j.shimStartTime = startTime;
        writeFileSync(f, JSON.stringify(j));
      }
    };
    // 1: the stored start time is the dead shim's; 2: a record without one (nothing proves whose pid it is)
    for (const startTime of [rec.shimStartTime, undefined]) {
      point(startTime);
      assert.equal(state(env, 'reuse').status, 'stopped', `start time ${startTime}: the pid is not the container's`);
      const k = rind(env, ['kill', 'reuse', 'KILL']);
      assert.equal(k.status, 1);
      assert.match(k.stderr.toString(), /container reuse is not running/);
      assert.equal(rind(env, ['kill', '--all', 'reuse', 'TERM']).status, 0, 'kill --all of a stopped container is fine (runc)');
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(alive(other), 'the unrelated process is alive after kill');
    }
    const d = rind(env, ['delete', '--force', 'reuse']);
    assert.equal(d.status, 0, d.stderr.toString());
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(alive(other), 'the unrelated process is alive after delete --force');
    assert.ok(!existsSync(join(env.root, 'reuse')), 'the record is gone');
    env.ids.delete('reuse');
  } finally {
    sleeper.kill('SIGKILL');
    await gone;
  }
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
});
