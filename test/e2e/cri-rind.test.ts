// Kubernetes through containerd's CRI plugin with rind as the runtime handler (containerd's runc shim,
// BinaryName = bin/rind): one microVM per pod, both containers in it, the guest kernel inside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startContainerd, stopContainerd, instanceLeftovers, rindHandler, type Containerd } from './cri/containerd.js';
import { podFlow } from './cri/pod-flow.js';
import { REPO } from './harness.js';

let cd: Containerd | undefined;
const podIds: string[] = [];
const shimPids = new Set<number>();
const guestRelease = readFileSync(join(dirname(realpathSync(join(REPO, 'build', 'vmlinux'))), 'release'), 'utf8').trim();

before(async () => {
  cd = await startContainerd({ handlers: [rindHandler()] });
});
after(async () => {
  if (cd) await stopContainerd(cd);
});

/** QEMU processes whose command line names this pod sandbox's id (its state dir). */
function podVms(podId: string): number {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('/usr/bin/qemu-system') && l.includes(podId)).length;
}

test('CRI with handler rind: the pod runs in ONE VM; both containers see the guest kernel', async () => {
  await podFlow(cd!, 'rind', podIds, shimPids, {
    async inPod(c, { podId, web, client }) {
      assert.equal(podVms(podId), 1, 'one QEMU for the whole pod');
      for (const id of [web, client]) {
        const r = await c.execSync(id, ['uname', '-r'], 10);
        assert.equal(r.exit_code, 0, r.stderr.toString());
        assert.equal(r.stdout.toString().trim(), guestRelease, 'the container runs on the guest kernel, not the host\'s');
      }
    },
  });
  assert.equal(podVms(podIds[0]), 0, 'no VM left after RemovePodSandbox');
});

test('stopping the private containerd leaves nothing of rind on the host', async () => {
  const inst = cd!;
  await stopContainerd(inst);
  cd = undefined;
  assert.deepEqual(instanceLeftovers(inst, podIds), []);
});
