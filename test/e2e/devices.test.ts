// End-to-end: linux.resources.devices as the container's cgroup device program in the guest. A root with
// CAP_MKNOD may make any node, as under runc, but opens only what the rules (and runc's defaults) allow.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { newEnv, makeBundle, rind, rindDetached, cleanup, type SpecPatch } from './harness.js';

const env = newEnv('devices');
after(() => cleanup(env));

// /dev/kmsg (1:11) is in the guest kernel; it is not among runc's default nodes
const PROBE = 'mknod /dev/k c 1 11 && (head -c 1 /dev/k >/dev/null 2>&1 && echo kmsg-open || echo kmsg-denied); ' +
  'mknod /dev/n2 c 1 3 && echo x > /dev/n2 && echo null-ok; echo y > /dev/null && echo default-ok';

function run(id: string, patch?: SpecPatch): string {
  const b = makeBundle(env, id, ['sh', '-c', PROBE], patch);
  env.ids.add(id);
  const r = rind(env, ['run', '--bundle', b, id]);
  rind(env, ['delete', '--force', id]);
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString();
}

test('deny-all (the default spec\'s rule): a made /dev/kmsg cannot be opened; the default nodes can', () => {
  const out = run('deny');
  assert.match(out, /^kmsg-denied$/m, out);
  assert.match(out, /^null-ok$/m, 'a second node of /dev/null (1:3) is allowed');
  assert.match(out, /^default-ok$/m);
});

test('an allow rule for 1:11, or no device rules at all, lets it open (the test can fail)', () => {
  const allowed = run('allow', (s) => s.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: 11, access: 'r' }));
  assert.match(allowed, /^kmsg-open$/m, allowed);
  const none = run('none', (s) => delete s.linux.resources.devices);
  assert.match(none, /^kmsg-open$/m, none);
});

test('exec\'d processes are held by the same rules; a bad rule is refused before any VM', () => {
  const b = makeBundle(env, 'ex', ['sleep', '100']);
  env.ids.add('ex');
  const c = rindDetached(env, ['run', '-d', '--bundle', b, 'ex'], 'ex');
  assert.equal(c.status, 0, c.stderr);
  const e = rind(env, ['exec', 'ex', 'sh', '-c', 'mknod /dev/k2 c 1 11; head -c 1 /dev/k2 >/dev/null 2>&1 && echo open || echo denied']);
  assert.equal(e.stdout.toString(), 'denied\n', e.stderr.toString());
  assert.equal(rind(env, ['delete', '--force', 'ex']).status, 0);
  const bad = makeBundle(env, 'bad', ['true'], (s) => s.linux.resources.devices.push({ allow: true, type: 'z', access: 'r' }));
  const r = rind(env, ['create', '--bundle', bad, 'bad']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /devices\[1\].*type/);
});
