// Unit tests for translating the spec's security settings into the agent's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capMask, capabilityFields, linuxSecurityFields, processSecurityFields, seccompFields } from '../../src/guest/linux/security.js';

test('capabilities become hex masks per set; an absent set is empty; unknown names refused', () => {
  assert.equal(capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], 'x'), (1 | (1 << 5) | (1 << 10)).toString(16));
  assert.equal(capMask(['CAP_CHECKPOINT_RESTORE'], 'x'), (1n << 40n).toString(16));
  assert.deepEqual(capabilityFields({ bounding: ['CAP_CHOWN'], effective: [] }), ['cap_bounding=1', 'cap_effective=0', 'cap_permitted=0', 'cap_inheritable=0', 'cap_ambient=0']);
  assert.throws(() => capabilityFields({ bounding: ['CAP_FLY'] }), /process\.capabilities\.bounding: unknown capability "CAP_FLY"/);
  assert.deepEqual(capabilityFields(undefined), []);
});

test('no_new_privs, oom_score_adj bounds', () => {
  assert.deepEqual(processSecurityFields({ noNewPrivileges: true, oomScoreAdj: -500 }), ['nnp=1', 'oom_score_adj=-500']);
  assert.throws(() => processSecurityFields({ oomScoreAdj: 1001 }), /must be -1000\.\.1000/);
});

test('masked/read-only paths, sysctls, devices, propagation; bad values refused', () => {
  const f = linuxSecurityFields({
    maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'], sysctl: { 'net.ipv4.ip_forward': '1' },
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }], rootfsPropagation: 'rslave',
  });
  assert.deepEqual(f, ['masked=/proc/kcore', 'readonly_path=/proc/sys', 'sysctl=net.ipv4.ip_forward\x1f1', 'device=/dev/fuse\x1fc\x1f10\x1f229\x1f600\x1f0\x1f0', 'rootfs_propagation=rslave']);
  assert.throws(() => linuxSecurityFields({ maskedPaths: ['proc/kcore'] }), /not an absolute path/);
  assert.throws(() => linuxSecurityFields({ sysctl: { 'bad name': '1' } }), /bad name/);
  assert.throws(() => linuxSecurityFields({ devices: [{ path: '/etc/x', type: 'c', major: 1, minor: 3 }] }), /must be under \/dev/);
  assert.throws(() => linuxSecurityFields({ devices: [{ path: '/dev/x', type: 'q', major: 1, minor: 3 }] }), /type "q"/);
  assert.throws(() => linuxSecurityFields({ rootfsPropagation: 'sideways' }), /not a propagation type/);
});

test('seccomp: a compiled program in base64 and its flags', () => {
  const f = seccompFields({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] });
  assert.equal(f.length, 2);
  const prog = Buffer.from(f[0].slice('seccomp='.length), 'base64');
  assert.equal(prog.length % 8, 0);
  assert.ok(prog.length >= 8 * 4);
  assert.match(f[1], /^seccomp_flags=\d+$/);
  assert.throws(() => seccompFields({ defaultAction: 'SCMP_ACT_NOTIFY' }), /NOTIFY/);
});
