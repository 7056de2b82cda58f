// The CRI harness, proven with runc: a private containerd whose CRI plugin is driven the way kubelet
// drives it (pod sandbox, two containers sharing its network, logs, exec, status, teardown), and
// nothing of the instance left afterwards. The same flow is what the `rind` handler will be put through.
import { test, before, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startContainerd, stopContainerd, podLeftovers, instanceLeftovers, rindHandler, shims, type Containerd } from './cri/containerd.js';
import { podSandboxConfig, containerConfig, criLogText, parseCriLog } from './cri/kubelet.js';
import { BUSYBOX_IMAGE, WWW_INDEX } from './cri/image.js';

// RIND_CRI_HANDLER=rind puts rind (<repo>/bin/rind behind containerd's runc shim) through the same flow.
const HANDLER = process.env.RIND_CRI_HANDLER ?? 'runc';
const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc'].filter((b) => spawnSync(b, ['--version']).error);
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length ? `not installed: ${missing.join(', ')}` : false;
let cd: Containerd | undefined;
const podIds: string[] = [];
const shimPids = new Set<number>();

before(async () => {
  if (!skip) cd = await startContainerd({ handlers: HANDLER === 'runc' ? [] : [HANDLER === 'rind' ? rindHandler() : { name: HANDLER }] });
});

after(async () => {
  if (cd) await stopContainerd(cd); // idempotent: the last test already did it when all went well
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(100);
  }
}

async function httpGet(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  assert.equal(r.status, 200);
  return r.text();
}

test(`CRI with handler ${HANDLER}: a pod of httpd and a client on its network, logs, exec, status, teardown`, { skip }, async () => {
  const c = cd!.client;
  const v = await c.version();
  assert.equal(v.runtime_name, 'containerd');
  assert.equal(v.runtime_api_version, 'v1');

  const pod = podSandboxConfig(cd!, { name: 'web', namespace: 'rind-test' });
  const podId = await c.runPodSandbox(pod, HANDLER);
  podIds.push(podId);
  const ps = (await c.podSandboxStatus(podId)).status;
  assert.equal(ps.state, 'SANDBOX_READY');
  assert.equal(ps.runtime_handler, HANDLER);
  assert.equal(ps.metadata.uid, pod.metadata.uid);
  const ip = ps.network?.ip ?? '';
  assert.match(ip, new RegExp(`^${cd!.net.gateway.replace(/\.\d+$/, '').replace(/\./g, '\\.')}\\.\\d+$`), `pod IP ${ip} in ${cd!.net.subnet}`);
  assert.ok((await c.listPodSandbox({ id: podId })).some((p) => p.id === podId && p.state === 'SANDBOX_READY'));

  const web = await c.createContainer(podId, containerConfig(pod, { name: 'httpd', image: BUSYBOX_IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'] }), pod);
  // the client fetches the page over the pod's loopback, then waits for the test to exec into it
  const clientCmd = 'sleep 1; wget -qO- http://127.0.0.1:8080/; while [ ! -e /tmp/done ]; do sleep 0.1; done';
  const client = await c.createContainer(podId, containerConfig(pod, { name: 'client', image: BUSYBOX_IMAGE, command: ['sh', '-c', clientCmd] }), pod);
  assert.equal((await c.containerStatus(web)).status.state, 'CONTAINER_CREATED');
  await c.startContainer(web);
  await c.startContainer(client);
  assert.equal((await c.containerStatus(web)).status.state, 'CONTAINER_RUNNING');
  for (const s of shims(cd!)) shimPids.add(s.pid);
  assert.ok(shimPids.size > 0, 'a containerd-shim-runc-v2 of this instance runs the pod');

  // the client's log: CRI format under the pod's log directory, holding the page
  const logPath = join(pod.log_directory!, 'client', '0.log');
  assert.equal((await c.containerStatus(client)).status.log_path, logPath);
  await until('the page in the client log', 15_000, async () => (existsSync(logPath) && criLogText(logPath).includes(WWW_INDEX) ? true : undefined));
  const lines = parseCriLog(readFileSync(logPath, 'utf8'));
  assert.deepEqual(lines.map((l) => [l.stream, l.tag, l.text]), [['stdout', 'F', WWW_INDEX.trimEnd()]]);

  // the host reaches httpd on the pod IP (through the CNI bridge)
  assert.equal(await httpGet(`http://${ip}:8080/`), WWW_INDEX);

  // ExecSync into each: stdout, stderr and exit codes come back; both share the pod's network and UTS
  let r = await c.execSync(web, ['sh', '-c', 'hostname; wget -qO- http://127.0.0.1:8080/; echo oops >&2; exit 7'], 10);
  assert.equal(r.exit_code, 7);
  assert.equal(r.stdout.toString(), `web\n${WWW_INDEX}`);
  assert.equal(r.stderr.toString(), 'oops\n');
  r = await c.execSync(client, ['sh', '-c', `ip -4 -o addr show eth0 | grep -q ' ${ip}/' && hostname && touch /tmp/done`], 10);
  assert.equal(r.exit_code, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), 'web\n');

  // the client finishes on its own: exited 0
  const st = await until('the client to exit', 15_000, async () => {
    const s = (await c.containerStatus(client)).status;
    return s.state === 'CONTAINER_EXITED' ? s : undefined;
  });
  assert.equal(st.exit_code, 0);
  assert.equal(st.reason, 'Completed');
  assert.ok(BigInt(st.finished_at) > BigInt(st.started_at));
  const listed = await c.listContainers({ pod_sandbox_id: podId });
  assert.deepEqual(listed.map((x) => [x.metadata.name, x.state]).sort(), [['client', 'CONTAINER_EXITED'], ['httpd', 'CONTAINER_RUNNING']]);

  // teardown as kubelet does it: stop the pod (kills httpd, releases the IP), then remove it
  await c.stopPodSandbox(podId);
  assert.equal((await c.podSandboxStatus(podId)).status.state, 'SANDBOX_NOTREADY');
  assert.equal((await c.containerStatus(web)).status.state, 'CONTAINER_EXITED');
  await c.stopPodSandbox(podId); // idempotent, as kubelet relies on
  await c.removePodSandbox(podId);
  await c.removePodSandbox(podId);
  assert.deepEqual(await c.listPodSandbox(), []);
  assert.deepEqual(await c.listContainers(), []);
  await until('no shim, netns, bridge port or IP of the pod left', 10_000, async () => (podLeftovers(cd!, podIds).length === 0 ? true : undefined)).catch((e) => {
    throw new Error(`${e.message}:\n  ${podLeftovers(cd!, podIds).join('\n  ')}`);
  });
});

test('stopping the private containerd leaves nothing of it on the host', { skip }, async () => {
  const inst = cd!;
  await stopContainerd(inst);
  cd = undefined;
  assert.deepEqual(instanceLeftovers(inst, podIds), []);
  // the shims were daemons reparented to PID 1: wait until it has reaped them (not even zombies left)
  await until('the pod\'s shims to be reaped', 10_000, async () => ([...shimPids].every((pid) => !existsSync(`/proc/${pid}`)) ? true : undefined));
});
