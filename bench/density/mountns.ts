// Runs the benchmark in a private mount namespace with one cgroup layout for every runtime:
// controllers a hybrid host leaves on the v2 mount (hugetlb here) are mounted as v1 (crun refuses hybrid mode).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const ENV = 'RIND_BENCH_MNTNS';
const ROOT = '/sys/fs/cgroup';

export function inPrivateMountNs(): boolean {
  return process.env[ENV] === '1';
}

/** Environment for processes the benchmark starts: without the marker. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env[ENV];
  return env;
}

/**
 * Re-runs this very command inside `unshare -m --propagation private` and returns its exit code.
 * unshare execs (no fork), so the inner process is our child; Ctrl-C reaches it through the
 * terminal's process group, and we forward SIGTERM/SIGHUP.
 */
export async function reexecInPrivateMountNs(): Promise<number> {
  const before = unifiedControllers();
  const code = await runInner();
  // controllers moved to v1 come back once the namespace's hierarchies are destroyed (asynchronously)
  const end = Date.now() + 15_000;
  while (unifiedControllers() !== before && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  if (unifiedControllers() !== before) {
    process.stderr.write(`!! rind bench: cgroup v2 controllers are "${unifiedControllers()}", were "${before}" before the run\n`);
    return code || 1;
  }
  return code;
}

function unifiedControllers(): string | undefined {
  try {
    return readFileSync(`${ROOT}/unified/cgroup.controllers`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function runInner(): Promise<number> {
  const argv = [...process.execArgv, process.argv[1], ...process.argv.slice(2)];
  const child = spawn('unshare', ['-m', '--propagation', 'private', '--', process.execPath, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [ENV]: '1' },
  });
  const forward = (sig: NodeJS.Signals) => () => {
    if (sig !== 'SIGINT') child.kill(sig); // SIGINT already reached it via the process group
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`rind bench: cannot run unshare: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}

interface CgroupMount {
  mountPoint: string;
  fsType: string;
  superOptions: string;
}

/** cgroup mounts from /proc/self/mountinfo (fields: ... mountpoint ... - fstype source superopts). */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const [fsType, , superOptions] = right.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    out.push({ mountPoint: left.split(' ')[4], fsType, superOptions: superOptions ?? '' });
  }
  return out;
}

/** The v1 mount options of a hierarchy from its super options ("rw,cpu" → "cpu", "rw,name=systemd" → "none,name=systemd"). */
export function v1MountOptions(superOptions: string): string {
  const skip = new Set(['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec']);
  const opts = superOptions.split(',').filter((o) => o && !skip.has(o));
  if (!opts.some((o) => !o.startsWith('name=') && !o.includes('='))) opts.unshift('none');
  return opts.join(',');
}

export interface CgroupLayout {
  version: 'v1' | 'v2';
  /** what was changed, for the report */
  note: string;
  /** every mounted hierarchy (v1 ones and a hybrid's unified mount, or the v2 root): where the run's cgroups must be removed */
  hierarchies: string[];
  /** controllers moved from v2 to v1 for the run */
  moved: string[];
}

function mount(args: string[]): void {
  execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Inside the private mount namespace: on a hybrid host (v1 hierarchies plus a v2 mount holding
 * controllers), rebuild /sys/fs/cgroup on a private tmpfs with every v1 hierarchy, the leftover
 * v2 controllers as v1 hierarchies, and an empty unified mount. Pure v1 or pure v2: unchanged.
 * The hierarchies themselves are global: the moved controllers return to v2 once the namespace ends.
 */
export function prepareCgroupLayout(): CgroupLayout {
  if (!inPrivateMountNs()) throw new Error('prepareCgroupLayout outside the private mount namespace');
  const mounts = cgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountPoint.startsWith(`${ROOT}/`) || m.mountPoint === ROOT);
  const rootV2 = mounts.find((m) => m.mountPoint === ROOT && m.fsType === 'cgroup2');
  if (rootV2) return { version: 'v2', note: 'cgroup v2 (unchanged)', hierarchies: [ROOT], moved: [] };
  const v1 = mounts.filter((m) => m.fsType === 'cgroup');
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const moved = unified && existsSync(`${unified.mountPoint}/cgroup.controllers`)
    ? readFileSync(`${unified.mountPoint}/cgroup.controllers`, 'utf8').split(/\s+/).filter(Boolean)
    : [];
  const all = [...v1, ...(unified ? [unified] : [])].map((m) => m.mountPoint);
  if (moved.length === 0) return { version: 'v1', note: 'cgroup v1 (unchanged)', hierarchies: all, moved: [] };
  mount(['-t', 'tmpfs', '-o', 'mode=755,nosuid,nodev,noexec', 'rind-density-cgroup', ROOT]);
  const hierarchies: string[] = [];
  for (const m of v1) {
    mkdirSync(m.mountPoint, { recursive: true });
    mount(['-t', 'cgroup', '-o', v1MountOptions(m.superOptions), 'cgroup', m.mountPoint]);
    hierarchies.push(m.mountPoint);
  }
  for (const c of moved) {
    const dir = `${ROOT}/${c}`;
    mkdirSync(dir, { recursive: true });
    try {
      mount(['-t', 'cgroup', '-o', c, 'cgroup', dir]);
    } catch (e) {
      throw new Error(`cannot mount the ${c} controller as cgroup v1 (is it in use on the v2 hierarchy?): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
    }
    hierarchies.push(dir);
  }
  if (unified) {
    mkdirSync(unified.mountPoint, { recursive: true });
    mount(['-t', 'cgroup2', 'cgroup2', unified.mountPoint]);
    hierarchies.push(unified.mountPoint); // runc also makes its cgroups there in hybrid mode
  }
  return { version: 'v1', note: `hybrid cgroups: ${moved.join(', ')} moved from v2 to v1 for the run (crun refuses hybrid mode)`, hierarchies, moved };
}

/** num_cgroups per controller from /proc/cgroups (live and still-dying cgroups, root included). */
export function cgroupCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 4 && !f[0].startsWith('#')) out.set(f[0], Number(f[2]));
  }
  return out;
}

/**
 * A v1 hierarchy goes away (and its controllers return to v2) only if it has no cgroups, not
 * even dying ones, when its last mount goes: wait until the run's removed cgroups are freed.
 */
export async function waitMovedControllersIdle(moved: string[], timeoutMs: number): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const counts = cgroupCounts(readFileSync('/proc/cgroups', 'utf8'));
    const busy = moved.filter((c) => (counts.get(c) ?? 1) > 1);
    if (busy.length === 0 || Date.now() > end) return busy;
    await new Promise((r) => setTimeout(r, 100));
  }
}
