// Unit tests for the create-time checks runc makes beyond the schema (src/oci/validate.ts), the frozen-cgroup
// refusal (src/host/cgroups.ts) and the host-fd refusal (--preserve-fds, LISTEN_FDS in src/cli/commands.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBundle, validateSpec } from '../../src/oci/spec.js';
import { checkRootfs, sysctlDots } from '../../src/oci/validate.js';
import { defaultSpec } from '../../src/oci/default-spec.js';
import { frozenCgroup } from '../../src/host/cgroups.js';
import { listenFds, refuseHostFds } from '../../src/cli/commands.js';

type AnySpec = Record<string, any>;

function mk(f: (s: AnySpec) => void): AnySpec {
  const s = defaultSpec() as AnySpec;
  f(s);
  return s;
}

/** refused with one line that matches `re` */
function refused(f: (s: AnySpec) => void, re: RegExp): void {
  assert.throws(() => validateSpec(mk(f)), (e: Error) => {
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

function accepted(f: (s: AnySpec) => void): void {
  assert.doesNotThrow(() => validateSpec(mk(f)));
}

test('process: empty args, relative cwd, oomScoreAdj out of range (schema)', () => {
  refused((s) => (s.process.args = []), /process\/args/);
  refused((s) => (s.process.cwd = 'work'), /process\/cwd/);
  refused((s) => (s.process.oomScoreAdj = 1001), /oomScoreAdj/);
  refused((s) => (s.process.oomScoreAdj = -1001), /oomScoreAdj/);
  accepted((s) => (s.process.oomScoreAdj = -1000));
});

test('rlimits: unknown type, a type given twice, soft above hard', () => {
  refused((s) => (s.process.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]), /config\.json: process\.rlimits: unknown rlimit type RLIMIT_FOO/);
  refused((s) => s.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 10, hard: 10 }), /RLIMIT_NOFILE is given more than once/);
  refused((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 2, hard: 1 }]), /soft limit 2 is above the hard limit 1/);
  accepted((s) => (s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709552000 }, { type: 'RLIMIT_NPROC', soft: 5, hard: 5 }]));
});

test('scheduler and ioPriority follow runc\'s rules', () => {
  refused((s) => (s.process.scheduler = { nice: 1 }), /process\.scheduler: policy is required/);
  refused((s) => (s.process.scheduler = { policy: 'SCHED_FAST' }), /unknown policy/);
  refused((s) => (s.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 }), /nice 20 is not in -20\.\.19/);
  refused((s) => (s.process.scheduler = { policy: 'SCHED_OTHER', priority: 5 }), /priority is only for SCHED_FIFO or SCHED_RR/);
  refused((s) => (s.process.scheduler = { policy: 'SCHED_RR', runtime: 5 }), /only for SCHED_DEADLINE/);
  accepted((s) => (s.process.scheduler = { policy: 'SCHED_FIFO', priority: 10 }));
  accepted((s) => (s.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1000, deadline: 2000, period: 3000 }));
  refused((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_FAST', priority: 1 }), /process\.ioPriority: unknown class/);
  refused((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }), /priority 8 is not in 0\.\.7/);
  accepted((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }));
});

test('sysctls: only those a namespace of the container isolates', () => {
  const without = (type: string) => (s: AnySpec) => (s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== type));
  accepted((s) => (s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'x' }));
  accepted((s) => (s.linux.sysctl = { 'net/ipv4/conf/eth0.100/rp_filter': '1' }));
  refused((s) => (without('network')(s), (s.linux.sysctl = { 'net.ipv4.ip_forward': '1' })), /linux\.sysctl "net\.ipv4\.ip_forward": needs a network namespace of its own/);
  refused((s) => (without('ipc')(s), (s.linux.sysctl = { 'kernel.msgmax': '1' })), /needs an ipc namespace of its own/);
  refused((s) => (without('uts')(s), (s.linux.sysctl = { 'kernel.domainname': 'x' })), /not in a separate kernel namespace/);
  refused((s) => (s.linux.sysctl = { 'kernel.hostname': 'x' }), /conflicts with the spec's hostname field/);
  refused((s) => (s.linux.sysctl = { 'kernel.pid_max': '100000' }), /"kernel\.pid_max": is not in a separate kernel namespace/);
  refused((s) => (s.linux.sysctl = { 'vm.overcommit_memory': '1' }), /not in a separate kernel namespace/);
  assert.equal(sysctlDots('net/ipv4/conf/eno2.100/rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
  assert.equal(sysctlDots('net.ipv4.ip_forward'), 'net.ipv4.ip_forward');
});

test('memory: swap below the limit or without one, values below -1', () => {
  const mem = (m: object) => (s: AnySpec) => (s.linux.resources = { memory: m });
  accepted(mem({ limit: 256 << 20, swap: 512 << 20, reservation: 128 << 20 }));
  accepted(mem({ limit: -1, swap: -1 }));
  accepted(mem({ limit: 256 << 20, swap: 0 }));
  refused(mem({ limit: 512 << 20, swap: 256 << 20 }), /linux\.resources\.memory\.swap: \d+ is below memory\.limit/);
  refused(mem({ swap: 256 << 20 }), /memory\.swap: \d+ is set without a memory limit/);
  refused(mem({ limit: -1, swap: 256 << 20 }), /without a memory limit/);
  refused(mem({ limit: -2 }), /memory\.limit: -2 is invalid/);
  refused(mem({ reservation: -5 }), /memory\.reservation: -5 is invalid/);
  refused(mem({ limit: 1 << 30, swappiness: 101 }), /swappiness: 101 is not in 0\.\.100/);
});

test('cpu: the kernel\'s CFS bounds, cpuset lists; pids; blockIO weights; device rules', () => {
  const cpu = (c: object) => (s: AnySpec) => (s.linux.resources = { cpu: c });
  accepted(cpu({ quota: 50000, period: 100000, shares: 512, cpus: '0-1,3', mems: '0' }));
  accepted(cpu({ quota: -1, period: 0 }));
  refused(cpu({ quota: 500 }), /cpu\.quota: 500 µs is below the kernel's minimum of 1000 µs/);
  refused(cpu({ quota: -3 }), /cpu\.quota: -3 is invalid/);
  refused(cpu({ period: 999 }), /cpu\.period: 999 µs is not in 1000\.\.1000000/);
  refused(cpu({ period: 2_000_000 }), /cpu\.period/);
  refused(cpu({ cpus: '3-1' }), /cpu\.cpus: "3-1" is not a list/);
  refused(cpu({ cpus: '0,,1' }), /cpu\.cpus/);
  refused(cpu({ mems: '-' }), /cpu\.mems/);
  refused((s) => (s.linux.resources = { pids: { limit: -2 } }), /pids\.limit: -2 is invalid/);
  accepted((s) => (s.linux.resources = { pids: { limit: -1 } }));
  refused((s) => (s.linux.resources = { blockIO: { weight: 5 } }), /blockIO\.weight: 5 is not in 10\.\.1000/);
  refused((s) => (s.linux.resources = { blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 2000 }] } }), /weightDevice\[0\]\.weight/);
  accepted((s) => (s.linux.resources = { blockIO: { weight: 500 } }));
  refused((s) => (s.linux.resources = { devices: [{ allow: false }] }), /devices\[0\]: access "" \(use a combination of r, w and m\)/);
  refused((s) => (s.linux.resources = { devices: [{ allow: true, type: 'x', access: 'rwm' }] }), /devices\[0\]: type "x"/);
  refused((s) => (s.linux.resources = { devices: [{ allow: true, type: 'c', access: 'rwx' }] }), /access "rwx"/);
});

test('mounts: destination absolute (schema), no NUL; personality domain', () => {
  refused((s) => s.mounts.push({ destination: 'data', type: 'tmpfs', source: 'tmpfs' }), /mounts\/6\/destination/);
  refused((s) => s.mounts.push({ destination: '/da\u0000ta', type: 'tmpfs', source: 'tmpfs' }), /mounts\[6\]: destination or type contains a NUL byte/);
  refused((s) => (s.linux.personality = { domain: 'WINDOWS' }), /linux\.personality: domain "WINDOWS"/);
  accepted((s) => (s.linux.personality = { domain: 'LINUX32' }));
});

/** A bundle in a temp dir; `patch` shapes its rootfs. */
function bundle(patch: (rootfs: string, dir: string) => void): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rind-validate-'));
  mkdirSync(join(dir, 'rootfs'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(defaultSpec()));
  patch(join(dir, 'rootfs'), dir);
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('rootfs: /proc or /sys a symlink or a file is refused; missing or plain directories are fine', () => {
  const cases: Array<[string, (r: string) => void, RegExp | undefined]> = [
    ['plain', (r) => (mkdirSync(join(r, 'proc')), mkdirSync(join(r, 'sys'))), undefined],
    ['missing', () => undefined, undefined],
    ['proc symlink', (r) => symlinkSync('/', join(r, 'proc')), /mount \/proc \(proc\): .*\/rootfs\/proc is a symlink: proc is mounted only on a plain directory/],
    ['proc symlink to a dir inside', (r) => (mkdirSync(join(r, 'p')), symlinkSync('p', join(r, 'proc'))), /\/proc \(proc\): .* is a symlink/],
    ['sys symlink', (r) => symlinkSync('/sys', join(r, 'sys')), /mount \/sys \(sysfs\): .* is a symlink/],
    ['sys file', (r) => writeFileSync(join(r, 'sys'), ''), /mount \/sys \(sysfs\): .* is not a directory/],
  ];
  for (const [name, patch, re] of cases) {
    const b = bundle(patch);
    try {
      if (re) assert.throws(() => loadBundle(b.dir), re, name);
      else assert.doesNotThrow(() => loadBundle(b.dir), name);
    } finally {
      b.done();
    }
  }
});

test('rootfs: a symlink (or under one) is refused as runc does; a symlinked bundle dir is fine', () => {
  const b = bundle((r, dir) => {
    mkdirSync(join(dir, 'real'));
    rmSync(r, { recursive: true });
    symlinkSync('real', r);
  });
  const link = `${b.dir}-link`;
  try {
    assert.throws(() => loadBundle(b.dir), /root\.path .*\/rootfs is a symlink or lies under one \(its real path is .*\/real\)/);
    const spec = validateSpec(mk((s) => (s.root.path = join(link, 'real'))));
    symlinkSync(b.dir, link);
    assert.throws(() => checkRootfs(spec, b.dir), /is a symlink or lies under one/, 'absolute root.path under a symlink');
    assert.doesNotThrow(() => checkRootfs(validateSpec(mk((s) => (s.root.path = 'real'))), link), 'relative root.path in a symlinked bundle');
  } finally {
    rmSync(link, { force: true });
    b.done();
  }
});

test('frozen cgroups: v2 cgroup.freeze of the cgroup or an ancestor, v1 freezer.state', () => {
  const root = mkdtempSync(join(tmpdir(), 'rind-cg-'));
  try {
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'cgroup.freeze'), '0\n');
    writeFileSync(join(root, 'a', 'b', 'cgroup.freeze'), '0\n');
    assert.equal(frozenCgroup('/a/b/c', root, true), undefined);
    writeFileSync(join(root, 'a', 'cgroup.freeze'), '1\n');
    assert.match(frozenCgroup('/a/b/c', root, true) ?? '', /\/a\/cgroup\.freeze is 1$/, 'an ancestor');
    assert.match(frozenCgroup('/a', root, true) ?? '', /\/a\/cgroup\.freeze is 1$/, 'the cgroup itself');
    assert.equal(frozenCgroup('/x/y', root, true), undefined, 'nothing exists yet');

    mkdirSync(join(root, 'freezer', 'p', 'q'), { recursive: true });
    assert.equal(frozenCgroup('/p/q', root, false), undefined, 'no freezer.state files');
    writeFileSync(join(root, 'freezer', 'p', 'freezer.state'), 'FROZEN\n');
    assert.match(frozenCgroup('/p/q/new', root, false) ?? '', /\/freezer\/p\/freezer\.state is FROZEN$/);
    writeFileSync(join(root, 'freezer', 'p', 'q', 'freezer.state'), 'THAWED\n');
    assert.equal(frozenCgroup('/p/q', root, false), undefined, 'the nearest state file speaks (v1 reflects the ancestors)');
    writeFileSync(join(root, 'freezer', 'p', 'q', 'freezer.state'), 'FREEZING\n');
    assert.match(frozenCgroup('/p/q', root, false) ?? '', /is FREEZING$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--preserve-fds: 0 as today, more refused; LISTEN_FDS only when LISTEN_PID names the caller', () => {
  assert.doesNotThrow(() => refuseHostFds(undefined, {}));
  assert.doesNotThrow(() => refuseHostFds('0', {}));
  assert.throws(() => refuseHostFds('2', {}), /: --preserve-fds 2: a VM cannot receive host file descriptors \(only --preserve-fds 0 is supported\)$/);
  assert.throws(() => refuseHostFds('x', {}), /--preserve-fds "x": not a number/);
  const me = (pid: number) => pid === 4242;
  assert.equal(listenFds({ LISTEN_FDS: '2', LISTEN_PID: '4242' }, me), 2);
  assert.equal(listenFds({ LISTEN_FDS: '2', LISTEN_PID: '1' }, me), 0, 'inherited from another process');
  assert.equal(listenFds({ LISTEN_FDS: '2' }, me), 0, 'no LISTEN_PID: not for us (go-systemd)');
  assert.equal(listenFds({ LISTEN_FDS: '0', LISTEN_PID: '4242' }, me), 0);
  assert.equal(listenFds({ LISTEN_FDS: 'x', LISTEN_PID: '4242' }, me), 0);
  assert.equal(listenFds({ LISTEN_FDS: '1', LISTEN_PID: String(process.pid) }), 1, 'this process (the Node CLI)');
  assert.throws(() => refuseHostFds('0', { LISTEN_FDS: '3', LISTEN_PID: '4242' }, me), /LISTEN_FDS=3 \(socket activation\): a VM cannot receive host file descriptors/);
  assert.doesNotThrow(() => refuseHostFds(undefined, undefined), 'exec: no LISTEN_FDS');
});

test('within: the value in time; past the bound a one-line error, after onLate ran', async () => {
  const { within } = await import('../../src/util/timeouts.js');
  assert.equal(await within(Promise.resolve(7), 1000, 'late'), 7);
  let late = false;
  const never = new Promise<number>(() => undefined);
  await assert.rejects(within(never, 20, 'rind-shim did not report ready within 20 ms', () => (late = true)), /^RindError: rind-shim did not report ready within 20 ms$/);
  assert.ok(late, 'onLate ran (the stuck shim is killed)');
  await assert.rejects(within(Promise.reject(new Error('boom')), 1000, 'late'), /boom/);
});
