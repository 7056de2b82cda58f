// End-to-end: several containers in one VM (a pod), driven through rind's CLI the way containerd's runc
// shim does for Kubernetes: a sandbox container, members named by CRI annotations or by a shared netns.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor, state, type SpecPatch } from './harness.js';

const env = newEnv('pods');
const netns = `rind-pods-${process.pid}`;
execFileSync('ip', ['netns', 'add', netns]);
execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
after(() => {
  cleanup(env);
  execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
});

const inNetns: SpecPatch = (s) => {
  s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
  s.linux.namespaces.push({ type: 'network', path: `/run/netns/${netns}` });
};
const cri = (type: 'sandbox' | 'container', sandbox?: string): SpecPatch => (s) => {
  inNetns(s);
  s.annotations = { 'io.kubernetes.cri.container-type': type, ...(sandbox ? { 'io.kubernetes.cri.sandbox-id': sandbox } : {}) };
};

function qemusOf(root: string): number {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('/usr/bin/qemu-system') && l.includes(root)).length;
}

function created(id: string, args: string[], patch: SpecPatch): void {
  const b = makeBundle(env, id, args, patch);
  env.ids.add(id);
  const r = rindDetached(env, ['create', '--bundle', b, id], id);
  assert.equal(r.status, 0, r.stderr);
}

function exitOf(id: string): number {
  return Number(readFileSync(join(env.root, id, 'exit'), 'utf8'));
}

test('a CRI pod: sandbox + two members in ONE VM, pod-local traffic, own exit codes', async () => {
  created('pod1', ['sh', '-c', 'echo pod-page > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'], cri('sandbox'));
  assert.equal(rind(env, ['start', 'pod1']).status, 0);
  created('web', ['sh', '-c', 'mkdir -p /w; echo member-page > /w/index.html; exec httpd -f -p 8081 -h /w'], cri('container', 'pod1'));
  assert.equal(rind(env, ['start', 'web']).status, 0);
  created('client', ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8081/ && break; sleep 0.5; done; uname -r; exit 3'], cri('container', 'pod1'));
  assert.equal(rind(env, ['start', 'client']).status, 0);
  await waitFor(() => existsSync(join(env.root, 'client', 'exit')), 60_000);
  assert.equal(exitOf('client'), 3, 'the member exit code is its own');
  const out = readFileSync(join(env.work, 'client.stdout'), 'utf8');
  assert.match(out, /member-page/, 'a member reaches another over the pod\'s localhost');
  assert.match(out, /^\d+\.\d+\.\d+/m, 'uname -r inside the member: the guest kernel');
  assert.equal(qemusOf(env.root), 1, 'one QEMU for the whole pod');
  assert.equal(state(env, 'web').status, 'running', 'the other member is unaffected');
  assert.equal(state(env, 'pod1').status, 'running');
});

test('members: exec and ps inside a member, kill -9 gives 137, delete while the pod runs', async () => {
  const ex = rind(env, ['exec', 'web', 'cat', '/w/index.html']);
  assert.equal(ex.status, 0, ex.stderr.toString());
  assert.equal(ex.stdout.toString(), 'member-page\n', 'exec runs in the member\'s own root');
  assert.equal(rind(env, ['ps', '--format', 'json', 'web']).status, 0);
  assert.equal(rind(env, ['kill', 'web', 'KILL']).status, 0);
  await waitFor(() => state(env, 'web').status === 'stopped', 30_000);
  assert.equal(exitOf('web'), 137);
  assert.equal(rind(env, ['delete', 'web']).status, 0);
  assert.equal(rind(env, ['delete', 'client']).status, 0);
  assert.ok(!existsSync(join(env.root, 'web')) && !existsSync(join(env.root, 'pod1', 'share', 'c', 'web')), 'the member left no state or share entry');
  assert.equal(state(env, 'pod1').status, 'running', 'the pod keeps running');
});

test('a member found by its netns alone (Podman pods, ctr --with-ns), exit 0', async () => {
  created('nsjoin', ['sh', '-c', 'wget -qO- http://127.0.0.1:8080/'], inNetns);
  assert.equal(rind(env, ['start', 'nsjoin']).status, 0);
  await waitFor(() => existsSync(join(env.root, 'nsjoin', 'exit')), 60_000);
  assert.equal(exitOf('nsjoin'), 0);
  assert.match(readFileSync(join(env.work, 'nsjoin.stdout'), 'utf8'), /pod-page/);
  assert.equal(qemusOf(env.root), 1);
  assert.equal(rind(env, ['delete', 'nsjoin']).status, 0);
});

test('bad input: unknown or stopped sandbox, duplicate member id, sandbox delete with members', () => {
  const b = makeBundle(env, 'orphan', ['true'], cri('container', 'no-such-pod'));
  const r = rind(env, ['create', '--bundle', b, 'orphan']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /sandbox no-such-pod does not exist/);
  assert.equal(r.stderr.toString().trim().split('\n').length, 1);
  assert.ok(!existsSync(join(env.root, 'orphan')));
  created('m1', ['sleep', '60'], cri('container', 'pod1'));
  const dup = rind(env, ['create', '--bundle', makeBundle(env, 'm1b', ['true'], cri('container', 'pod1')), 'm1']);
  assert.notEqual(dup.status, 0);
  assert.match(dup.stderr.toString(), /already exists/);
  const del = rind(env, ['delete', 'pod1']);
  assert.notEqual(del.status, 0, 'a sandbox with members is not deleted without --force');
  assert.match(del.stderr.toString(), /m1/);
  assert.equal(state(env, 'm1').status, 'created');
});

test('the VM dies: every member reports stopped with 137, delete cleans everything', async () => {
  assert.equal(rind(env, ['start', 'm1']).status, 0);
  created('unused', ['true'], cri('container', 'pod1'));
  assert.equal(rind(env, ['kill', 'pod1', 'KILL']).status, 0);
  await waitFor(() => state(env, 'm1').status === 'stopped' && state(env, 'unused').status === 'stopped', 30_000);
  assert.equal(exitOf('m1'), 137);
  for (const id of ['m1', 'unused', 'pod1']) assert.equal(rind(env, ['delete', id]).status, 0, id);
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
  const taps = execFileSync('ip', ['-n', netns, '-o', 'link'], { encoding: 'utf8' });
  assert.doesNotMatch(taps, /rtap/, 'no tap left in the pod netns');
});
