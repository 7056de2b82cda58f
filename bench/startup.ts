// Benchmark: `rind run` of /bin/true vs `runc run` on the same bundle (median of N, alternating),
// split into CLI start-up, VM boot, create, workload; plus the host memory of one idle container.
// Usage: node dist/bench/startup.js [--runs N] [--json FILE]
import { spawnSync, spawn } from 'node:child_process';
import { openSync, mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSpec } from '../src/oci/default-spec.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RIND = join(REPO, 'bin', 'rind');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 10;
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;

const work = mkdtempSync(join(tmpdir(), 'rind-bench-startup-'));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

function bundle(name: string, argv: string[]): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'rootfs', 'bin', 'busybox'));
  for (const a of ['true', 'sleep', 'sh']) symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'tmp']) mkdirSync(join(dir, 'rootfs', d));
  const spec = defaultSpec() as any;
  spec.process.args = argv;
  spec.process.terminal = false;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; status: number | null; stderr: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, status: r.status, stderr: r.stderr.toString() };
}

function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

try {
  const b = bundle('true', ['/bin/true']);
  const timingsFile = join(work, 'timings.jsonl');
  const rind: number[] = [];
  const runc: number[] = [];
  const nodeStart: number[] = [];
  const cliOnly: number[] = [];
  for (let i = 0; i < runs; i++) {
    nodeStart.push(timed('node', ['-e', '0']).ms);
    cliOnly.push(timed(RIND, ['--root', join(work, 'rind'), 'state', 'nope']).ms);
    const r = timed(RIND, ['--root', join(work, 'rind'), 'run', '--bundle', b, `t${i}`], { ...process.env, RIND_TIMINGS_FILE: timingsFile });
    if (r.status !== 0) throw new Error(`rind run failed: ${r.stderr}`);
    rind.push(r.ms);
    const c = timed('runc', ['--root', join(work, 'runc'), 'run', '--bundle', b, `t${i}`]);
    if (c.status !== 0) throw new Error(`runc run failed: ${c.stderr}`);
    runc.push(c.ms);
  }
  const phases = readFileSync(timingsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ph = (k: string) => median(phases.map((p) => p[k]));

  // memory of one idle container: shim + VMM PSS, after a settle
  const idle = bundle('idle', ['sleep', '100000']);
  const pidFile = join(work, 'idle.pid');
  // stdio must not be pipes: the container keeps them open for its whole life
  const c = spawnSync(RIND, ['--root', join(work, 'rind'), 'run', '-d', '--pid-file', pidFile, '--bundle', idle, 'idle'], { stdio: ['ignore', 'ignore', openSync(join(work, 'idle.err'), 'w')] });
  if (c.status !== 0) throw new Error(`idle container did not start: ${readFileSync(join(work, 'idle.err'), 'utf8')}`);
  await new Promise((r) => setTimeout(r, 5000));
  const shimPid = Number(readFileSync(pidFile, 'utf8'));
  const vmmPid = Number(readFileSync(join(work, 'rind', 'idle', 'vmm.pid'), 'utf8'));
  const mem = { shimPssMiB: pss(shimPid), vmmPssMiB: pss(vmmPid) };
  spawnSync(RIND, ['--root', join(work, 'rind'), 'delete', '--force', 'idle']);
  const rc = spawn('runc', ['--root', join(work, 'runc'), 'run', '-d', '--pid-file', join(work, 'runc.pid'), '--bundle', idle, 'idle'], { stdio: 'ignore' });
  await new Promise((r) => rc.on('close', r));
  await new Promise((r) => setTimeout(r, 1000));
  const runcPss = existsSync(join(work, 'runc.pid')) ? pss(Number(readFileSync(join(work, 'runc.pid'), 'utf8'))) : NaN;
  spawnSync('runc', ['--root', join(work, 'runc'), 'delete', '--force', 'idle']);

  const result = {
    runs,
    loadavg: loadavg(),
    runTrueMs: { rind: median(rind), runc: median(runc), ratio: median(rind) / median(runc) },
    rindPhasesMs: { cliStartup: ph('cliStartMs'), vmBoot: ph('bootMs'), create: ph('createMs'), start: ph('startMs'), workloadAndShutdown: ph('workloadMs') },
    cliOnlyMs: { nodeE0: median(nodeStart), rindStateError: median(cliOnly) },
    idleMemoryMiB: { rindShim: mem.shimPssMiB, rindVmm: mem.vmmPssMiB, rindTotal: mem.shimPssMiB + mem.vmmPssMiB, runcWorkload: runcPss },
  };
  console.log(JSON.stringify(result, null, 2));
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
} finally {
  spawnSync(RIND, ['--root', join(work, 'rind'), 'delete', '--force', 'idle']);
  rmSync(work, { recursive: true, force: true });
}
