// Unit tests for translating the OCI process and mounts into the agent's create message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAgentConfig } from '../../src/guest/linux/agent-config.js';
import { validateSpec } from '../../src/oci/spec.js';
import { defaultSpec } from '../../src/oci/default-spec.js';

const files: Record<string, { isDir: boolean }> = { '/etc/hosts': { isDir: false }, '/b/data': { isDir: true } };
const stat = (p: string) => files[p];

test('process fields in order, rlimits by number', () => {
  const s = defaultSpec() as any;
  s.process.args = ['/bin/echo', 'a b', ''];
  s.process.user = { uid: 1000, gid: 100, additionalGids: [5, 6], umask: 63 };
  const c = buildAgentConfig(validateSpec(s), '/b', stat);
  const args = c.fields.filter((f) => f.startsWith('arg=')).map((f) => f.slice(4));
  assert.deepEqual(args, ['/bin/echo', 'a b', '']);
  assert.ok(c.fields.includes('uid=1000') && c.fields.includes('gids=5,6') && c.fields.includes('umask=63'));
  assert.ok(c.fields.includes('rlimit=7,1024,1024'));
  assert.ok(c.fields.includes('readonly=1'));
});

test('bind mounts become share-relative binds, relative sources resolve in the bundle', () => {
  const s = defaultSpec() as any;
  s.mounts.push({ destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['rbind', 'ro'] });
  s.mounts.push({ destination: '/data', source: 'data', options: ['bind'] });
  const c = buildAgentConfig(validateSpec(s), '/b', stat);
  assert.deepEqual(c.binds, [
    { source: '/etc/hosts', target: 'binds/0', isDir: false, readonly: true },
    { source: '/b/data', target: 'binds/1', isDir: true, readonly: false },
  ]);
  assert.ok(c.fields.includes('mount=/etc/hosts\x1fbind\x1fbinds/0\x1frbind,ro'));
  assert.ok(c.fields.includes('mount=/proc\x1fproc\x1fproc\x1f'));
});

test('missing bind source and .. destinations are refused', () => {
  const s = defaultSpec() as any;
  s.mounts = [{ destination: '/x', type: 'bind', source: '/nope', options: ['bind'] }];
  assert.throws(() => buildAgentConfig(validateSpec(s), '/b', stat), /source \/nope does not exist/);
  s.mounts = [{ destination: '/a/../../etc', type: 'tmpfs', source: 'tmpfs' }];
  assert.throws(() => buildAgentConfig(validateSpec(s), '/b', stat), /must not contain \.\./);
});

test('unbounded rlimits map to -1', () => {
  const s = defaultSpec() as any;
  s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 18446744073709552000, hard: 18446744073709552000 }];
  const c = buildAgentConfig(validateSpec(s), '/b', stat);
  assert.ok(c.fields.includes('rlimit=4,-1,-1'));
});

test('200,000 arguments or an oversized env: one clear line about the size, no stack overflow', () => {
  const s = defaultSpec() as any;
  s.process.args = Array.from({ length: 200_000 }, () => 'arg');
  assert.throws(() => buildAgentConfig(validateSpec(s), '/b', stat), /the process \(args, env\) and mounts take \d+ bytes: rind passes at most \d+ to the guest/);
  s.process.args = ['/bin/true'];
  s.process.env = ['BIG=' + 'x'.repeat(1 << 20)];
  assert.throws(() => buildAgentConfig(validateSpec(s), '/b', stat), /take \d+ bytes/);
});

test('consoleSize goes with a terminal only; idmapped mounts are refused, never ignored', () => {
  const s = defaultSpec() as any;
  s.process.terminal = true;
  s.process.consoleSize = { height: 41, width: 97 };
  assert.ok(buildAgentConfig(validateSpec(s), '/b', stat).fields.includes('console_size=41,97'));
  s.process.terminal = false;
  assert.ok(!buildAgentConfig(validateSpec(s), '/b', stat).fields.some((f) => f.startsWith('console_size=')));
  s.process.terminal = true;
  s.process.consoleSize = { height: 70000, width: 1 };
  assert.throws(() => buildAgentConfig(validateSpec(s), '/b', stat), /consoleSize: 70000x1/);
  const m = defaultSpec() as any;
  m.mounts.push({ destination: '/data', type: 'bind', source: '/b/data', options: ['rbind', 'idmap'] });
  assert.throws(() => buildAgentConfig(validateSpec(m), '/b', stat), /idmapped mounts are not supported/);
  const u = defaultSpec() as any;
  u.mounts.push({ destination: '/data', type: 'bind', source: '/b/data', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
  assert.throws(() => buildAgentConfig(validateSpec(u), '/b', stat), /idmapped mounts/);
});
