// End-to-end: the spec's security settings inside the guest (capabilities, no_new_privs, seccomp, masked and
// read-only paths, sysctl, devices) and the jailed VMM on the host (uid, capabilities, seccomp, root, pid ns),
// plus what a hostile workload must not reach: host device nodes, the host's loopback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor, state } from './harness.js';

const env = newEnv('security');
after(() => cleanup(env));
const CAPS = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const MASK = ((1 << 0) | (1 << 5) | (1 << 10)).toString(16).padStart(16, '0');

function secure(s: any): void {
  s.process.noNewPrivileges = true;
  s.process.capabilities = { bounding: CAPS, effective: CAPS, permitted: CAPS, inheritable: [], ambient: [] };
  s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] };
  s.linux.maskedPaths = ['/proc/kcore'];
  s.linux.readonlyPaths = ['/proc/sys'];
  s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  s.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }];
}

const status = (out: string, key: string) => new RegExp(`^${key}:\\s+(\\S+)`, 'm').exec(out)?.[1];

test('capabilities, no_new_privs and seccomp hold for the init and for exec', () => {
  const b = makeBundle(env, 'caps', ['sh', '-c', 'cat /proc/self/status; mkdir /tmp/denied; echo mkdir=$?; echo still-running'], secure);
  env.ids.add('caps');
  const r = rind(env, ['run', '--bundle', b, 'caps']);
  const out = r.stdout.toString();
  for (const k of ['CapEff', 'CapPrm', 'CapBnd']) assert.equal(status(out, k), MASK, `${k}: ${out}`);
  assert.equal(status(out, 'CapInh'), '0000000000000000');
  assert.equal(status(out, 'CapAmb'), '0000000000000000');
  assert.equal(status(out, 'NoNewPrivs'), '1');
  assert.equal(status(out, 'Seccomp'), '2');
  assert.match(out, /mkdir=1\nstill-running/, 'mkdir denied, other calls work');
  assert.match(r.stderr.toString(), /Function not implemented/, 'the profile\'s errno (38, ENOSYS)');
  const d = makeBundle(env, 'capsexec', ['sleep', '60'], secure);
  env.ids.add('capsexec');
  assert.equal(rindDetached(env, ['run', '-d', '--bundle', d, 'capsexec'], 'capsexec').status, 0);
  const e = rind(env, ['exec', 'capsexec', 'sh', '-c', 'cat /proc/self/status; mkdir /tmp/no; echo mkdir=$?']);
  const eo = e.stdout.toString();
  assert.equal(status(eo, 'CapEff'), MASK, `exec: ${eo}${e.stderr}`);
  assert.equal(status(eo, 'NoNewPrivs'), '1');
  assert.equal(status(eo, 'Seccomp'), '2', 'the container\'s filter holds for exec too');
  assert.match(eo, /mkdir=1/);
  assert.equal(rind(env, ['delete', '--force', 'capsexec']).status, 0);
});

test('masked paths unreadable, read-only paths unwritable, a sysctl applied, a device node present', () => {
  const b = makeBundle(env, 'paths', ['sh', '-c', 'head -c 8 /proc/kcore | wc -c; echo x > /proc/sys/kernel/domainname; echo ro=$?; cat /proc/sys/net/ipv4/ip_forward; ls -l /dev/fuse'], secure);
  env.ids.add('paths');
  const r = rind(env, ['run', '--bundle', b, 'paths']);
  const out = r.stdout.toString().trim().split('\n');
  assert.equal(out[0].trim(), '0', 'a masked file reads as empty');
  assert.equal(out[1], 'ro=1', 'a read-only path refuses writes');
  assert.equal(out[2], '1', 'the sysctl is applied');
  assert.match(out[3], /^crw------- .* 10, *229 /, 'the device node with its type, numbers and mode');
});

test('a bad seccomp profile is one clear line and leaves nothing', () => {
  const b = makeBundle(env, 'badsec', ['true'], (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_call'], action: 'SCMP_ACT_ERRNO' }] }));
  const r = rind(env, ['run', '--bundle', b, 'badsec']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /unknown system call "no_such_call"/);
  assert.ok(!existsSync(join(env.root, 'badsec')));
});

test('the VMM is jailed: not root, four capabilities, seccomp, its own root and pid namespace', () => {
  const b = makeBundle(env, 'jailed', ['sleep', '60']);
  env.ids.add('jailed');
  assert.equal(rindDetached(env, ['run', '-d', '--bundle', b, 'jailed'], 'jailed').status, 0);
  const vmm = Number(readFileSync(join(env.root, 'jailed', 'vmm.pid'), 'utf8'));
  const st = readFileSync(`/proc/${vmm}/status`, 'utf8');
  assert.notEqual(status(st, 'Uid'), '0', 'the VMM runs as an unprivileged uid');
  assert.equal(status(st, 'CapEff'), '000000000000001b', 'chown, dac_override, fowner, fsetid only (no mknod)');
  assert.equal(status(st, 'NoNewPrivs'), '1');
  assert.equal(status(st, 'Seccomp'), '2', 'QEMU\'s -sandbox filter');
  assert.notEqual(readlinkSync(`/proc/${vmm}/ns/pid`), readlinkSync('/proc/self/ns/pid'));
  assert.ok(!existsSync(`/proc/${vmm}/root/home`) && existsSync(`/proc/${vmm}/root/usr`), 'its root is the jail, not /');
  assert.equal(rind(env, ['delete', '--force', 'jailed']).status, 0);
});

test('a guest mknod makes no device node on the host; the host\'s 127.0.0.1 is out of reach', async () => {
  const server = createServer((c) => c.end('host-secret\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const b = makeBundle(env, 'hostile', ['sh', '-c', `mknod /tmp/mem c 1 1; echo mknod=$?; wget -q -T 3 -O - http://127.0.0.1:${port}/ 2>&1; echo wget=$?`]);
    env.ids.add('hostile');
    const r = rind(env, ['run', '--bundle', b, 'hostile']);
    const out = r.stdout.toString();
    assert.match(out, /mknod=1/, out + r.stderr.toString());
    assert.ok(!existsSync(join(b, 'rootfs', 'tmp', 'mem')), 'no device node appeared in the host rootfs');
    assert.doesNotMatch(out, /host-secret/, 'the guest reached the host\'s loopback');
    assert.match(out, /wget=1/);
  } finally {
    server.close();
  }
});

test('the jail does not cap file sizes: a 300 MiB file written in the guest arrives whole on the host', () => {
  const b = makeBundle(env, 'bigfile', ['dd', 'if=/dev/zero', 'of=/big', 'bs=1M', 'count=300']);
  env.ids.add('bigfile');
  const r = rind(env, ['run', '--bundle', b, 'bigfile']);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(statSync(join(b, 'rootfs', 'big')).size, 300 * 1024 * 1024);
  rmSync(join(b, 'rootfs', 'big'));
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
  void state;
});
