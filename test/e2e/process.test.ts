// End-to-end: the rest of the process and container spec on real VMs — terminal via console
// socket, bind mounts of host files, hostname, rlimits, guest sizing and host cgroup placement.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, consoleReceiver, state, waitFor, cleanup, leftovers, createUnderSubreaper } from './harness.js';

const env = newEnv('process');
after(() => cleanup(env));

test('terminal: true sends a pty master to --console-socket', async () => {
  const b = makeBundle(env, 'tty', ['sh', '-c', 'tty; sleep 0.5; stty size; echo done'], (s) => (s.process.terminal = true));
  const { socket, output } = await consoleReceiver(env, 'tty');
  const r = rind(env, ['run', '-d', '--console-socket', socket, '--bundle', b, 'tty']);
  env.ids.add('tty');
  assert.equal(r.status, 0, r.stderr.toString());
  const out = await output;
  assert.match(out, /\/dev\/pts\/\d+/);
  assert.match(out, /33 111/);
  assert.match(out, /done/);
  await waitFor(() => state(env, 'tty').status === 'stopped', 30_000);
  assert.equal(rind(env, ['delete', 'tty']).status, 0);
});

test('terminal without a console socket is refused for create', () => {
  const b = makeBundle(env, 'notty', ['true'], (s) => (s.process.terminal = true));
  const r = rind(env, ['create', '--bundle', b, 'notty']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /console-socket/);
  assert.ok(!existsSync(join(env.root, 'notty')));
});

test('bind mounts of host files and dirs, read-only honoured; hostname; rlimits', () => {
  const hosts = join(env.work, 'hosts');
  writeFileSync(hosts, '10.1.2.3 from-the-host\n');
  const b = makeBundle(
    env,
    'binds',
    ['sh', '-c', 'cat /etc/hosts; hostname; ulimit -n; echo x > /data/new.txt; echo y >> /etc/hosts || echo ro-refused'],
    (s) => {
      s.hostname = 'box1';
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 4096 }];
      s.mounts.push({ destination: '/etc/hosts', type: 'bind', source: hosts, options: ['rbind', 'ro'] });
      s.mounts.push({ destination: '/data', type: 'bind', source: env.work, options: ['rbind', 'rw'] });
    },
  );
  const r = rind(env, ['run', '--bundle', b, 'binds']);
  assert.equal(r.status, 0, r.stderr.toString());
  const lines = r.stdout.toString().trim().split('\n');
  assert.deepEqual(lines, ['10.1.2.3 from-the-host', 'box1', '4096', 'ro-refused']);
  assert.equal(readFileSync(join(env.work, 'new.txt'), 'utf8'), 'x\n');
  assert.equal(readFileSync(hosts, 'utf8'), '10.1.2.3 from-the-host\n');
});

test('memory limit sizes the guest, CPU quota sizes vCPUs', () => {
  const b = makeBundle(env, 'size', ['sh', '-c', 'nproc; grep MemTotal /proc/meminfo'], (s) => {
    s.linux.resources = { memory: { limit: 256 * 1024 * 1024 }, cpu: { quota: 200000, period: 100000 } };
  });
  const r = rind(env, ['run', '--bundle', b, 'size']);
  assert.equal(r.status, 0, r.stderr.toString());
  const [nproc, mem] = r.stdout.toString().trim().split('\n');
  assert.equal(nproc, '2');
  const kib = Number(/(\d+) kB/.exec(mem)![1]);
  assert.ok(kib > 200 * 1024 && kib <= 256 * 1024, `MemTotal ${kib} kB`);
});

test('shim and VMM land in the spec cgroupsPath; delete removes it', async () => {
  const id = 'cg';
  const b = makeBundle(env, id, ['sleep', '1000'], (s) => {
    s.linux.cgroupsPath = `/rindtest/${id}`;
    s.linux.resources = { cpu: { quota: 20000, period: 100000 } };
  });
  const { pidFile } = createUnderSubreaper(env, id, b);
  await waitFor(() => existsSync(pidFile), 120_000);
  const pid = readFileSync(pidFile, 'utf8').trim();
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? `/sys/fs/cgroup/rindtest/${id}` : `/sys/fs/cgroup/memory/rindtest/${id}`;
  const procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n');
  assert.ok(procs.includes(pid), `shim ${pid} not in ${dir}`);
  assert.ok(procs.length >= 2, 'QEMU is in the cgroup too');
  // the host cgroup limits the VMM: guest RAM (128 MiB) + its overhead (96 MiB), and the spec's CPU quota as given
  const memFile = v2 ? join(dir, 'memory.max') : join(dir, 'memory.limit_in_bytes');
  assert.equal(Number(readFileSync(memFile, 'utf8')), (128 + 96) * 1024 * 1024);
  const cpu = v2 ? readFileSync(join(dir, 'cpu.max'), 'utf8').trim() : readFileSync(`/sys/fs/cgroup/cpu/rindtest/${id}/cpu.cfs_quota_us`, 'utf8').trim();
  assert.equal(cpu, v2 ? '20000 100000' : '20000');
  assert.equal(rind(env, ['delete', '--force', id]).status, 0);
  assert.ok(!existsSync(dir));
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
});
