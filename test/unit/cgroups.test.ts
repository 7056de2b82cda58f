// Unit tests for cgroupsPath normalization (runc's absolute, relative and systemd forms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeCgroupPath } from '../../src/host/cgroups.js';

test('cgroupsPath forms', () => {
  assert.equal(normalizeCgroupPath(undefined, 'abc'), '/rind/abc');
  assert.equal(normalizeCgroupPath('/libpod_parent/libpod-1', 'x'), '/libpod_parent/libpod-1');
  assert.equal(normalizeCgroupPath('a/../../b', 'x'), '/a/b');
  assert.equal(normalizeCgroupPath('machine.slice:libpod:abc', 'x'), '/machine.slice/libpod-abc.scope');
});
