// End-to-end: linux.namespaces inside the guest — the workload as PID 1 of its own PID namespace, its own
// IPC/UTS/cgroup namespaces, hostname and domainname, a user namespace with id mappings (file owners seen on
// the host), namespaces of another container of the same VM joined by path, and the paths a VM refuses.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor, state, type SpecPatch } from './harness.js';

const env = newEnv('ns');
const netns = `rind-ns-${process.pid}`;
execFileSync('ip', ['netns', 'add', netns]);
execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
after(() => {
  cleanup(env);
  execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
});

const NS = 'for n in pid ipc uts cgroup user mnt; do echo "$n $(busybox readlink /proc/self/ns/$n)"; done';

/** "kind -> kind:[inode]" lines printed by NS */
function nsOf(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^(pid|ipc|uts|cgroup|user|mnt) (\S+)$/gm)) r[m[1]] = m[2];
  return r;
}

function run(id: string, script: string, patch?: SpecPatch) {
  const b = makeBundle(env, id, ['sh', '-c', script], patch);
  env.ids.add(id);
  const r = rind(env, ['run', '--bundle', b, id]);
  rind(env, ['delete', '--force', id]);
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

function created(bundle: string, id: string): void {
  const r = rindDetached(env, ['create', '--bundle', bundle, id], id);
  assert.equal(r.status, 0, `create ${id}: ${r.stderr}`);
}

function refused(id: string, patch: SpecPatch, want: RegExp): void {
  const b = makeBundle(env, id, ['true'], patch);
  const r = rind(env, ['create', '--bundle', b, id]);
  assert.notEqual(r.status, 0, `${id} must be refused`);
  const err = r.stderr.toString();
  assert.match(err, want);
  assert.equal(err.trim().split('\n').length, 1, `one line: ${err}`);
  assert.ok(!existsSync(join(env.root, id)), 'no state left');
  assert.deepEqual(leftovers(env).filter((l) => l.includes(id)), []);
}

test('the workload is PID 1 of its own PID namespace: SIGTERM without a handler is ignored (as runc), KILL gives 137', async () => {
  const r = run('pid1', 'echo "pid $$"; cat /proc/1/cmdline | head -c 5; echo');
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^pid 1$/m, 'the shell is PID 1');
  assert.match(r.out, /^sh -c|^sh\b/m);

  const b = makeBundle(env, 'term', ['sleep', '1000']);
  env.ids.add('term');
  created(b, 'term');
  assert.equal(rind(env, ['start', 'term']).status, 0);
  assert.equal(rind(env, ['kill', 'term', 'TERM']).status, 0);
  await new Promise((res) => setTimeout(res, 2000));
  assert.equal(state(env, 'term').status, 'running', 'PID 1 without a TERM handler ignores SIGTERM');
  assert.equal(rind(env, ['kill', 'term', 'KILL']).status, 0);
  await waitFor(() => state(env, 'term').status === 'stopped', 30_000);
  assert.equal(Number(readFileSync(join(env.root, 'term', 'exit'), 'utf8')), 137);
  assert.equal(rind(env, ['delete', 'term']).status, 0);

  const t = run('trap', 'trap "echo got-term; exit 7" TERM; kill -TERM $$; sleep 1; echo not-reached');
  assert.equal(t.status, 7, 'a handler of its own runs');
  assert.match(t.out, /got-term/);
});

test('hostname and domainname in its own UTS namespace; own IPC and cgroup namespaces; none asked → the VM\'s', () => {
  const own = run('uts', `echo "host $(cat /proc/sys/kernel/hostname) dom $(cat /proc/sys/kernel/domainname)"; cat /proc/self/cgroup; ${NS}`, (s) => {
    s.hostname = 'box-one';
    s.domainname = 'example.test';
    s.linux.namespaces.push({ type: 'cgroup' });
  });
  assert.equal(own.status, 0, own.err);
  assert.match(own.out, /^host box-one dom example\.test$/m);
  assert.match(own.out, /^0::\/$/m, 'its own cgroup namespace: its cgroup is its root');
  const shared = run('vmns', `cat /proc/self/cgroup; ${NS}`, (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => !['ipc', 'uts', 'pid'].includes(n.type));
    delete s.hostname;
  });
  assert.equal(shared.status, 0, shared.err);
  assert.doesNotMatch(shared.out, /^0::\/$/m, 'without a cgroup namespace the VM\'s hierarchy shows');
  const a = nsOf(own.out);
  const b = nsOf(shared.out);
  for (const k of ['ipc', 'uts', 'cgroup'] as const) assert.ok(a[k] && b[k] && a[k] !== b[k], `${k}: own ${a[k]} vs the VM's ${b[k]}`);
  assert.notEqual(a.pid, b.pid);
  assert.equal(a.user, b.user, 'no user namespace asked: the VM\'s');
});

test('a user namespace with id mappings: root inside is 100000 on the host, files it makes are owned so', () => {
  const id = 'userns';
  const b = makeBundle(env, id, ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /data/made && echo made'], (s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    s.mounts.push({ destination: '/data', type: 'bind', source: join(env.work, 'userns-data'), options: ['rbind', 'rw'] });
  });
  const data = join(env.work, 'userns-data');
  mkdirSync(data, { recursive: true });
  chownSync(data, 100000, 200000); // the container's root owns it, as with runc
  env.ids.add(id);
  assert.equal(rindDetached(env, ['create', '--bundle', b, id], id).status, 0);
  const ex = rind(env, ['exec', id, 'cat', '/proc/self/uid_map']);
  assert.equal(ex.status, 0, ex.stderr.toString());
  assert.match(ex.stdout.toString(), /^\s*0\s+100000\s+65536$/m, 'exec joins the user namespace');
  assert.equal(rind(env, ['start', id]).status, 0);
  waitForExit(id);
  const out = readFileSync(join(env.work, `${id}.stdout`), 'utf8');
  assert.match(out, /^\s*0\s+100000\s+65536$/m, out);
  assert.match(out, /^\s*0\s+200000\s+65536$/m);
  assert.match(out, /^0$/m, 'id -u inside: 0');
  assert.match(out, /^made$/m, readFileSync(join(env.work, `${id}.stderr`), 'utf8'));
  const st = statSync(join(data, 'made'));
  assert.deepEqual([st.uid, st.gid], [100000, 200000], 'the file appears on the host with the mapped owner');
  assert.equal(rind(env, ['delete', id]).status, 0);
});

function waitForExit(id: string): void {
  const end = Date.now() + 60_000;
  while (!existsSync(join(env.root, id, 'exit')) && Date.now() < end) execFileSync('sleep', ['0.2']);
  assert.ok(existsSync(join(env.root, id, 'exit')), `${id} did not exit`);
}

const inPod = (type: 'sandbox' | 'container', sandbox?: string): SpecPatch => (s) => {
  s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
  s.linux.namespaces.push({ type: 'network', path: `/run/netns/${netns}` });
  s.annotations = { 'io.kubernetes.cri.container-type': type, ...(sandbox ? { 'io.kubernetes.cri.sandbox-id': sandbox } : {}) };
};

test('a pod: members join the sandbox\'s IPC, UTS and PID namespaces by path; a member without paths has its own', async () => {
  const sb = makeBundle(env, 'pod', ['sleep', '1000'], (s) => {
    inPod('sandbox')(s);
    s.hostname = 'the-pod';
  });
  env.ids.add('pod');
  created(sb, 'pod');
  assert.equal(rind(env, ['start', 'pod']).status, 0);
  const pid = state(env, 'pod').pid as number;
  const mine = rind(env, ['exec', 'pod', 'sh', '-c', NS]);
  assert.equal(mine.status, 0, mine.stderr.toString());
  const pod = nsOf(mine.stdout.toString());

  const joiner = makeBundle(env, 'joiner', ['sh', '-c', `${NS}; cat /proc/sys/kernel/hostname; ps -o args | grep -c "^sleep 1000"`], (s) => {
    inPod('container', 'pod')(s);
    delete s.hostname;
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => !['ipc', 'uts', 'pid'].includes(n.type));
    for (const t of ['ipc', 'uts', 'pid']) s.linux.namespaces.push({ type: t, path: `/proc/${pid}/ns/${t}` });
  });
  env.ids.add('joiner');
  created(joiner, 'joiner');
  assert.equal(rind(env, ['start', 'joiner']).status, 0);
  waitForExit('joiner');
  const jout = readFileSync(join(env.work, 'joiner.stdout'), 'utf8');
  const j = nsOf(jout);
  for (const k of ['ipc', 'uts', 'pid'] as const) assert.equal(j[k], pod[k], `${k} joined: ${jout}`);
  assert.notEqual(j.mnt, pod.mnt, 'its own mount namespace');
  assert.match(jout, /^the-pod$/m, 'the pod\'s hostname, seen through the joined UTS namespace');
  assert.match(jout, /^1$/m, 'the sandbox\'s process is visible in the joined PID namespace');

  const own = makeBundle(env, 'loner', ['sh', '-c', NS], inPod('container', 'pod'));
  env.ids.add('loner');
  created(own, 'loner');
  assert.equal(rind(env, ['start', 'loner']).status, 0);
  waitForExit('loner');
  const l = nsOf(readFileSync(join(env.work, 'loner.stdout'), 'utf8'));
  for (const k of ['ipc', 'uts', 'pid'] as const) assert.ok(l[k] && l[k] !== pod[k], `${k}: its own`);
  for (const id of ['joiner', 'loner']) assert.equal(rind(env, ['delete', id]).status, 0);

  // a member of the same pod: by path to the pod's pid; a single container: another VM → refused
  refused('other-vm', (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'ipc');
    s.linux.namespaces.push({ type: 'ipc', path: `/proc/${pid}/ns/ipc` });
  }, /container pod, which runs in another VM/);
  assert.equal(rind(env, ['delete', '--force', 'pod']).status, 0);
});

test('namespace paths a VM cannot honour, and contradictions, are refused with one line and nothing left', () => {
  const swap = (type: string, path: string): SpecPatch => (s) => {
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== type);
    s.linux.namespaces.push({ type, path });
  };
  refused('hostipc', swap('ipc', `/proc/${process.pid}/ns/ipc`), /ipc namespace at \/proc\/\d+\/ns\/ipc is a host namespace/);
  refused('mismatch', swap('uts', `/proc/${process.pid}/ns/ipc`), /\/proc\/\d+\/ns\/ipc is a ipc namespace, not uts/);
  refused('netmismatch', swap('network', `/proc/${process.pid}/ns/pid`), /is a pid namespace, not network/);
  refused('nopath', swap('ipc', '/nonexistent/ns'), /ipc path \/nonexistent\/ns: ENOENT/);
  refused('notns', swap('uts', '/etc/passwd'), /is not a namespace/);
  refused('nouts', (s) => {
    s.hostname = 'x';
    s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts');
  }, /hostname is set but linux.namespaces has no uts namespace/);
  refused('mapnouser', (s) => {
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }, /without a user namespace/);
  refused('usernomap', (s) => s.linux.namespaces.push({ type: 'user' }), /uidMappings and linux.gidMappings are required/);
  refused('twice', (s) => s.linux.namespaces.push({ type: 'ipc' }), /ipc is given more than once/);
});

test('features: the namespaces, capabilities and seccomp actions rind honours', () => {
  const f = JSON.parse(rind(env, ['features']).stdout.toString());
  assert.deepEqual([...f.linux.namespaces].sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts']);
  assert.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN') && f.linux.capabilities.includes('CAP_CHECKPOINT_RESTORE'));
  assert.equal(f.linux.seccomp.enabled, true);
  assert.ok(f.linux.seccomp.actions.includes('SCMP_ACT_ERRNO') && !f.linux.seccomp.actions.includes('SCMP_ACT_NOTIFY'));
});
