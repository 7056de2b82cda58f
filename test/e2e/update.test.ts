// End-to-end: `rind update` (runc's flags and --resources) changes a running container's limits in its
// guest cgroup, read back from inside; what a VM cannot do (grow its RAM) is refused clearly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor } from './harness.js';

const env = newEnv('update');
after(() => cleanup(env));

test('update changes memory and pids limits of a running container; raising RAM beyond the VM is refused', () => {
  const b = makeBundle(env, 'upd', ['sleep', '120'], (s) => {
    s.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
    s.linux.resources = { memory: { limit: 200 * 1024 * 1024 }, pids: { limit: 100 } };
  });
  env.ids.add('upd');
  assert.equal(rindDetached(env, ['run', '-d', '--bundle', b, 'upd'], 'upd').status, 0);
  const read = () => rind(env, ['exec', 'upd', 'cat', '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/pids.max']).stdout.toString().trim().split('\n');
  assert.deepEqual(read(), [String(200 * 1024 * 1024), '100']);
  const u = rind(env, ['update', '--memory', '100m', '--pids-limit', '20', 'upd']);
  assert.equal(u.status, 0, u.stderr.toString());
  assert.deepEqual(read(), [String(100 * 1024 * 1024), '20']);
  const r = rind(env, ['update', '--resources', '-', 'upd'], { input: JSON.stringify({ pids: { limit: 30 } }) });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(read()[1], '30');
  const big = rind(env, ['update', '--memory', '4g', 'upd']);
  assert.notEqual(big.status, 0);
  assert.match(big.stderr.toString(), /its VM has \d+ MiB of RAM/);
  assert.notEqual(rind(env, ['update', '--memory', 'lots', 'upd']).status, 0);
  assert.equal(rind(env, ['delete', '--force', 'upd']).status, 0);
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
});
