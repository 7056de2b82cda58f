// One runtime's turn: network for N services, create+start P at a time, poll until all serve,
// settle, measure (MemAvailable, PSS, CPU), then tear everything down and check nothing is left.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { attach, detach, bridgePorts, netnsWithPrefix, type Attachment, type CniNetwork } from './cni.js';
import { makeBundle, makeSidecarBundle, makeUnikernelBundle, markSandbox, pageFor, PORT } from './bundle.js';
import { probe } from './http-probe.js';
import { run, describeFailure } from './proc-run.js';
import { Launcher } from './launcher.js';
import { createArgs, deleteArgs, isRind, startArgs, type RuntimeDef } from './runtimes.js';
import { CpuAccount, removeCgroupTree } from './cpu-account.js';
import { cgroupMemoryKiB, loadAverage, memAvailableKiB, memAvailableSampled, procCpu, processTable, processesMentioning, pssKiB, rindDaemonPids, withDescendants } from './measure.js';
import { isAlive, readPidFile, readProc, signalProcess } from '../../src/host/proc.js';
import { summarize, round } from './stats.js';
import type { DensityOptions } from './options.js';
import type { Progress } from './progress.js';
import type { RuntimeResult } from './types.js';

export interface RunContext {
  opts: DensityOptions;
  runId: string;
  work: string;
  net: CniNetwork;
  busybox: string;
  /** rind's web unikernel, copied once per run (rind-unikernel services hard-link it) */
  webUnikernel: string;
  cgroupHierarchies: string[];
  deadlineSeconds: number;
  signal: AbortSignal;
  progress: Progress;
  /** rind's accelerator as `rind --version` says it (kvm: guest time is measurable) */
  accelerator: string;
}

interface Service {
  index: number;
  id: string;
  netns: string;
  bundle: string;
  pidFile: string;
  logFile: string;
  attachment?: Attachment;
  /** create was attempted: delete --force at teardown */
  created: boolean;
  /** --pods: the pod's second container (deleted before the sandbox) */
  sidecar?: { id: string; bundle: string; pidFile: string; logFile: string; created: boolean };
  pid?: number;
  createAt?: number;
  startedAt?: number;
  answeredAt?: number;
  error?: string;
}

const CONSECUTIVE_FAILURE_LIMIT = 8;

function sidecarOf(base: string, id: string): NonNullable<Service['sidecar']> {
  return { id, bundle: join(base, 'bundles', id), pidFile: join(base, 'run', `${id}.pid`), logFile: join(base, 'run', `${id}.log`), created: false };
}
/** Wall clock in epoch ms (the launcher's time stamps are epoch too), sub-millisecond. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Runs fn over items with at most `limit` in flight, in order of the items. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function tailOf(s: { logFile: string }): string {
  const t = tail(s.logFile);
  return t ? `: ${t}` : '';
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-2).join(' | ').slice(0, 300);
  } catch {
    return '';
  }
}

export function serviceId(runtime: string, runId: string, index: number): string {
  return `${runtime}-${runId}-${String(index).padStart(4, '0')}`;
}

export function netnsPrefix(runId: string): string {
  return `rindbench-${runId}-`;
}

export async function runRuntime(ctx: RunContext, rt: RuntimeDef, version: string): Promise<RuntimeResult> {
  const { opts, progress } = ctx;
  const N = opts.count;
  const P = opts.parallel;
  const base = join(ctx.work, rt.name);
  const root = join(base, 'state');
  const cgroupGroup = `/rind-density-${ctx.runId}/${rt.name}`;
  for (const d of [root, join(base, 'bundles'), join(base, 'run')]) mkdirSync(d, { recursive: true });
  const services: Service[] = Array.from({ length: N }, (_, i) => {
    const id = serviceId(rt.name, ctx.runId, i + 1);
    return {
      index: i,
      id,
      netns: `${netnsPrefix(ctx.runId)}${rt.name}-${i + 1}`,
      bundle: join(base, 'bundles', id),
      pidFile: join(base, 'run', `${id}.pid`),
      logFile: join(base, 'run', `${id}.log`),
      created: false,
      sidecar: opts.pods ? sidecarOf(base, `${id}s`) : undefined,
    };
  });
  const result: RuntimeResult = {
    runtime: rt.name,
    version,
    count: N,
    parallel: P,
    allServingSeconds: null,
    startLatencyMs: { p50: null, p95: null, max: null },
    firstAnswerMs: { p50: null, p95: null },
    memoryPerServiceMiB: { available: null, pss: null, cgroup: null },
    cpuSeconds: null,
    failures: N,
    failureReasons: [],
    served: 0,
    servingAfterSettle: 0,
    servingTimeline: [],
    processesPerService: null,
    deadlineSeconds: ctx.deadlineSeconds,
    deadlineHit: false,
    loadAverageBefore: loadAverage(),
    phaseSeconds: { network: 0, run: 0, settle: 0, teardown: 0 },
    harnessLoopDelayMs: { p50: null, p99: null, max: null },
    leftovers: [],
  };
  const recorded = new Map<number, number>(); // pid -> start time of every per-service process seen
  let cpu: CpuAccount | undefined;
  let launcher: Launcher | undefined;
  try {
    // ---- network: one netns + veth per service (not timed: engines do this before calling the runtime)
    let t = performance.now();
    progress.begin(`${rt.name} network`, N);
    let attached = 0;
    let setupError: string | undefined;
    const attachOne = async (s: Service) => {
      if (ctx.signal.aborted || setupError) return;
      try {
        s.attachment = await attach(ctx.net, s.id, s.netns);
        const input = { id: s.id, netnsPath: s.attachment.netnsPath, cgroupsPath: `${cgroupGroup}/${s.id}`, memoryMiB: opts.memoryMiB };
        if (rt.name === 'rind-unikernel') makeUnikernelBundle(s.bundle, ctx.webUnikernel, input);
        else makeBundle(s.bundle, ctx.busybox, input);
        if (s.sidecar) {
          markSandbox(s.bundle);
          makeSidecarBundle(s.sidecar.bundle, ctx.busybox, { ...input, id: s.sidecar.id, cgroupsPath: `${cgroupGroup}/${s.sidecar.id}` }, s.id);
        }
      } catch (e) {
        setupError ??= (e as Error).message; // stop the others; teardown starts only when all are back
        return;
      }
      progress.update(++attached, '');
    };
    await attachOne(services[0]); // the first ADD creates the bridge: not concurrently
    await pool(services.slice(1), Math.max(P, 4), attachOne);
    result.phaseSeconds.network = (performance.now() - t) / 1000;
    progress.end();
    if (setupError) throw new Error(`network set-up failed: ${setupError}`);
    if (ctx.signal.aborted) throw new Error('interrupted');

    // ---- run: create+start P at a time, poll each started service until it answers
    // let the network set-up's exits settle before the baseline; its range over that second is part of the noise
    const before = await memAvailableSampled(11, 100);
    const memBefore = before.last;
    cpu = new CpuAccount(cgroupGroup);
    cpu.enter();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = now();
    let firstCreate = Infinity;
    const deadlineAt = t0 + ctx.deadlineSeconds * 1000;
    const spawner = new Launcher();
    launcher = spawner;
    const answerBoundMs = opts.answerTimeoutSeconds * 1000;
    let started = 0;
    let failed = 0;
    let consecutive = 0;
    let lowMemory = false;
    const floorKiB = Math.max(1024 * 1024, (totalmem() / 1024) * 0.05);
    progress.begin(`${rt.name} serving`, N, 'started 0 failed 0');
    const status = () => progress.update(result.served, `started ${started} failed ${failed}`);
    const fail = (s: Service, why: string) => {
      if (s.error) return;
      s.error = why;
      failed++;
      if (result.failureReasons.length < 10) result.failureReasons.push(`${s.id}: ${why}`);
      status();
    };
    const pollers: Promise<void>[] = [];
    const poll = async (s: Service) => {
      const page = pageFor(s.id);
      const ip = s.attachment!.ip;
      for (;;) {
        if (await probe(ip, PORT, page, 2000)) {
          s.answeredAt = now();
          result.served++;
          status();
          return;
        }
        const t = now();
        if (ctx.signal.aborted) return fail(s, 'interrupted before it answered');
        const st = s.pid === undefined ? undefined : recorded.get(s.pid);
        if (st !== undefined && !isAlive(s.pid, st)) return fail(s, `its process ${s.pid} exited before it answered${tailOf(s)}`);
        if (t > deadlineAt) return fail(s, `no answer before the ${ctx.deadlineSeconds} s deadline`);
        if (t - s.startedAt! > answerBoundMs) return fail(s, `no answer within ${opts.answerTimeoutSeconds} s of start`);
        const age = t - s.startedAt!;
        await sleep(age < 3000 ? 20 : age < 20_000 ? 100 : 250);
      }
    };
    const launch = async (s: Service) => {
      if (ctx.signal.aborted) return fail(s, 'not started: interrupted');
      if (now() > deadlineAt) {
        result.deadlineHit = true;
        return fail(s, `not started: ${ctx.deadlineSeconds} s deadline reached`);
      }
      if (consecutive >= CONSECUTIVE_FAILURE_LIMIT) return fail(s, `not started: ${CONSECUTIVE_FAILURE_LIMIT} consecutive failures before it`);
      const availKiB = memAvailableKiB();
      if (lowMemory || availKiB < floorKiB) {
        lowMemory = true;
        return fail(s, `not started: host memory low (MemAvailable ${Math.round(availKiB / 1024)} MiB < ${Math.round(floorKiB / 1024)} MiB)`);
      }
      s.created = true;
      const timeoutMs = Math.max(1000, Math.min(isRind(rt.name) ? 300_000 : 60_000, deadlineAt - now()));
      const r = await spawner.run(s.id, s.logFile, [rt.binary, ...createArgs(root, s.bundle, s.pidFile, s.id)], [rt.binary, ...startArgs(root, s.id)], timeoutMs, () =>
        killMentioning(root, s.id),
      );
      s.createAt = r.t0;
      firstCreate = Math.min(firstCreate, r.t0);
      if (r.firstCode !== 0 || r.thenCode !== 0) {
        consecutive++;
        const what = r.firstCode !== 0 ? 'create' : 'start';
        const why = r.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `exit ${r.firstCode !== 0 ? r.firstCode : r.thenCode}`;
        const text = tail(s.logFile);
        return fail(s, `${what}: ${why}${text ? `: ${text}` : ''}`);
      }
      if (s.sidecar) {
        const sc = s.sidecar;
        sc.created = true;
        const r2 = await spawner.run(sc.id, sc.logFile, [rt.binary, ...createArgs(root, sc.bundle, sc.pidFile, sc.id)], [rt.binary, ...startArgs(root, sc.id)], timeoutMs, () => killMentioning(root, sc.id));
        if (r2.firstCode !== 0 || r2.thenCode !== 0) {
          consecutive++;
          return fail(s, `sidecar ${r2.firstCode !== 0 ? 'create' : 'start'}: exit ${r2.firstCode !== 0 ? r2.firstCode : r2.thenCode}: ${tail(sc.logFile)}`);
        }
        const sp = readPidFile(sc.pidFile);
        const si = sp === undefined ? undefined : readProc(sp);
        if (si) recorded.set(si.pid, si.startTime);
      }
      s.startedAt = r.t2;
      consecutive = 0;
      started++;
      s.pid = readPidFile(s.pidFile); // none: PSS will miss it, the answer still counts
      const info = s.pid === undefined ? undefined : readProc(s.pid);
      if (info) recorded.set(info.pid, info.startTime);
      status();
      pollers.push(poll(s));
    };
    await pool(services, P, launch);
    await Promise.all(pollers);
    await spawner.close();
    const cliCallsSeconds = spawner.childrenCpuSeconds;
    launcher = undefined;
    result.phaseSeconds.run = (now() - t0) / 1000;
    loop.disable();
    result.harnessLoopDelayMs = { p50: round(loop.percentile(50) / 1e6, 1), p99: round(loop.percentile(99) / 1e6, 1), max: round(loop.max / 1e6, 1) };
    const answered = services.filter((s) => s.answeredAt !== undefined);
    if (answered.length) result.allServingSeconds = round((Math.max(...answered.map((s) => s.answeredAt!)) - firstCreate) / 1000, 3);
    result.servingTimeline = answered.map((s) => round((s.answeredAt! - firstCreate) / 1000, 3)!).sort((a, b) => a - b);
    result.startLatencyMs = roundAll(summarize(services.filter((s) => s.startedAt !== undefined).map((s) => s.startedAt! - s.createAt!)), 0);
    const fa = summarize(answered.map((s) => s.answeredAt! - s.createAt!));
    result.firstAnswerMs = { p50: round(fa.p50, 0), p95: round(fa.p95, 0) };
    result.failures = services.filter((s) => s.error !== undefined || s.answeredAt === undefined).length;
    progress.end();

    // ---- settle, then measure
    t = performance.now();
    if (!ctx.signal.aborted && opts.settleSeconds > 0) {
      progress.begin(`${rt.name} settle`, opts.settleSeconds);
      const end = performance.now() + opts.settleSeconds * 1000;
      while (!ctx.signal.aborted && performance.now() < end) {
        await sleep(Math.min(1000, end - performance.now()), ctx.signal);
        progress.update(Math.round(opts.settleSeconds - (end - performance.now()) / 1000), '');
      }
      progress.end();
    }
    result.phaseSeconds.settle = (performance.now() - t) / 1000;
    const after = await memAvailableSampled(11, 100);
    const memAfter = after.last;
    const charged = cgroupMemoryKiB(cgroupGroup);
    const table = processTable();
    const roots = services.filter((s) => s.pid !== undefined && recorded.get(s.pid) === table.get(s.pid)?.startTime).map((s) => s.pid!);
    const procs = withDescendants(roots, table);
    for (const pid of procs) recorded.set(pid, table.get(pid)!.startTime);
    const pss = procs.reduce((sum, pid) => sum + pssKiB(pid), 0);
    const cpuTotal = cpu.elapsed();
    result.cpuSeconds = round(cpuTotal, 2);
    result.cpuPerServiceMs = cpuSplit(rt, root, cpuTotal, cliCallsSeconds, roots, procs, table, ctx.accelerator, N);
    cpu.leave();
    cpu = undefined;
    const dropKiB = memBefore - memAfter;
    const noiseKiB = Math.max(before.rangeKiB, after.rangeKiB, 256);
    const belowNoise = dropKiB < noiseKiB;
    result.memoryNoise = { noiseMiB: round(noiseKiB / 1024 / N, 2)!, belowNoise };
    result.memoryPerServiceMiB = {
      available: round(dropKiB / 1024 / N, 2),
      pss: round(pss / 1024 / N, 2),
      cgroup: charged === null ? null : round(charged / 1024 / N, 2),
    };
    result.processesPerService = roots.length ? round(procs.length / roots.length, 2) : null;
    let still = 0;
    await pool(answered, 16, async (s) => {
      if (await probe(s.attachment!.ip, PORT, pageFor(s.id), 5000)) still++;
    });
    result.servingAfterSettle = still;
  } catch (e) {
    result.error = (e as Error).message;
    progress.end();
  } finally {
    if (launcher) await launcher.close(5000);
    if (cpu) cpu.leave();
    const t = performance.now();
    result.leftovers = await teardown(ctx, rt, services, root, base, cgroupGroup, recorded);
    result.phaseSeconds.teardown = (performance.now() - t) / 1000;
  }
  return result;
}

function roundAll(s: { p50: number | null; p95: number | null; max: number | null }, digits: number) {
  return { p50: round(s.p50, digits), p95: round(s.p95, digits), max: round(s.max, digits) };
}

/** delete --force every container, CNI DEL + netns del, then list whatever is still there. */
async function teardown(ctx: RunContext, rt: RuntimeDef, services: Service[], root: string, base: string, cgroupGroup: string, recorded: Map<number, number>): Promise<string[]> {
  const { progress } = ctx;
  const problems: string[] = [];
  const width = Math.max(ctx.opts.parallel, 4);
  // pids written after our last process-table scan (e.g. failed pollers) are recorded here too
  for (const s of services) {
    if (s.pid === undefined || recorded.has(s.pid)) continue;
    const info = readProc(s.pid);
    if (info) recorded.set(s.pid, info.startTime);
  }
  const table = processTable();
  for (const pid of withDescendants(recorded.keys(), table)) recorded.set(pid, table.get(pid)!.startTime);
  const created = services.filter((s) => s.created);
  progress.begin(`${rt.name} teardown`, created.length + services.filter((s) => s.attachment).length);
  let done = 0;
  // a pod's sidecar goes before its sandbox (engines delete members first)
  await pool(created.filter((s) => s.sidecar?.created), width, async (s) => {
    const r = await run(rt.binary, deleteArgs(root, s.sidecar!.id), { timeoutMs: 60_000 });
    if (r.code !== 0 && existsSync(join(root, s.sidecar!.id))) problems.push(describeFailure(`delete --force ${s.sidecar!.id}`, r));
  });
  await pool(created, width, async (s) => {
    let r = await run(rt.binary, deleteArgs(root, s.id), { timeoutMs: 60_000 });
    if (r.code !== 0 && existsSync(join(root, s.id))) {
      // e.g. still "creating": kill what we know of it and retry once
      if (s.pid) for (const pid of withDescendants([s.pid], processTable())) signalProcess(pid, 'SIGKILL');
      r = await run(rt.binary, deleteArgs(root, s.id), { timeoutMs: 60_000 });
      if (r.code !== 0 && existsSync(join(root, s.id))) problems.push(describeFailure(`delete --force ${s.id}`, r));
    }
    progress.update(++done, '');
  });
  // processes must be gone before their netns is: wait a little, then say who survived
  const deadline = performance.now() + 15_000;
  let survivors = [...recorded].filter(([pid, st]) => isAlive(pid, st));
  while (survivors.length && performance.now() < deadline) {
    await sleep(100);
    survivors = survivors.filter(([pid, st]) => isAlive(pid, st));
  }
  for (const [pid, st] of survivors) {
    problems.push(`process ${pid} (${readProc(pid)?.comm ?? '?'}) survived delete --force; killed`);
    signalProcess(pid, 'SIGKILL', st);
  }
  await pool(services.filter((s) => s.attachment), width, async (s) => {
    try {
      await detach(ctx.net, s.attachment!);
    } catch (e) {
      problems.push((e as Error).message);
    }
    progress.update(++done, '');
  });
  progress.end();
  // what must be gone now
  const left = netnsWithPrefix(`${netnsPrefix(ctx.runId)}${rt.name}-`);
  if (left.length) problems.push(`network namespaces left: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ` (+${left.length - 5})` : ''}`);
  const ports = bridgePorts(ctx.net.bridge);
  if (ports.length) problems.push(`veths still on ${ctx.net.bridge}: ${ports.slice(0, 5).join(', ')}`);
  for (const s of services) if (s.attachment?.hostVeth && existsSync(`/sys/class/net/${s.attachment.hostVeth}`)) problems.push(`veth ${s.attachment.hostVeth} left`);
  // rind's daemon for this root lives in the run's cgroup (the first create started it): stop it first
  for (const pid of rindDaemonPids(root)) {
    signalProcess(pid, 'SIGTERM');
    const end = performance.now() + 10_000;
    while (isAlive(pid) && performance.now() < end) await sleep(50);
    if (isAlive(pid)) {
      problems.push(`rind daemon ${pid} did not stop on SIGTERM; killed`);
      signalProcess(pid, 'SIGKILL');
    }
  }
  const states = existsSync(root) ? readdirSync(root).filter((d) => !d.startsWith('.')) : [];
  if (states.length) problems.push(`state dirs left in ${root}: ${states.slice(0, 5).join(', ')}`);
  for (const p of processesMentioning(base)) problems.push(`process left: ${p}`);
  problems.push(...removeCgroupTree(ctx.cgroupHierarchies, cgroupGroup).map((d) => `cgroup left: ${d}`));
  rmSync(base, { recursive: true, force: true });
  return problems;
}

/**
 * Splits a runtime's CPU (cpuSeconds, from its cgroup) per service: its CLI calls (what the launcher's
 * commands used, with everything they waited for, plus rind's daemon for this root and its helpers),
 * rind-shim (the pid-file pids), the VMM (their descendants, less guest time) and the guest (KVM guest
 * time; under TCG it is inside the VMM's figure). Every process here was born after the count began.
 */
function cpuSplit(rt: RuntimeDef, root: string, total: number, cliCalls: number | null, roots: number[], procs: number[], table: ReturnType<typeof processTable>, accelerator: string, n: number): RuntimeResult['cpuPerServiceMs'] {
  const ms = (s: number | null) => (s === null ? null : round((s * 1000) / n, 1));
  let cli = cliCalls;
  if (cli !== null && isRind(rt.name)) for (const pid of rindDaemonPids(root)) {
    const c = procCpu(pid);
    if (c) cli += c.self + c.children;
  }
  if (!isRind(rt.name)) return { total: ms(total), cli: ms(cli), shim: null, vmm: null, guest: null, rest: ms(cli === null ? null : total - cli) };
  const shims = new Set(roots);
  let shim = 0;
  let vmm = 0;
  let guest = 0;
  for (const pid of procs) {
    const c = procCpu(pid);
    if (!c || !table.has(pid)) continue;
    if (shims.has(pid)) shim += c.self;
    else {
      vmm += c.self - c.guest;
      guest += c.guest;
    }
  }
  const kvm = /^kvm/.test(accelerator);
  const rest = cli === null ? null : total - cli - shim - vmm - guest;
  return { total: ms(total), cli: ms(cli), shim: ms(shim), vmm: ms(vmm), guest: kvm ? ms(guest) : null, rest: ms(rest) };
}

/** Kills every process whose command line names both the state root and the container id (a hung create/start). */
function killMentioning(root: string, id: string): void {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv.includes(id) && argv.some((a) => a.includes(root))) signalProcess(Number(e), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
