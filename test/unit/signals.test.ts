// Unit tests for runc-style signal parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal } from '../../src/oci/signals.js';

test('names, SIG-less names, numbers and the default', () => {
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('term'), 15);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal(undefined), 15);
  assert.equal(parseSignal('SIGRTMIN+2'), 36);
});

test('rejects nonsense', () => {
  assert.throws(() => parseSignal('SIGNOPE'), /invalid signal/);
  assert.equal(parseSignal('0'), 0, 'signal 0: is it alive? (runc)');
  assert.throws(() => parseSignal('65'), /invalid signal/);
});
