// End-to-end with the real engines: Podman (conmon) and containerd (runc shim) driving bin/rind.
// Private storage, config, network and daemon per run; everything is removed afterwards.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, symlinkSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { RIND, REPO, waitFor } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'rind-engines-'));
const IMAGE = 'localhost/rindbb:latest';
const NET = 'rindengines';
const SUBNET = '10.216.0.0/24';
const PORT = 18917;

function sh(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { input: opts.input ?? '', timeout: opts.timeoutMs ?? 180_000, env: opts.env ?? process.env });
  return { status: r.status, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

/** A busybox rootfs tarball (no registry here: images are imported). */
function rootfsTar(): string {
  const tar = join(work, 'rootfs.tar');
  if (existsSync(tar)) return tar;
  const root = join(work, 'rootfs');
  for (const d of ['bin', 'etc', 'www', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  for (const a of ['sh', 'echo', 'cat', 'sleep', 'httpd', 'id', 'pwd', 'env', 'true', 'false', 'ps', 'top', 'hostname', 'wc', 'date'])
    symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'www', 'index.html'), 'hello from a microVM\n');
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
  assert.equal(sh('tar', ['-C', root, '-cf', tar, '.']).status, 0);
  return tar;
}

describe('podman --runtime rind', () => {
  const conf = join(work, 'containers.conf');
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const base = ['--root', join(work, 'pm-root'), '--runroot', join(work, 'pm-run'), '--storage-driver', 'vfs', '--runtime', RIND];
  const podman = (...args: string[]) => sh('podman', [...base, ...args], { env });

  before(() => {
    writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
    assert.equal(podman('import', rootfsTar(), IMAGE).status, 0);
    podman('network', 'rm', '-f', NET);
    const n = podman('network', 'create', '--subnet', SUBNET, NET);
    assert.equal(n.status, 0, n.stderr);
  });
  after(() => {
    podman('rm', '-a', '-f', '-t', '0');
    podman('network', 'rm', '-f', NET);
    podman('rmi', '-a', '-f');
    sh('umount', ['-R', join(work, 'pm-run')]);
  });

  test('run --rm prints and passes exit codes', () => {
    const r = podman('run', '--rm', '--network', 'none', IMAGE, 'echo', 'hi');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(podman('run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'exit 3').status, 3);
  });

  test('run -d -p: the published port answers; logs; exec', async () => {
    const r = podman('run', '-d', '--name', 'web', '--network', NET, '-p', `127.0.0.1:${PORT}:8080`, IMAGE, 'httpd', '-f', '-v', '-p', '8080', '-h', '/www');
    assert.equal(r.status, 0, r.stderr);
    let body = '';
    await waitFor(() => {
      const c = sh('curl', ['-s', '-m', '2', `http://127.0.0.1:${PORT}/`]);
      body = c.stdout;
      return c.status === 0;
    }, 90_000);
    assert.equal(body, 'hello from a microVM\n');
    const e = podman('exec', '-e', 'X=42', '-w', '/www', 'web', 'sh', '-c', 'echo $X; pwd; cat index.html');
    assert.equal(e.status, 0, e.stderr);
    assert.equal(e.stdout, '42\n/www\nhello from a microVM\n');
    const u = podman('exec', '-u', '65534', 'web', 'id', '-u');
    assert.equal(u.stdout.trim(), '65534', u.stderr);
    assert.equal(podman('exec', 'web', 'sh', '-c', 'exit 5').status, 5);
    // -it: conmon hands rind a console socket; `script` gives podman the terminal it wants
    const it = sh('script', ['-qec', ['podman', ...base, 'exec', '-it', 'web', 'sh', '-c', "'tty; exit 3'"].join(' '), '/dev/null'], { env });
    assert.match(it.stdout, /\/dev\/pts\/\d+/, it.stderr);
    assert.equal(it.status, 3);
    const ps = podman('ps', '--filter', 'name=web', '--format', '{{.Names}} {{.Status}}');
    assert.match(ps.stdout, /^web Up/m, ps.stderr);
    assert.equal(podman('inspect', 'web', '--format', '{{.State.Status}}').stdout.trim(), 'running');
    assert.equal(podman('rm', '-f', 'web').status, 0);
  });

  test('stop sends SIGTERM (143 from a PID 1 that traps it); kill -s; pause really stops the VM', async () => {
    const r = podman('run', '-d', '--name', 'talker', '--network', 'none', IMAGE, 'sh', '-c', 'trap "exit 143" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done');
    assert.equal(r.status, 0, r.stderr);
    await waitFor(() => podman('logs', 'talker').stdout.includes('tick 2'), 60_000);
    assert.equal(podman('pause', 'talker').status, 0);
    assert.equal(podman('inspect', 'talker', '--format', '{{.State.Status}}').stdout.trim(), 'paused');
    const n1 = podman('logs', 'talker').stdout.split('\n').length;
    await new Promise((res) => setTimeout(res, 2000));
    const n2 = podman('logs', 'talker').stdout.split('\n').length;
    assert.equal(n2, n1, 'a paused container must not make progress');
    assert.equal(podman('unpause', 'talker').status, 0);
    await waitFor(() => podman('logs', 'talker').stdout.split('\n').length > n2 + 2, 30_000);
    assert.equal(podman('stop', '-t', '10', 'talker').status, 0);
    assert.equal(podman('inspect', 'talker', '--format', '{{.State.ExitCode}}').stdout.trim(), '143');
    assert.equal(podman('rm', 'talker').status, 0);

    assert.equal(podman('run', '-d', '--name', 'killme', '--network', 'none', IMAGE, 'sleep', '1000').status, 0);
    assert.equal(podman('kill', '-s', 'KILL', 'killme').status, 0);
    await waitFor(() => podman('inspect', 'killme', '--format', '{{.State.Status}}').stdout.trim() === 'exited', 30_000);
    assert.equal(podman('inspect', 'killme', '--format', '{{.State.ExitCode}}').stdout.trim(), '137');
    assert.equal(podman('rm', '-f', 'killme').status, 0);
  });

  test('restart policy on-failure restarts the container', async () => {
    const r = podman('run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', '--network', 'none', IMAGE, 'sh', '-c', 'date; exit 1');
    assert.equal(r.status, 0, r.stderr);
    await waitFor(() => Number(podman('inspect', 'flaky', '--format', '{{.RestartCount}}').stdout.trim()) >= 1, 120_000);
    assert.equal(podman('rm', '-f', 'flaky').status, 0);
  });

  test('podman cp into and out of a running container reaches the container, never the host', () => {
    assert.equal(podman('run', '-d', '--name', 'cpme', '--network', 'none', IMAGE, 'sleep', '1000').status, 0);
    const hostFile = join(work, 'cp-in.txt');
    writeFileSync(hostFile, 'copied in\n');
    const marker = `/tmp/rind-cp-${process.pid}`;
    const cin = podman('cp', hostFile, `cpme:${marker}`);
    assert.equal(cin.status, 0, cin.stderr);
    assert.ok(!existsSync(marker), 'podman cp wrote into the host filesystem');
    assert.equal(podman('exec', 'cpme', 'cat', marker).stdout, 'copied in\n', 'the file is inside the container');
    assert.equal(podman('exec', 'cpme', 'sh', '-c', 'echo from-guest > /tmp/out.txt').status, 0);
    const out = join(work, 'cp-out.txt');
    const cout = podman('cp', 'cpme:/tmp/out.txt', out);
    assert.equal(cout.status, 0, cout.stderr);
    assert.equal(readFileSync(out, 'utf8'), 'from-guest\n');
    assert.notEqual(podman('cp', 'cpme:/etc/shadow', join(work, 'shadow')).status, 0, 'the host\'s /etc/shadow is not the container\'s');
    assert.equal(podman('rm', '-f', 'cpme').status, 0);
  });

  test('a unikernel image: run -d -p answers on the published port; exec is refused clearly', async () => {
    const root = join(work, 'uk-rootfs');
    mkdirSync(root, { recursive: true });
    copyFileSync(join(REPO, 'build', 'unikernels', 'web'), join(root, 'web'));
    const tar = join(work, 'uk.tar');
    assert.equal(sh('tar', ['-C', root, '-cf', tar, '.']).status, 0);
    assert.equal(podman('import', tar, 'localhost/rindweb:latest').status, 0);
    const r = podman('run', '-d', '--name', 'ukweb', '--annotation', 'io.rind.guest=unikernel', '--network', NET, '-p', `127.0.0.1:${PORT + 1}:8080`, 'localhost/rindweb:latest', '/web');
    assert.equal(r.status, 0, r.stderr);
    let body = '';
    await waitFor(() => {
      const c = sh('curl', ['-s', '-m', '2', `http://127.0.0.1:${PORT + 1}/`]);
      body = c.stdout;
      return c.status === 0;
    }, 60_000);
    assert.match(body, /hello from rind web unikernel/);
    const e = podman('exec', 'ukweb', '/bin/true');
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, /not supported for unikernel containers/);
    assert.equal(podman('stop', '-t', '5', 'ukweb').status, 0);
    assert.equal(podman('inspect', 'ukweb', '--format', '{{.State.ExitCode}}').stdout.trim(), '143');
    assert.equal(podman('rm', '-f', 'ukweb').status, 0);
  });

  test('a pod: one VM for the infra and two containers, localhost between them, the published port', async () => {
    const pod = podman('pod', 'create', '--name', 'rpod', '--network', NET, '-p', `127.0.0.1:${PORT + 2}:8080`);
    assert.equal(pod.status, 0, pod.stderr);
    assert.equal(podman('run', '-d', '--pod', 'rpod', '--name', 'pweb', IMAGE, 'httpd', '-f', '-p', '8080', '-h', '/www').status, 0);
    await waitFor(() => sh('curl', ['-s', '-m', '2', `http://127.0.0.1:${PORT + 2}/`]).status === 0, 90_000);
    const client = podman('run', '--rm', '--pod', 'rpod', IMAGE, 'sh', '-c', 'for i in 1 2 3 4 5; do wget -qO- http://127.0.0.1:8080/ && exit 0; sleep 1; done; exit 1');
    assert.equal(client.status, 0, client.stderr);
    assert.equal(client.stdout, 'hello from a microVM\n');
    const infra = podman('pod', 'inspect', 'rpod', '--format', '{{.InfraContainerID}}').stdout.trim();
    const vms = sh('ps', ['-eo', 'args']).stdout.split('\n').filter((l) => l.startsWith('/usr/bin/qemu-system') && l.includes(infra)).length;
    assert.equal(vms, 1, 'the pod runs in the infra container\'s one VM');
    assert.equal(podman('pod', 'stop', '-t', '2', 'rpod').status, 0);
    assert.equal(podman('pod', 'rm', '-f', 'rpod').status, 0);
    const left = sh('ps', ['-eo', 'args']).stdout.split('\n').filter((l) => l.startsWith('/usr/bin/qemu-system') && l.includes(infra));
    assert.deepEqual(left, []);
  });

  test('after podman rm, nothing of rind is left under /run/rind', () => {
    assert.equal(podman('rm', '-a', '-f', '-t', '0').status, 0);
    const left = existsSync('/run/rind') ? readdirSync('/run/rind').filter((d) => !d.startsWith('.')) : [];
    assert.deepEqual(left.filter((d) => d.length === 64), []);
  });
});

describe('containerd (ctr, runc shim with --runc-binary rind)', () => {
  const dir = join(work, 'ctd');
  const sock = join(dir, 'containerd.sock');
  let daemon: ChildProcess | undefined;
  const ctr = (...args: string[]) => sh('ctr', ['-a', sock, '-n', 'rindtest', ...args]);

  before(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.toml'), `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${sock}"\n`);
    daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
    await waitFor(() => existsSync(sock), 30_000);
    const conf = join(work, 'containers.conf');
    const pm = ['--root', join(work, 'pm-root'), '--runroot', join(work, 'pm-run'), '--storage-driver', 'vfs'];
    const env = { ...process.env, CONTAINERS_CONF: conf };
    writeFileSync(conf, '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
    sh('podman', [...pm, 'import', rootfsTar(), IMAGE], { env });
    const archive = join(dir, 'image.tar');
    assert.equal(sh('podman', [...pm, 'save', '--format', 'oci-archive', '-o', archive, IMAGE], { env }).status, 0);
    sh('podman', [...pm, 'rmi', '-a', '-f'], { env });
    const i = ctr('image', 'import', '--base-name', 'localhost/rindbb', archive);
    assert.equal(i.status, 0, i.stderr);
  });
  after(async () => {
    for (const t of ['c-detached', 'c-rm']) {
      ctr('task', 'kill', '-s', 'KILL', t);
      ctr('task', 'delete', '-f', t);
      ctr('container', 'delete', t);
    }
    ctr('image', 'rm', IMAGE);
    daemon?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    sh('umount', ['-R', dir]);
    rmSync(work, { recursive: true, force: true });
  });

  test('ctr run --rm passes output and the exit code', () => {
    const r = ctr('run', '--runc-binary', RIND, '--rm', IMAGE, 'c-rm', 'sh', '-c', 'echo hi from ctr; exit 7');
    assert.equal(r.stdout, 'hi from ctr\n', r.stderr);
    assert.equal(r.status, 7);
  });

  test('detached task: exec, ps, pause/resume, kill, delete', async () => {
    const r = ctr('run', '--runc-binary', RIND, '-d', IMAGE, 'c-detached', 'sleep', '1000');
    assert.equal(r.status, 0, r.stderr);
    const e = ctr('task', 'exec', '--exec-id', 'e1', 'c-detached', 'sh', '-c', 'echo in-vm; exit 4');
    assert.equal(e.stdout, 'in-vm\n', e.stderr);
    assert.equal(e.status, 4);
    const ps = ctr('task', 'ps', 'c-detached');
    assert.equal(ps.status, 0, ps.stderr);
    assert.match(ps.stdout, /PID/);
    const pause = ctr('task', 'pause', 'c-detached');
    assert.equal(pause.status, 0, pause.stderr);
    assert.match(ctr('task', 'ls').stdout, /c-detached\s+\d+\s+PAUSED/);
    const resume = ctr('task', 'resume', 'c-detached');
    assert.equal(resume.status, 0, resume.stderr);
    const kill = ctr('task', 'kill', '-s', 'KILL', 'c-detached');
    assert.equal(kill.status, 0, kill.stderr);
    await waitFor(() => /c-detached\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout), 30_000);
    const del = ctr('task', 'delete', 'c-detached');
    assert.equal(del.status, 0, del.stderr);
    const cdel = ctr('container', 'delete', 'c-detached');
    assert.equal(cdel.status, 0, cdel.stderr);
  });
});
