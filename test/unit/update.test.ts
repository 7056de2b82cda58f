// Unit tests for `rind update`'s flags: runc's sizes and the resources they build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize, resourcesFrom } from '../../src/runtime/update.js';

test('sizes: bytes or k/m/g/t, 1024-based; bad ones named', () => {
  assert.equal(parseSize('1048576', 'memory'), 1048576);
  assert.equal(parseSize('100m', 'memory'), 100 * 2 ** 20);
  assert.equal(parseSize('2G', 'memory'), 2 * 2 ** 30);
  assert.equal(parseSize('512kb', 'memory'), 512 * 1024);
  assert.throws(() => parseSize('lots', 'memory'), /--memory: "lots" is not a size/);
});

test('flags become LinuxResources', () => {
  assert.deepEqual(resourcesFrom({ memory: '64m', pidsLimit: '20', cpuQuota: '50000', cpuPeriod: '100000', cpusetCpus: '0' }), {
    memory: { limit: 64 * 2 ** 20 }, cpu: { quota: 50000, period: 100000, cpus: '0' }, pids: { limit: 20 },
  });
  assert.throws(() => resourcesFrom({ pidsLimit: 'x' }), /--pids-limit/);
});
