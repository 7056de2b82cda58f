// Unit tests for the density reports: the plain table (with ratios) and the self-contained HTML page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, formatTable } from '../report-table.js';
import { renderHtml, niceTicks, lineChart, barChart, stackedBarChart, escapeHtml } from '../report-html.js';
import type { DensityReport, RuntimeResult } from '../types.js';

function result(runtime: string, k: number, failures = 0): RuntimeResult {
  return {
    runtime,
    version: `${runtime} 1.0`,
    count: 4,
    parallel: 2,
    allServingSeconds: 2 * k,
    startLatencyMs: { p50: 40 * k, p95: 60 * k, max: 70 * k },
    firstAnswerMs: { p50: 50 * k, p95: 80 * k },
    memoryPerServiceMiB: { available: 0.7 * k, pss: 0.5 * k, cgroup: 0.6 * k },
    cpuSeconds: 1.5 * k,
    failures,
    failureReasons: failures ? [`${runtime}-0004: no answer within 120 s of start`] : [],
    served: 4 - failures,
    servingAfterSettle: 4 - failures,
    servingTimeline: [0.1, 0.5, 1, 2 * k].slice(0, 4 - failures),
    processesPerService: 1,
    deadlineSeconds: 64,
    deadlineHit: false,
    loadAverageBefore: [0.5, 0.4, 0.3],
    phaseSeconds: { network: 1, run: 2, settle: 10, teardown: 1 },
    harnessLoopDelayMs: { p50: 10, p99: 20, max: 30 },
    leftovers: [],
  };
}

function report(results: RuntimeResult[]): DensityReport {
  return {
    metadata: {
      benchmark: 'density',
      date: '2026-11-27T00:00:00.000Z',
      N: 4,
      P: 2,
      runtimes: results.map((r) => r.runtime),
      loadAverage: [0.5, 0.4, 0.3],
      accelerator: 'tcg (no KVM)',
      host: { kernel: '6.1.0', cpus: 2, memTotalMiB: 24000 },
      subnet: '10.213.0.0/16',
      bridge: 'rindbench0',
      settleSeconds: 10,
      memoryLimitMiB: 64,
      cgroups: 'cgroup v1 (unchanged)',
      wallSeconds: 40,
    },
    results: Object.fromEntries(results.map((r) => [r.runtime, r])),
    leftovers: [],
  };
}

test('table: one row per runtime in the order run, plus rind/runc and rind/crun ratios', () => {
  const text = renderTable(report([result('rind', 10), result('runc', 1), result('crun', 0.5)]));
  const lines = text.split('\n');
  const rows = lines.filter((l) => /^(rind|runc|crun)/.test(l));
  assert.deepEqual(rows.map((l) => l.split(/\s+/)[0]), ['runtime', 'rind', 'runc', 'crun', 'rind/runc', 'rind/crun'].filter((n) => n !== 'runtime'));
  const rindRunc = rows.find((l) => l.startsWith('rind/runc'))!;
  assert.match(rindRunc, /10x/);
  const rindCrun = rows.find((l) => l.startsWith('rind/crun'))!;
  assert.match(rindCrun, /20x/);
  assert.match(text, /N=4 P=2/);
  assert.doesNotMatch(text, /!!/);
});

test('table: failures are loud', () => {
  const text = renderTable(report([result('runc', 1, 1)]));
  assert.match(text, /1 !!/);
  assert.match(text, /!! runc: 1 of 4 services FAILED/);
  assert.doesNotMatch(text, /rind\/runc/);
});

test('formatTable aligns columns', () => {
  const t = formatTable([['a', 'bb'], ['ccc', '1']]);
  assert.equal(t, 'a    bb\n---  --\nccc   1');
});

test('niceTicks covers the maximum with round steps', () => {
  assert.deepEqual(niceTicks(10), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0.9), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const t = niceTicks(187);
  assert.ok(t[t.length - 1] >= 187 && t.length <= 7);
  assert.deepEqual(niceTicks(0), [0, 1]);
});

test('charts are SVG with one line per series and one bar per value', () => {
  const svg = lineChart([{ name: 'runc', color: '#000', points: [[1, 1], [2, 2]] }, { name: 'crun', color: '#111', points: [[0.5, 1]] }], 'x', 'y', 't');
  assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
  assert.match(svg, /^<svg[^>]*viewBox/);
  const bars = barChart([{ label: 'runc', bars: [{ name: 'a', color: '#000', value: 1 }, { name: 'b', color: '#111', value: null }] }], 'MiB', 't');
  assert.equal((bars.match(/<rect x="\d/g) ?? []).length - 2, 1); // 2 legend swatches
  assert.match(bars, /n\/a/);
  const negative = barChart([{ label: 'runc', bars: [{ name: 'a', color: '#000', value: -0.5 }] }], 'MiB', 't');
  assert.doesNotMatch(negative, /height="-/);
  assert.match(negative, />-0.5</);
});

test('HTML page is self-contained: no scripts, no links, no external URLs', () => {
  const html = renderHtml(report([result('rind', 10), result('runc', 1, 1)]));
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg/g) ?? []).length, 4);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<script|<link|src=/);
  assert.match(html, /class="fail"/);
  assert.match(html, /rind \(4\/4\)/);
  assert.match(html, /runc \(3\/4\)/);
});

test('escapeHtml', () => {
  assert.equal(escapeHtml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});

test('a MemAvailable drop within the noise is "< noise" with the noise named, never a negative number or a ratio', () => {
  const rind = result('rind', 10);
  const runc = { ...result('runc', 1), memoryPerServiceMiB: { available: -0.3, pss: 0.5, cgroup: 0.6 }, memoryNoise: { noiseMiB: 0.8, belowNoise: true } };
  const text = renderTable(report([rind, runc]));
  const runcRow = text.split('\n').find((l) => l.startsWith('runc '))!;
  assert.match(runcRow, /< noise/);
  assert.doesNotMatch(text, /-0\.3 /);
  assert.match(text, /runc: MemAvailable rose by 0.3 MiB per service during the run \(other work on the machine freed memory\); MemAvailable's range over 1 s before the first create and 1 s after the settle was 0.8 MiB per service/);
  const within = { ...runc, memoryPerServiceMiB: { ...runc.memoryPerServiceMiB, available: 0.5 } };
  assert.match(renderTable(report([rind, within])), /runc: MemAvailable dropped 0.5 MiB per service, within the noise; /);
  const ratioCells = text.split('\n').find((l) => l.startsWith('rind/runc'))!.split(/\s+/);
  assert.equal(ratioCells[7], '-'); // MiB/svc avail (N and P are blank): no ratio of noise
  const html = renderHtml(report([rind, runc]));
  assert.match(html, /&lt; noise/);
  assert.doesNotMatch(html, />-0.3</);
  assert.match(html, /was 0.8 MiB per service. Shown as &quot;&lt; noise&quot;/);
});

test('CPU per service: split table and a stacked bar per runtime', () => {
  const rind = { ...result('rind', 10), cpuPerServiceMs: { total: 900, cli: 60, shim: 5, vmm: 800, guest: null, rest: 35 } };
  const runc = { ...result('runc', 1), cpuPerServiceMs: { total: 40, cli: 30, shim: null, vmm: null, guest: null, rest: 10 } };
  const text = renderTable(report([rind, runc]));
  const line = text.split('\n').find((l) => l.startsWith('rind ') && l.includes('in VMM'))!;
  assert.deepEqual(line.split(/\s+/), ['rind', '900', '60', '5', '800', 'in', 'VMM', '35']);
  assert.match(text, /^runc\s+40\s+30\s+-\s+-\s+-\s+10$/m);
  const svg = stackedBarChart([{ label: 'rind', segments: [{ name: 'cli', color: '#000', value: 60 }, { name: 'vmm', color: '#111', value: 800 }, { name: 'guest', color: '#222', value: null }] }], 'ms', 't');
  assert.equal((svg.match(/<rect x="\d/g) ?? []).length - 2, 2); // 2 segments + 2 legend swatches (no guest)
  assert.match(svg, />860</);
  assert.doesNotMatch(svg, /height="-/);
  assert.match(renderHtml(report([rind, runc])), /CPU per service, split/);
});
