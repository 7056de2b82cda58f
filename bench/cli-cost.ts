// Benchmark: CPU of each CLI call an engine makes, rind vs runc, in one run on the same busybox bundle.
// Per call: user+sys CPU of the called binary and every descendant it waited for (wait4 rusage, via
// bench/cli-cost.c), plus for rind
// the daemon's CPU during the call (all its threads, /proc/PID/task/*/schedstat, and the helpers it
// waited for) and the rind-shims' (a shim born in the call: all of it); for runc create, the container's
// `runc init` up to the call's end. QEMU and the guest are the VM itself: not counted.
// Usage (root): node dist/bench/cli-cost.js [--n N] [--no-node] [--netns] [--json FILE] [--rind PATH (another build of bin/rind)]
// --netns: every container joins a network namespace made for it beforehand, as Podman and CRI do (by default
// the spec asks for a new one, as `ctr run` does: rind then makes it with `ip netns add`).
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSpec } from '../src/oci/default-spec.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const RIND = flag('--rind') ?? join(REPO, 'bin', 'rind');
const N = Number(flag('--n')) || 10;
const withNode = !args.includes('--no-node');
const jsonOut = flag('--json');
/** engine-style: each container joins a network namespace made for it beforehand (Podman, CRI), not counted */
const withNetns = args.includes('--netns');
const VERBS = ['create', 'start', 'state', 'exec', 'kill', 'delete', 'list', '--version'] as const;
type Verb = (typeof VERBS)[number];
const TICK_MS = 1000 / 100; // USER_HZ

const work = mkdtempSync(join(tmpdir(), 'rind-bench-cli-'));
const outFd = openSync(join(work, 'calls.out'), 'a');

function bundle(): string {
  const dir = join(work, 'bundle');
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'rootfs', 'bin', 'busybox'));
  for (const a of ['true', 'sleep', 'sh']) symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(dir, 'rootfs', d));
  writeFileSync(join(dir, 'rootfs', 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(specFor()));
  return dir;
}

function specFor(netnsPath?: string, rootfs = 'rootfs'): any {
  const spec = defaultSpec() as any;
  spec.process.args = ['/bin/sleep', '100000'];
  spec.process.terminal = false;
  spec.root.path = rootfs;
  if (netnsPath) spec.linux.namespaces = spec.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: netnsPath } : n));
  return spec;
}

/** --netns: a bundle joining its own, already made network namespace (same rootfs); undone by the returned function. */
function engineBundle(shared: string, name: string): { dir: string; done: () => void } {
  const ns = `rind-cli-cost-${process.pid}-${name}`;
  const r = spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`ip netns add ${ns} failed`);
  const dir = join(work, `bundle-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(specFor(`/run/netns/${ns}`, join(shared, 'rootfs'))));
  return { dir, done: () => void spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }) };
}

/** CPU ms of one process (all threads; with reaped children when asked), or 0 if it is gone. */
function procCpuMs(pid: number | undefined, withChildren = false): number {
  if (!pid) return 0;
  try {
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    let ms = ns / 1e6;
    if (withChildren) {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      ms += (Number(f[13]) + Number(f[14])) * TICK_MS; // cutime + cstime
    }
    return ms;
  } catch {
    return 0;
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const pidOf = (file: string): number | undefined => {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
};

/** The daemon serving a root (its pid file next to its live socket). */
function daemonPid(root: string): number | undefined {
  try {
    for (const f of readdirSync(root)) {
      if (!/^\.rindd-[0-9a-f]+\.pid$/.test(f)) continue;
      const pid = pidOf(join(root, f));
      if (alive(pid) && existsSync(join(root, f.replace(/\.pid$/, '.sock')))) return pid;
    }
  } catch {
    /* no root yet */
  }
  return undefined;
}

/** bench/cli-cost.c, built once per run with gcc into the work dir. */
function runner(): string {
  const exe = join(work, 'cli-cost-run');
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', exe, join(REPO, 'bench', 'cli-cost.c')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('cannot build bench/cli-cost.c (apt-get install gcc)');
  return exe;
}
let RUNNER = '';

/** user+sys ms of a command and every descendant it waited for (wait4 rusage, through bench/cli-cost.c). */
function timedCall(bin: string, argv: string[], env: NodeJS.ProcessEnv): { ms: number; status: number | null } {
  const out = join(work, 'rusage.txt');
  const r = spawnSync(RUNNER, [out, bin, ...argv], { stdio: ['ignore', outFd, outFd], env, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`cli-cost runner: exit ${r.status} for ${bin} ${argv.join(' ')}`);
  const [status, us] = readFileSync(out, 'utf8').trim().split(' ').map(Number);
  return { ms: us / 1000, status };
}

interface Runtime {
  name: string;
  bin: string;
  env: NodeJS.ProcessEnv;
  /** rind with its daemon: the daemon's CPU during a call counts */
  daemon: boolean;
  /** rind: the container's rind-shim is ours (its CPU during every call counts) */
  shims: boolean;
}

async function waitGone(pid: number | undefined, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function measure(rt: Runtime, b: string): Promise<{ costs: Record<Verb, number[]>; daemonStartMs?: number }> {
  const root = join(work, `root-${rt.name}`);
  const costs = Object.fromEntries(VERBS.map((v) => [v, [] as number[]])) as Record<Verb, number[]>;
  let daemonStartMs: number | undefined;
  if (rt.daemon) {
    // the first call starts the daemon: its whole start-up (and warm-up), once per root per idle period
    const first = timedCall(rt.bin, ['--root', root, 'list'], rt.env);
    await new Promise((r) => setTimeout(r, 1500));
    daemonStartMs = first.ms + procCpuMs(daemonPid(root), true);
  }
  const shims = new Set<number>();
  const call = (verb: Verb, argv: string[], born?: string): number => {
    const d = rt.daemon ? daemonPid(root) : undefined;
    const before = procCpuMs(d, true) + (rt.shims ? [...shims].reduce((s, p) => s + procCpuMs(p), 0) : 0);
    const r = timedCall(rt.bin, ['--root', root, ...argv], rt.env);
    if (r.status !== 0 && verb !== 'kill') throw new Error(`${rt.name} ${argv.join(' ')}: exit ${r.status} (see ${join(work, 'calls.out')})`);
    let ms = r.ms;
    if (process.env.CLI_COST_DEBUG) process.stderr.write(`${rt.name} ${verb}: client ${r.ms.toFixed(1)} daemon ${(procCpuMs(d) ).toFixed(1)} +children ${(procCpuMs(d, true) - procCpuMs(d)).toFixed(1)} shim ${born ? procCpuMs(pidOf(born)).toFixed(1) : '-'}\n`);
    ms += procCpuMs(d, true) + (rt.shims ? [...shims].reduce((s, p) => s + procCpuMs(p), 0) : 0) - before;
    if (born) {
      const pid = pidOf(born);
      ms += procCpuMs(pid); // rind: the shim, born in this call; runc: `runc init`, waiting for start
      if (rt.shims && pid) shims.add(pid);
    }
    costs[verb].push(ms);
    return ms;
  };
  // warm caches (template, accelerator verdict, page cache) before anything counts
  const bundleFor = (id: string) => (withNetns ? engineBundle(b, `${rt.name}-${id}`) : { dir: b, done: () => undefined });
  const warm = async (id: string) => {
    const wb = bundleFor(id);
    timedCall(rt.bin, ['--root', root, 'create', '--bundle', wb.dir, id], rt.env);
    timedCall(rt.bin, ['--root', root, 'delete', '--force', id], rt.env);
    wb.done();
  };
  await warm('warm');
  for (let i = 0; i < N; i++) {
    const id = `c${i}`;
    const pidFile = join(work, `${rt.name}-${id}.pid`);
    const cb = bundleFor(id);
    call('create', ['create', '--bundle', cb.dir, '--pid-file', pidFile, id], pidFile);
    const pid = pidOf(pidFile);
    call('start', ['start', id]);
    call('state', ['state', id]);
    call('exec', ['exec', id, '/bin/true']);
    call('kill', ['kill', id, 'KILL']);
    await waitGone(pid, 60_000);
    shims.delete(pid!);
    call('delete', ['delete', id]);
    cb.done();
    call('list', ['list']);
    call('--version', ['--version']);
    process.stderr.write(`\r${rt.name}: ${i + 1}/${N}   `);
  }
  process.stderr.write('\n');
  return { costs, daemonStartMs };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

try {
  if (process.getuid?.() !== 0) throw new Error('run as root (runc and rind create real containers)');
  RUNNER = runner();
  const b = bundle();
  const runtimes: Runtime[] = [
    { name: 'runc', bin: 'runc', env: process.env, daemon: false, shims: false },
    { name: 'rind', bin: RIND, env: { ...process.env, RIND_NO_DAEMON: undefined }, daemon: true, shims: true },
  ];
  if (withNode) runtimes.push({ name: 'rind-node', bin: RIND, env: { ...process.env, RIND_NO_DAEMON: '1' }, daemon: false, shims: true });
  const results: Record<string, Record<Verb, number[]>> = {};
  let daemonStartMs: number | undefined;
  for (const rt of runtimes) {
    const r = await measure(rt, b);
    results[rt.name] = r.costs;
    daemonStartMs ??= r.daemonStartMs;
  }
  const cols = ['verb', 'runc ms', 'rind ms', 'rind/runc', ...(withNode ? ['rind-node ms'] : [])];
  const rows = VERBS.map((v) => {
    const runc = mean(results.runc[v]);
    const rind = mean(results.rind[v]);
    return [v, runc.toFixed(2), rind.toFixed(2), `${(rind / runc).toFixed(2)}x`, ...(withNode ? [mean(results['rind-node'][v]).toFixed(1)] : [])];
  });
  const w = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  process.stdout.write(`cli-cost: CPU per call, mean of N=${N}${withNetns ? ', each container joins a netns made for it (engine-style)' : ', the spec asks for a new netns'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`${line(cols)}\n${rows.map(line).join('\n')}\n`);
  if (daemonStartMs !== undefined) process.stdout.write(`rind daemon start (first call on a root, once per idle period): ${daemonStartMs.toFixed(0)} ms CPU\n`);
  const worst = Math.max(...VERBS.map((v) => mean(results.rind[v]) / mean(results.runc[v])));
  const stateList = Math.max(mean(results.rind.state), mean(results.rind.list));
  process.stdout.write(`target: every verb <= 2x runc (worst ${worst.toFixed(2)}x), state/list <= 10 ms (${stateList.toFixed(2)} ms): ${worst <= 2 && stateList <= 10 ? 'MET' : 'NOT MET'}\n`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ N, date: new Date().toISOString(), loadAverage: loadavg(), daemonStartMs, perCallMs: results }, null, 1));
} catch (e) {
  process.stderr.write(`cli-cost: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  closeSync(outFd);
  for (const name of ['rind', 'rind-node', 'runc']) {
    const root = join(work, `root-${name}`);
    if (!existsSync(root)) continue;
    for (const id of readdirSync(root).filter((d) => !d.startsWith('.')))
      spawnSync(name === 'runc' ? 'runc' : RIND, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', env: { ...process.env, RIND_NO_DAEMON: '1' } });
  }
  rmSync(work, { recursive: true, force: true });
}
