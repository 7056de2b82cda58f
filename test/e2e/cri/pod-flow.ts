// The kubelet-style pod flow the CRI tests put each handler through: a pod of httpd and a client on
// its network, logs, exec, status, teardown, nothing left. `inPod` adds a handler's own checks.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { podLeftovers, shims, type Containerd } from './containerd.js';
import { podSandboxConfig, containerConfig, criLogText, parseCriLog } from './kubelet.js';
import { BUSYBOX_IMAGE, WWW_INDEX } from './image.js';
import type { CriClient } from './client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
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

export interface PodFlowHooks {
  /** runs while both containers run: the handler's own checks (e.g. one VM for the pod) */
  inPod?: (c: CriClient, ids: { podId: string; web: string; client: string }) => Promise<void>;
}

export async function podFlow(cd: Containerd, HANDLER: string, podIds: string[], shimPids: Set<number>, hooks: PodFlowHooks = {}): Promise<void> {
  const c = cd.client;
  const v = await c.version();
  assert.equal(v.runtime_name, 'containerd');
  assert.equal(v.runtime_api_version, 'v1');

  const pod = podSandboxConfig(cd, { name: 'web', namespace: 'rind-test' });
  const podId = await c.runPodSandbox(pod, HANDLER);
  podIds.push(podId);
  const ps = (await c.podSandboxStatus(podId)).status;
  assert.equal(ps.state, 'SANDBOX_READY');
  assert.equal(ps.runtime_handler, HANDLER);
  assert.equal(ps.metadata.uid, pod.metadata.uid);
  const ip = ps.network?.ip ?? '';
  assert.match(ip, new RegExp(`^${cd.net.gateway.replace(/\.\d+$/, '').replace(/\./g, '\\.')}\\.\\d+$`), `pod IP ${ip} in ${cd.net.subnet}`);
  assert.ok((await c.listPodSandbox({ id: podId })).some((p) => p.id === podId && p.state === 'SANDBOX_READY'));

  const web = await c.createContainer(podId, containerConfig(pod, { name: 'httpd', image: BUSYBOX_IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'] }), pod);
  // the client fetches the page over the pod's loopback, then waits for the test to exec into it
  const clientCmd = 'sleep 1; wget -qO- http://127.0.0.1:8080/; while [ ! -e /tmp/done ]; do sleep 0.1; done';
  const client = await c.createContainer(podId, containerConfig(pod, { name: 'client', image: BUSYBOX_IMAGE, command: ['sh', '-c', clientCmd] }), pod);
  assert.equal((await c.containerStatus(web)).status.state, 'CONTAINER_CREATED');
  await c.startContainer(web);
  await c.startContainer(client);
  assert.equal((await c.containerStatus(web)).status.state, 'CONTAINER_RUNNING');
  for (const s of shims(cd)) shimPids.add(s.pid);
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
  await hooks.inPod?.(c, { podId, web, client });
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
  await until('no shim, netns, bridge port or IP of the pod left', 10_000, async () => (podLeftovers(cd, podIds).length === 0 ? true : undefined)).catch((e) => {
    throw new Error(`${e.message}:\n  ${podLeftovers(cd, podIds).join('\n  ')}`);
  });
}
