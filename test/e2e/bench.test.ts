// End-to-end test of `rind bench density` at N=2 per runtime: real runc/crun (and rind once it
// serves), real CNI networking; figures present and sane, everything torn down afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RIND } from './harness.js';

const BRIDGE = 'rbe2e0';
const SUBNET = '10.214.0.0/24'; // not the default 10.213.0.0/16: a benchmark may be running beside the tests

function thresholds(): string {
  return [1, 2, 3].map((i) => readFileSync(`/proc/sys/net/ipv4/neigh/default/gc_thresh${i}`, 'utf8').trim()).join('/');
}

function unifiedControllers(): string | undefined {
  const f = '/sys/fs/cgroup/unified/cgroup.controllers';
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
}

/** Everything a run could leave: its bridge, netns, cgroups, work dirs, processes. */
function leftovers(): string[] {
  const out: string[] = [];
  if (existsSync(`/sys/class/net/${BRIDGE}`)) out.push(`bridge ${BRIDGE}`);
  if (existsSync('/run/netns')) out.push(...readdirSync('/run/netns').filter((n) => n.startsWith('rindbench-')).map((n) => `netns ${n}`));
  for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
    const dir = join('/sys/fs/cgroup', h);
    try {
      out.push(...readdirSync(dir).filter((d) => d.startsWith('rind-density-')).map((d) => `cgroup ${dir}/${d}`));
    } catch {
      /* not a directory */
    }
  }
  out.push(...readdirSync(tmpdir()).filter((d) => d.startsWith('rind-density-')).map((d) => `work dir ${d}`));
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(`${tmpdir()}/rind-density-`)) out.push(`process ${p}: ${cmd.replace(/\0/g, ' ').slice(0, 100)}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

function bench(runtimes: string, count: number, dir: string) {
  const json = join(dir, `${runtimes}.json`);
  const html = join(dir, `${runtimes}.html`);
  const r = spawnSync(
    RIND,
    ['bench', 'density', '--runtimes', runtimes, '--count', String(count), '--parallel', '2', '--settle', '1', '--bridge', BRIDGE, '--subnet', SUBNET,
      '--json', json, '--html', html, '--no-progress', '--deadline', runtimes === 'rind' ? '240' : '60', '--answer-timeout', '60'],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const report = existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : undefined;
  return { r, report, html: existsSync(html) ? readFileSync(html, 'utf8') : '' };
}

function assertSane(res: any, n: number, name: string): void {
  assert.ok(res, `${name}: no results`);
  assert.equal(res.failures, 0, `${name} failures: ${res.failureReasons?.join('; ')}`);
  assert.equal(res.served, n);
  assert.equal(res.servingAfterSettle, n);
  assert.ok(res.allServingSeconds > 0 && res.allServingSeconds < 240, `allServingSeconds ${res.allServingSeconds}`);
  const s = res.startLatencyMs;
  assert.ok(s.p50 > 0 && s.p50 <= s.p95 && s.p95 <= s.max && s.max < 240_000, `startLatencyMs ${JSON.stringify(s)}`);
  const a = res.firstAnswerMs;
  assert.ok(a.p50 >= s.p50 * 0.5 && a.p50 <= a.p95, `firstAnswerMs ${JSON.stringify(a)}`);
  assert.ok(a.p95 <= res.allServingSeconds * 1000 + 2, `no answer can come after the last one: ${a.p95} ms > ${res.allServingSeconds} s`);
  assert.ok(Number.isFinite(res.memoryPerServiceMiB.available), 'MemAvailable figure');
  assert.ok(res.memoryPerServiceMiB.pss > 0 && res.memoryPerServiceMiB.pss < 1024, `pss ${res.memoryPerServiceMiB.pss}`);
  assert.ok(res.cpuSeconds > 0 && res.cpuSeconds < 600, `cpuSeconds ${res.cpuSeconds}`);
  assert.equal(res.servingTimeline.length, n);
  assert.deepEqual(res.leftovers, []);
}

test('bench density with runc and crun at N=2: figures present and sane, all torn down', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-e2e-bench-'));
  const before = { thresholds: thresholds(), controllers: unifiedControllers() };
  try {
    assert.deepEqual(leftovers(), [], 'clean before the run');
    const { r, report, html } = bench('runc,crun', 2, dir);
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.equal(report.metadata.N, 2);
    assert.equal(report.metadata.P, 2);
    assert.equal(report.metadata.loadAverage.length, 3);
    assert.ok(!Number.isNaN(Date.parse(report.metadata.date)));
    assert.deepEqual(Object.keys(report.results), ['runc', 'crun']);
    for (const name of ['runc', 'crun']) assertSane(report.results[name], 2, name);
    assert.deepEqual(report.leftovers, []);
    assert.match(r.stdout, /^runc\s+2\s+2\s/m);
    assert.match(r.stdout, /^crun\s+2\s+2\s/m);
    assert.equal((html.match(/<svg/g) ?? []).length, 4); // serving, memory, CPU split, latency
    assert.doesNotMatch(html, /https?:\/\//);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(leftovers(), [], 'nothing left after the run');
  assert.equal(thresholds(), before.thresholds, 'neighbour thresholds restored');
  assert.equal(unifiedControllers(), before.controllers, 'cgroup v2 controllers back where they were');
});

test('bench density refuses a subnet that collides with a route, touching nothing', () => {
  const r = spawnSync(RIND, ['bench', 'density', '--runtimes', 'runc', '--count', '1', '--subnet', '127.0.0.0/8', '--no-progress'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /collides/);
  assert.deepEqual(leftovers(), []);
});

test('bench density with rind at N=2: figures present and sane, all torn down', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-e2e-bench-'));
  try {
    const { r, report } = bench('rind', 2, dir);
    assert.ok(report, `no report: ${r.stderr}`);
    const res = report.results.rind;
    // whatever happened, the teardown must be complete
    assert.deepEqual(res.leftovers, []);
    assert.deepEqual(report.leftovers, []);
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assertSane(res, 2, 'rind');
    assert.match(report.metadata.accelerator, /kvm|tcg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(leftovers(), [], 'nothing left after the run');
});
