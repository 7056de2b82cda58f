// Unit tests for which cached VM templates are deleted (least recently used beyond the kept
// count, dead build dirs) and which are never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { templatesToPrune } from '../../src/runtime/templates.js';

const key = (n: number) => n.toString(16).padStart(20, '0');

test('keeps the current template and the N most recently used others', () => {
  const entries = [1, 2, 3, 4, 5, 6].map((n) => ({ name: key(n), lastUse: n * 1000 }));
  const doomed = templatesToPrune(entries, key(1), 3, () => true);
  assert.deepEqual(doomed.sort(), [key(2), key(3)]);
});

test('build dirs go only when their builder is dead; unknown names and lock dirs stay', () => {
  const entries = [
    { name: `${key(7)}.build-111` },
    { name: `${key(8)}.build-222` },
    { name: `${key(9)}.lock` },
    { name: 'notes.txt' },
    { name: key(10) }, // no meta.json (being written): never pruned
  ];
  const doomed = templatesToPrune(entries, key(1), 0, (pid) => pid === 222);
  assert.deepEqual(doomed, [`${key(7)}.build-111`]);
});
