// `rind bench density`: preflight, the private mount namespace, each runtime in turn (runner.ts),
// global teardown (bridge, sysctls, cgroups, work dir), the leftover check and the reports.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseDensityOptions, defaultDeadlineSeconds, type DensityOptions, type RawDensityOptions } from './options.js';
import { collisions, formatCidr } from './subnet.js';
import { inPrivateMountNs, reexecInPrivateMountNs, prepareCgroupLayout, waitMovedControllersIdle, type CgroupLayout } from './mountns.js';
import { neededEntries, planThresholds, readThresholds, writeThresholds, type Thresholds } from './neigh.js';
import { CNI_PATH, bridgePorts, deleteBridge, ipamReservations, linkExists, netnsWithPrefix, type CniNetwork } from './cni.js';
import { prepareBusybox, prepareWebUnikernel } from './bundle.js';
import { isRind, resolveRuntime, runtimeVersion, type RuntimeDef } from './runtimes.js';
import { runRuntime, netnsPrefix } from './runner.js';
import { removeCgroupTree } from './cpu-account.js';
import { loadAverage, memAvailableKiB, processesMentioning } from './measure.js';
import { Progress } from './progress.js';
import { renderTable } from './report-table.js';
import { renderHtml } from './report-html.js';
import type { DensityReport, RuntimeResult } from './types.js';
import { rindEnv } from '../../src/util/env.js';

export class BenchError extends Error {}

/** Rough host MiB per service, for an early warning (rind: ~28 cloned from a template, ~120 booted plainly). */
const ESTIMATE_MIB: Record<string, number> = { rind: !rindEnv.templates() ? 120 : 30, 'rind-unikernel': 40, runc: 3, crun: 3 };
const LOW_MEMORY_FLOOR_NOTE = 'max(1 GiB, 5% of RAM)';

function preflight(opts: DensityOptions): RuntimeDef[] {
  if (process.getuid?.() !== 0) throw new BenchError('rind bench density must run as root (it makes network namespaces, a bridge and cgroups)');
  for (const tool of ['bridge', 'host-local']) if (!existsSync(join(CNI_PATH, tool))) throw new BenchError(`CNI plugin ${CNI_PATH}/${tool} is missing (apt-get install containernetworking-plugins)`);
  if (!existsSync('/bin/busybox')) throw new BenchError('/bin/busybox is missing (apt-get install busybox-static)');
  const defs = opts.runtimes.map((n) => {
    try {
      return resolveRuntime(n);
    } catch (e) {
      throw new BenchError((e as Error).message);
    }
  });
  if (linkExists(opts.bridge)) throw new BenchError(`link ${opts.bridge} already exists (an earlier run that was killed?): check it, then 'ip link del ${opts.bridge}', or pick --bridge`);
  const routes = execFileSync('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  const addrs = execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' });
  const hits = collisions(opts.subnet, routes, addrs);
  if (hits.length) throw new BenchError(`subnet ${formatCidr(opts.subnet)} collides with this host's networks (${hits.join('; ')}): pick another with --subnet`);
  const availMiB = memAvailableKiB() / 1024;
  for (const n of opts.runtimes) {
    const need = ESTIMATE_MIB[n] * opts.count;
    if (need > availMiB - 1024)
      process.stderr.write(`rind bench: warning: ${n} at N=${opts.count} may need ~${Math.round(need / 1024)} GiB (~${ESTIMATE_MIB[n]} MiB per service), MemAvailable is ${Math.round(availMiB / 1024)} GiB: services will not be started once MemAvailable falls below ${LOW_MEMORY_FLOOR_NOTE}\n`);
  }
  return defs;
}

export async function runDensity(raw: RawDensityOptions): Promise<number> {
  let opts: DensityOptions;
  try {
    opts = parseDensityOptions(raw);
  } catch (e) {
    throw new BenchError((e as Error).message);
  }
  const defs = preflight(opts);
  if (!inPrivateMountNs()) return reexecInPrivateMountNs();

  const wall0 = performance.now();
  const progress = new Progress(opts.progress);
  const layout = prepareCgroupLayout();
  const runId = randomBytes(2).toString('hex');
  const work = mkdtempSync(join(tmpdir(), `rind-density-${runId}-`));
  const net: CniNetwork = { name: `rind-density-${runId}`, bridge: opts.bridge, subnet: opts.subnet, dataDir: join(work, 'ipam') };
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (!abort.signal.aborted) {
      progress.log(`rind bench: ${sig}: stopping and tearing down (Ctrl-C twice more to quit without cleaning up)`);
      abort.abort();
    } else if (interrupts >= 3) {
      process.stderr.write('rind bench: quitting WITHOUT teardown\n');
      process.exit(130);
    } else progress.log('rind bench: teardown in progress, please wait');
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  const report: DensityReport = {
    metadata: {
      benchmark: 'density',
      date: new Date().toISOString(),
      N: opts.count,
      P: opts.parallel,
      pods: opts.pods,
      runtimes: opts.runtimes,
      loadAverage: loadAverage(),
      accelerator: 'n/a (rind not run)',
      host: { kernel: release(), cpus: cpus().length, memTotalMiB: Math.round(totalmem() / 1048576) },
      subnet: formatCidr(opts.subnet),
      bridge: opts.bridge,
      settleSeconds: opts.settleSeconds,
      memoryLimitMiB: opts.memoryMiB,
      cgroups: layout.note,
      rindEnvironment: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('RIND_') && k !== 'RIND_BENCH_MNTNS')) as Record<string, string>,
      wallSeconds: 0,
    },
    results: {},
    leftovers: [],
  };
  let thresholdsBefore: Thresholds | undefined;
  try {
    thresholdsBefore = readThresholds();
    const raised = planThresholds(neededEntries(opts.count), thresholdsBefore);
    if (raised) {
      writeThresholds(raised);
      report.metadata.neighbourThresholds = { before: thresholdsBefore, during: raised };
      progress.log(`rind bench: neighbour table gc_thresh1/2/3 raised from ${thresholdsBefore.join('/')} to ${raised.join('/')} for the run`);
    }
    const busybox = prepareBusybox(work);
    const webUnikernel = prepareWebUnikernel(work);
    for (const def of defs) {
      if (abort.signal.aborted) break;
      const v = runtimeVersion(def);
      if (isRind(def.name)) report.metadata.accelerator = v.accelerator ?? 'unknown';
      const deadlineSeconds = opts.deadlineSeconds ?? defaultDeadlineSeconds(def.name, opts.count);
      progress.log(`rind bench: ${def.name}: ${opts.count} services, ${opts.parallel} at a time (deadline ${deadlineSeconds} s) — ${v.version}`);
      const r: RuntimeResult = await runRuntime(
        { opts, runId, work, net, busybox, webUnikernel, cgroupHierarchies: layout.hierarchies, deadlineSeconds, signal: abort.signal, progress, accelerator: report.metadata.accelerator },
        def,
        v.version,
      );
      report.results[def.name] = r;
      const summary = r.failures
        ? `!! ${r.failures} of ${r.count} FAILED${r.failureReasons[0] ? ` (${r.failureReasons[0]})` : ''}`
        : `all ${r.count} serving after ${r.allServingSeconds} s`;
      progress.log(`rind bench: ${def.name}: ${summary}${r.error ? `; aborted: ${r.error}` : ''}`);
    }
  } finally {
    progress.end();
    report.leftovers.push(...(await globalTeardown(net, runId, work, layout)));
    if (thresholdsBefore && report.metadata.neighbourThresholds) {
      try {
        writeThresholds(thresholdsBefore);
      } catch (e) {
        report.leftovers.push(`neighbour thresholds not restored to ${thresholdsBefore.join('/')}: ${(e as Error).message}`);
      }
    }
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  }
  report.metadata.wallSeconds = Math.round((performance.now() - wall0) / 100) / 10;
  if (abort.signal.aborted) report.metadata.interrupted = true;
  const leftovers = [...report.leftovers, ...Object.values(report.results).flatMap((r) => r.leftovers)];
  const write = (file: string, text: string) => {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(resolve(file), text);
  };
  if (opts.json) write(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  if (opts.html) write(opts.html, renderHtml(report));
  process.stdout.write(`\n${renderTable(report)}\n`);
  if (opts.json) process.stdout.write(`json: ${resolve(opts.json)}\n`);
  if (opts.html) process.stdout.write(`report: ${resolve(opts.html)}\n`);
  const failures = Object.values(report.results).reduce((n, r) => n + r.failures + (r.error ? 1 : 0), 0);
  if (abort.signal.aborted) process.stderr.write('\n!! rind bench: INTERRUPTED — everything was torn down; the figures above are partial\n');
  else if (failures) process.stderr.write(`\n!! rind bench: ${failures} FAILURES — the figures above do not describe a complete run\n`);
  if (leftovers.length) process.stderr.write(`\n!! rind bench: teardown left things behind:\n${leftovers.map((l) => `   ${l}`).join('\n')}\n`);
  if (abort.signal.aborted) return 130;
  return failures || leftovers.length ? 1 : 0;
}

/** Bridge, IPAM store, the run's cgroup root and work dir; returns what is still there. */
async function globalTeardown(net: CniNetwork, runId: string, work: string, layout: CgroupLayout): Promise<string[]> {
  const left: string[] = [];
  const ports = bridgePorts(net.bridge);
  if (ports.length) left.push(`veths on ${net.bridge} at teardown: ${ports.join(', ')}`);
  try {
    deleteBridge(net.bridge);
  } catch (e) {
    left.push(`bridge ${net.bridge}: ${(e as Error).message}`);
  }
  if (linkExists(net.bridge)) left.push(`bridge ${net.bridge} still exists`);
  const held = ipamReservations(net);
  if (held.length) left.push(`host-local still holds ${held.length} addresses`);
  const ns = netnsWithPrefix(netnsPrefix(runId));
  if (ns.length) left.push(`network namespaces: ${ns.join(', ')}`);
  left.push(...removeCgroupTree(layout.hierarchies, `/rind-density-${runId}`).map((d) => `cgroup: ${d}`));
  const busy = await waitMovedControllersIdle(layout.moved, 30_000);
  if (busy.length)
    left.push(`${busy.join(', ')} still has cgroups being freed: its v1 hierarchy may outlive the run (to return it to v2 later: mount it as v1 in a private mount namespace with no cgroups in it, and unmount)`);
  for (const p of processesMentioning(work)) left.push(`process: ${p}`);
  rmSync(work, { recursive: true, force: true });
  if (existsSync(work)) left.push(`work dir ${work}`);
  return left;
}
