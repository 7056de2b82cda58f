// End-to-end: what `create`/`run` refuse before any VM starts (runc's invalid values, a /proc or /sys symlink in
// the rootfs, host fds via --preserve-fds or LISTEN_FDS, a frozen cgroup) — one clear line, quickly, nothing left.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { newEnv, makeBundle, rind, cleanup, leftovers, waitFor, RIND, type SpecPatch } from './harness.js';

const env = newEnv('validation');
after(() => cleanup(env));

const errLines = (s: string) => s.split('\n').filter((l) => l && !l.includes('WARNING: KVM is not usable'));

/** Nothing of `id` (or of any container) is left: no state, no QEMU or shim mentioning the root. */
async function nothingLeft(id: string): Promise<void> {
  assert.ok(!existsSync(join(env.root, id)), `${id} left its state dir`);
  const ids = existsSync(env.root) ? readdirSync(env.root).filter((d) => !d.startsWith('.')) : [];
  assert.deepEqual(ids, [], 'no container state at all');
  await waitFor(() => leftovers(env).length === 0, 5_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), [], 'no QEMU or shim left');
}

/** `rind <verb>` of a bundle made by `patch` is refused with one line matching `re`, fast, leaving nothing. */
async function refusedRun(id: string, patch: SpecPatch, re: RegExp, verb: 'run' | 'create' = 'run', extra: string[] = [], rootfs?: (dir: string) => void): Promise<void> {
  const b = makeBundle(env, id, ['true'], patch);
  rootfs?.(join(b, 'rootfs'));
  const t = Date.now();
  const r = rind(env, [verb, ...extra, '--bundle', b, id]);
  const ms = Date.now() - t;
  const err = errLines(r.stderr.toString());
  assert.notEqual(r.status, 0, `${id}: refused`);
  assert.equal(err.length, 1, `${id}: one line: ${err.join(' | ')}`);
  assert.match(err[0], re, id);
  assert.ok(ms < 15_000, `${id}: refused before any VM (took ${ms} ms)`);
  await nothingLeft(id);
}

test('invalid spec values runc rejects are refused before any VM; nothing is left', async () => {
  await refusedRun('duprlimit', (s) => s.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 64, hard: 64 }), /process\.rlimits: rlimit RLIMIT_NOFILE is given more than once/);
  await refusedRun('hostsysctl', (s) => (s.linux.sysctl = { 'kernel.pid_max': '100000' }), /linux\.sysctl "kernel\.pid_max": is not in a separate kernel namespace/, 'create');
  await refusedRun('swap', (s) => (s.linux.resources.memory = { limit: 256 << 20, swap: 128 << 20 }), /memory\.swap: \d+ is below memory\.limit/);
  await refusedRun('quota', (s) => (s.linux.resources.cpu = { quota: 10, period: 100000 }), /cpu\.quota: 10 µs is below the kernel's minimum/);
  await refusedRun('sched', (s) => (s.process.scheduler = { policy: 'SCHED_OTHER', nice: 40 }), /process\.scheduler: nice 40/);
});

test('a rootfs whose /proc or /sys is a symlink (or a file) is refused at create', async () => {
  await refusedRun('procsymlink', () => undefined, /mount \/proc \(proc\): .*\/rootfs\/proc is a symlink/, 'create', [], (r) => {
    rmdirSync(join(r, 'proc'));
    symlinkSync('/', join(r, 'proc'));
  });
  await refusedRun('syssymlink', () => undefined, /mount \/sys \(sysfs\): .*\/rootfs\/sys is a symlink/, 'run', [], (r) => {
    rmdirSync(join(r, 'sys'));
    symlinkSync('/sys', join(r, 'sys'));
  });
  await refusedRun('procfile', () => undefined, /mount \/proc \(proc\): .*\/rootfs\/proc is not a directory/, 'create', [], (r) => {
    rmdirSync(join(r, 'proc'));
    writeFileSync(join(r, 'proc'), '');
  });
});

test('--preserve-fds N>0 and LISTEN_FDS are refused: a VM cannot receive host fds; 0 works as before', async () => {
  await refusedRun('pfds', () => undefined, /--preserve-fds 2: a VM cannot receive host file descriptors/, 'create', ['--preserve-fds', '2']);
  // LISTEN_PID is the rind process itself (sh execs it), as systemd or conmon --replace-listen-pid sets it
  const b = makeBundle(env, 'listen', ['true']);
  const r = spawnSync('sh', ['-c', 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"', 'sh', RIND, '--root', env.root, 'run', '--bundle', b, 'listen'], { timeout: 60_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /LISTEN_FDS=1 \(socket activation\): a VM cannot receive host file descriptors/);
  await nothingLeft('listen');
  const exec = rind(env, ['exec', '--preserve-fds', '1', 'nosuch', 'true']);
  assert.match(exec.stderr.toString(), /--preserve-fds 1: a VM cannot receive host file descriptors/, 'exec too');

  const features = JSON.parse(rind(env, ['features']).stdout.toString());
  assert.match(features.annotations['io.rind.preserveFds'], /^0 only/);

  // --preserve-fds 0 and a LISTEN_FDS meant for another process (LISTEN_PID 1) change nothing: the container runs
  const ok = makeBundle(env, 'pfds0', ['sh', '-c', 'echo ran']);
  const r0 = rind(env, ['run', '--preserve-fds', '0', '--bundle', ok, 'pfds0'], { env: { ...process.env, LISTEN_FDS: '2', LISTEN_PID: '1' } });
  assert.equal(r0.status, 0, r0.stderr.toString());
  assert.equal(r0.stdout.toString(), 'ran\n');
  await nothingLeft('pfds0');
});

/** A frozen host cgroup (v2: cgroup.freeze; v1: the freezer hierarchy); returns its cgroupsPath and how to remove it. */
function frozenCgroup(name: string): { path: string; dir: string; remove: () => void } {
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? join('/sys/fs/cgroup', name) : join('/sys/fs/cgroup/freezer', name);
  mkdirSync(dir, { recursive: true }); // a run that died before its clean-up left it: reuse it
  if (v2) writeFileSync(join(dir, 'cgroup.freeze'), '1');
  else writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
  const remove = () => {
    if (v2) writeFileSync(join(dir, 'cgroup.freeze'), '0');
    else writeFileSync(join(dir, 'freezer.state'), 'THAWED');
    rmdirSync(dir);
  };
  return { path: `/${name}`, dir, remove };
}

test('run/create into a frozen cgroup fails quickly and clearly, leaving nothing (not even the cgroup dirs)', async () => {
  const name = `rind-e2e-frozen-${process.pid}`;
  const cg = frozenCgroup(name);
  try {
    for (const verb of ['run', 'create'] as const) {
      const id = `frozen${verb}`;
      await refusedRun(id, (s) => (s.linux.cgroupsPath = cg.path), new RegExp(`container's cgroup /${name} is frozen \\(.*(cgroup\\.freeze is 1|freezer\\.state is FROZEN)\\): its VM could not run there; thaw it first`), verb);
    }
    assert.equal(readFileSync(join(cg.dir, 'cgroup.procs'), 'utf8'), '', 'no process joined the frozen cgroup');
    for (const h of ['memory', 'cpu', 'pids', 'blkio']) assert.ok(!existsSync(join('/sys/fs/cgroup', h, name)), `no ${h} cgroup made`);
  } finally {
    cg.remove();
  }
});
