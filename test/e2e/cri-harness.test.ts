// The CRI harness, proven with runc: a private containerd whose CRI plugin is driven the way kubelet
// drives it (pod sandbox, two containers sharing its network, logs, exec, status, teardown), and
// nothing of the instance left afterwards. The same flow is what the `rind` handler will be put through.
import { test, before, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startContainerd, stopContainerd, instanceLeftovers, rindHandler, type Containerd } from './cri/containerd.js';
import { podFlow, until } from './cri/pod-flow.js';

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


test(`CRI with handler ${HANDLER}: a pod of httpd and a client on its network, logs, exec, status, teardown`, { skip }, async () => {
  await podFlow(cd!, HANDLER, podIds, shimPids);
});

test('stopping the private containerd leaves nothing of it on the host', { skip }, async () => {
  const inst = cd!;
  await stopContainerd(inst);
  cd = undefined;
  assert.deepEqual(instanceLeftovers(inst, podIds), []);
  // the shims were daemons reparented to PID 1: wait until it has reaped them (not even zombies left)
  await until('the pod\'s shims to be reaped', 10_000, async () => ([...shimPids].every((pid) => !existsSync(`/proc/${pid}`)) ? true : undefined));
});
