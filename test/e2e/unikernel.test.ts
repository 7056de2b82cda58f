// End-to-end: unikernel images as containers (rind's PVH annotation, urunc's annotations, runh's Hermit
// layout) booted in QEMU microvm with no agent: console = stdout, isa-debug-exit = exit code, HTTP on a NIC.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor, state, REPO, type SpecPatch } from './harness.js';

const env = newEnv('unikernel');
const UK = join(REPO, 'build', 'unikernels');
const netns = `rind-uk-${process.pid}`;
const hostIf = `ruk${process.pid % 10000}`;
after(() => {
  cleanup(env);
  spawnSync('ip', ['netns', 'del', netns]);
  spawnSync('ip', ['link', 'del', hostIf]);
});

/** A bundle whose rootfs holds one of our unikernels at `path`. */
function ukBundle(name: string, kernel: 'hello' | 'web', path: string, args: string[], patch?: SpecPatch): string {
  const b = makeBundle(env, name, args, patch);
  mkdirSync(join(b, 'rootfs', path, '..'), { recursive: true });
  copyFileSync(join(UK, kernel), join(b, 'rootfs', path));
  return b;
}
const rindStyle: SpecPatch = (s) => (s.annotations = { 'io.rind.guest': 'unikernel' });

function run(name: string, b: string): { status: number | null; stdout: string; stderr: string } {
  env.ids.add(name);
  const r = rind(env, ['run', '--bundle', b, name], { timeoutMs: 60_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test('hello (io.rind.guest=unikernel): stdout byte-exact, args reach it, exit 0/1/42', () => {
  const r = run('hello0', ukBundle('hello0', 'hello', 'kernel', ['/kernel', 'first', 'exit=0'], rindStyle));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'hello from rind unikernel\nargc=2\nargv[0]=first\nargv[1]=exit=0\nexit=0\n');
  for (const code of [1, 42]) {
    const x = run(`hello${code}`, ukBundle(`hello${code}`, 'hello', 'kernel', ['/kernel', `exit=${code}`], rindStyle));
    assert.equal(x.status, code, x.stderr);
  }
});

test('urunc annotations and runh Hermit layout are recognised and boot', () => {
  const urunc = run('urunc', ukBundle('urunc', 'hello', 'unikernel/app', ['/ignored'], (s) => {
    s.annotations = { 'com.urunc.unikernel.unikernelType': 'linux', 'com.urunc.unikernel.binary': '/unikernel/app', 'com.urunc.unikernel.cmdline': 'from-urunc exit=7', 'com.urunc.unikernel.hypervisor': 'qemu' };
  }));
  assert.equal(urunc.status, 7, urunc.stderr);
  assert.match(urunc.stdout, /argv\[0\]=from-urunc\n/);
  const b = ukBundle('runh', 'hello', 'hermit/hermit-loader', ['/hermit/app', 'exit=5']);
  copyFileSync(join(UK, 'hello'), join(b, 'rootfs', 'hermit', 'app'));
  const runh = run('runh', b);
  assert.equal(runh.status, 5, runh.stderr);
  assert.match(runh.stdout, /argv\[0\]=--\nargv\[1\]=exit=5\n/, "Hermit's convention: kernel args, --, the app's args");
});

test('bad unikernel annotations: one clear line, nothing left', () => {
  for (const [name, ann, msg] of [
    ['badtype', { 'com.urunc.unikernel.unikernelType': 'mirage', 'com.urunc.unikernel.binary': '/kernel' }, /unikernelType "mirage" is not supported/],
    ['badhv', { 'com.urunc.unikernel.unikernelType': 'unikraft', 'com.urunc.unikernel.binary': '/kernel', 'com.urunc.unikernel.hypervisor': 'firecracker' }, /rind runs unikernels with qemu/],
    ['nokernel', { 'io.rind.guest': 'unikernel' }, /unikernel kernel \/missing is not a file in the rootfs/],
  ] as const) {
    const b = ukBundle(name, 'hello', 'kernel', name === 'nokernel' ? ['/missing'] : ['/kernel'], (s) => (s.annotations = ann));
    const r = rind(env, ['run', '--bundle', b, name]);
    assert.notEqual(r.status, 0, name);
    assert.match(r.stderr.toString(), msg);
    assert.equal(r.stderr.toString().trim().split('\n').filter((l) => !l.includes('WARNING')).length, 1, r.stderr.toString());
    assert.ok(!existsSync(join(env.root, name)), `${name}: no state left`);
  }
});

/** A netns with a veth to the host, like a CNI bridge plugin would make. */
function hostNet(): SpecPatch {
  execFileSync('ip', ['netns', 'add', netns]);
  execFileSync('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  execFileSync('ip', ['addr', 'add', '10.79.0.1/24', 'dev', hostIf]);
  execFileSync('ip', ['link', 'set', hostIf, 'up']);
  execFileSync('ip', ['-n', netns, 'addr', 'add', '10.79.0.2/24', 'dev', 'eth0']);
  execFileSync('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  execFileSync('ip', ['-n', netns, 'route', 'add', 'default', 'via', '10.79.0.1']);
  return (s) => {
    rindStyle(s);
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
    s.linux.namespaces.push({ type: 'network', path: `/run/netns/${netns}` });
  };
}

test('web unikernel: answers HTTP on its IP, 200 sequential requests; exec refused; SIGTERM 143', async () => {
  const b = ukBundle('web', 'web', 'web', ['/web'], hostNet());
  env.ids.add('web');
  const c = rindDetached(env, ['run', '-d', '--bundle', b, 'web'], 'web');
  assert.equal(c.status, 0, c.stderr);
  let ok = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000) {
    if (spawnSync('curl', ['-s', '-m', '2', 'http://10.79.0.2:8080/']).status === 0) break;
  }
  for (let i = 0; i < 200; i++) if (spawnSync('curl', ['-s', '-f', '-m', '5', 'http://10.79.0.2:8080/']).stdout.toString().includes('hello from rind web unikernel')) ok++;
  assert.equal(ok, 200, 'all 200 sequential requests answered');
  const ex = rind(env, ['exec', 'web', '/bin/true']);
  assert.notEqual(ex.status, 0);
  assert.match(ex.stderr.toString(), /exec is not supported for unikernel containers/);
  for (const verb of [['ps', 'web'], ['events', '--stats', 'web']]) assert.match(rind(env, verb).stderr.toString(), /not supported for unikernel containers/);
  assert.equal(rind(env, ['kill', 'web', 'TERM']).status, 0);
  await waitFor(() => state(env, 'web').status === 'stopped', 20_000);
  assert.equal(Number(readFileSync(join(env.root, 'web', 'exit'), 'utf8')), 143);
  assert.equal(rind(env, ['delete', 'web']).status, 0);
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
});
