// Unit tests for `rind bench density` option parsing and the neighbour-table plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDensityOptions, defaultDeadlineSeconds } from '../options.js';
import { neededEntries, planThresholds } from '../neigh.js';
import { formatCidr } from '../subnet.js';

test('defaults', () => {
  const o = parseDensityOptions({});
  assert.deepEqual(o.runtimes, ['rind', 'runc', 'crun']);
  assert.equal(o.count, 20);
  assert.equal(o.parallel, 4);
  assert.equal(formatCidr(o.subnet), '10.213.0.0/16');
  assert.equal(o.bridge, 'rindbench0');
  assert.equal(o.settleSeconds, 10);
  assert.equal(o.deadlineSeconds, undefined);
  assert.equal(o.progress, true);
  assert.equal(o.memoryMiB, 128);
});

test('flags as commander hands them over', () => {
  const o = parseDensityOptions({ runtimes: 'runc, crun', count: '200', parallel: '8', settle: '0', deadline: '90', progress: false, json: 'r.json' });
  assert.deepEqual(o.runtimes, ['runc', 'crun']);
  assert.equal(o.count, 200);
  assert.equal(o.parallel, 8);
  assert.equal(o.settleSeconds, 0);
  assert.equal(o.deadlineSeconds, 90);
  assert.equal(o.progress, false);
  assert.equal(o.json, 'r.json');
});

test('bad input is refused with the flag named', () => {
  assert.throws(() => parseDensityOptions({ runtimes: 'runc,docker' }), /unknown runtime docker/);
  assert.throws(() => parseDensityOptions({ runtimes: 'runc,runc' }), /twice/);
  assert.throws(() => parseDensityOptions({ runtimes: '' }), /at least one/);
  assert.throws(() => parseDensityOptions({ count: '0' }), /--count/);
  assert.throws(() => parseDensityOptions({ count: '2.5' }), /--count/);
  assert.throws(() => parseDensityOptions({ parallel: 'x' }), /--parallel/);
  assert.throws(() => parseDensityOptions({ subnet: '10.213.0.1/16' }), /--subnet.*host bits/);
  assert.throws(() => parseDensityOptions({ subnet: '10.0.0.0/4' }), /--subnet/);
  assert.throws(() => parseDensityOptions({ subnet: '10.213.0.0/24', count: '254' }), /room for 253/);
  assert.throws(() => parseDensityOptions({ bridge: 'a-very-long-bridge-name' }), /--bridge/);
  assert.throws(() => parseDensityOptions({ settle: '-1' }), /--settle/);
});

test('default deadlines grow with N, more for microVMs', () => {
  assert.equal(defaultDeadlineSeconds('runc', 200), 260);
  assert.ok(defaultDeadlineSeconds('rind', 50) > defaultDeadlineSeconds('crun', 50));
});

test('neighbour thresholds: untouched when they suffice, raised (never lowered) when not', () => {
  const defaults: [number, number, number] = [128, 512, 1024];
  assert.equal(neededEntries(50), 356);
  assert.equal(planThresholds(neededEntries(50), defaults), null);
  const t = planThresholds(neededEntries(800), defaults)!;
  assert.ok(t[0] <= t[1] && t[1] <= t[2]);
  assert.ok(t[2] >= 4 * neededEntries(800) && t[1] >= neededEntries(800));
  assert.deepEqual(planThresholds(neededEntries(200), [4096, 8192, 16384]), null);
  const kept = planThresholds(3000, [5000, 2048, 100_000])!;
  assert.equal(kept[0], 5000);
  assert.equal(kept[2], 100_000);
});
