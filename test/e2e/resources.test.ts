// End-to-end: linux.resources become the container's own cgroup inside the guest (read back from the
// guest's cgroup files), and running out of memory kills the workload with 137, as under runc.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor } from './harness.js';

const env = newEnv('resources');
after(() => cleanup(env));
const cgroupMount = { destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] };

test('memory, pids, cpu quota, shares and cpuset are the container cgroup\'s limits in the guest', () => {
  const b = makeBundle(env, 'limits', ['sh', '-c', 'cd /sys/fs/cgroup; cat memory.max memory.low pids.max cpu.max cpu.weight cpuset.cpus'], (s) => {
    s.mounts.push(cgroupMount);
    s.linux.resources = { memory: { limit: 200 * 1024 * 1024, reservation: 100 * 1024 * 1024 }, pids: { limit: 50 }, cpu: { quota: 50000, period: 100000, shares: 1024, cpus: '0' } };
  });
  env.ids.add('limits');
  const r = rind(env, ['run', '--bundle', b, 'limits']);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.deepEqual(r.stdout.toString().trim().split('\n'), [String(200 * 1024 * 1024), String(100 * 1024 * 1024), '50', '50000 100000', '39', '0']);
});

test('the pids limit holds: forks beyond it fail inside the guest', () => {
  const b = makeBundle(env, 'pids', ['sh', '-c', 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 3 & done" 2>/dev/null; read n < /sys/fs/cgroup/pids.current; read e < /sys/fs/cgroup/pids.events; echo "pids=$n events=$e"'], (s) => {
    s.mounts.push(cgroupMount);
    s.linux.resources = { pids: { limit: 5 } };
  });
  env.ids.add('pids');
  const r = rind(env, ['run', '--bundle', b, 'pids']);
  const out = r.stdout.toString();
  const n = Number(/pids=(\d+)/.exec(out)?.[1]);
  assert.ok(n > 0 && n <= 5, `pids.current ${n} stays within 5: ${out}${r.stderr}`);
  assert.match(out, /events=max [1-9]/, 'forks were refused at the limit');
});

test('running out of memory kills the workload with 137 (OOM), not a MemoryError', () => {
  const b = makeBundle(env, 'oom', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=96M', 'count=1'], (s) => {
    s.linux.resources = { memory: { limit: 48 * 1024 * 1024 } };
  });
  env.ids.add('oom');
  const r = rind(env, ['run', '--bundle', b, 'oom']);
  assert.equal(r.status, 137, r.stderr.toString());
});

test('events --stats reports the container\'s own cgroup and the OOM kills in it', async () => {
  const b = makeBundle(env, 'oomkid', ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=96M count=1; sleep 60'], (s) => {
    s.linux.resources = { memory: { limit: 48 * 1024 * 1024 } };
  });
  env.ids.add('oomkid');
  assert.equal(rindDetached(env, ['run', '-d', '--bundle', b, 'oomkid'], 'oomkid').status, 0);
  let data: any;
  await waitFor(() => {
    const ev = rind(env, ['events', '--stats', 'oomkid']);
    data = ev.status === 0 ? JSON.parse(ev.stdout.toString()).data : undefined;
    return Boolean(data?.memory.oom_kill);
  }, 30_000);
  assert.equal(data.memory.oom_kill, 1, 'the OOM-killed dd is counted');
  assert.equal(data.memory.usage.limit, 48 * 1024 * 1024, 'the limit is the container\'s, not the VM\'s RAM');
  assert.ok(data.memory.usage.usage > 0 && data.memory.usage.usage <= 48 * 1024 * 1024, `usage ${data.memory.usage.usage} within the container limit`);
  assert.equal(rind(env, ['delete', '--force', 'oomkid']).status, 0);
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
});
