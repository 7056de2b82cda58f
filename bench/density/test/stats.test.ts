// Unit tests for the benchmark's percentiles and summaries (bench/density/stats.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, summarize, round, ratio, cumulative } from '../stats.js';

test('percentile interpolates linearly between closest ranks', () => {
  const v = [1, 2, 3, 4];
  assert.equal(percentile(v, 0), 1);
  assert.equal(percentile(v, 100), 4);
  assert.equal(percentile(v, 50), 2.5);
  assert.ok(Math.abs(percentile(v, 95)! - 3.85) < 1e-9);
  assert.equal(percentile([7], 95), 7);
});

test('percentile ignores order and non-finite values; empty is null', () => {
  assert.equal(percentile([5, 1, 3], 50), 3);
  assert.equal(percentile([NaN, 2, Infinity, 4], 50), 3);
  assert.equal(percentile([], 50), null);
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], -1), RangeError);
});

test('percentile does not mutate its input', () => {
  const v = [3, 1, 2];
  percentile(v, 50);
  assert.deepEqual(v, [3, 1, 2]);
});

test('summarize gives p50, p95 and max', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  const s = summarize(v);
  assert.equal(s.p50, 50.5);
  assert.ok(Math.abs(s.p95! - 95.05) < 1e-9);
  assert.equal(s.max, 100);
  assert.deepEqual(summarize([]), { p50: null, p95: null, max: null });
});

test('round, ratio and cumulative', () => {
  assert.equal(round(1.2345, 2), 1.23);
  assert.equal(round(null), null);
  assert.equal(round(NaN), null);
  assert.equal(ratio(10, 4), 2.5);
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(null, 2), null);
  assert.deepEqual(cumulative([0.3, 0.1, 0.2]), [[0.1, 1], [0.2, 2], [0.3, 3]]);
});
