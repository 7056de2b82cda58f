// Pod members: containers added to a running sandbox's VM (Kubernetes pods, Podman pods, shared netns).
// The member's rootfs and binds go into the VM's share from the host side; its stdio and waitable pid
// are a rind-shim on one of the VM's exec ports. A failed member never harms the pod.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from '../oci/spec.js';
import type { ContainerRecord } from '../oci/state.js';
import { shimBinary, spawnShim, signalShim, vmmPid, type ShimHandle } from '../vmm/shim.js';
import { bindInto, unbindFrom, type NsBind } from '../host/ns-mounts.js';
import { requireCapability, type PreparedContainer } from '../guest/guest.js';
import { RindError } from '../util/errors.js';
import { claimPort, holdPort, releasePort } from './ports.js';
import { waitGone } from '../host/proc.js';
import { timeouts } from '../util/timeouts.js';
import { addMember, removeMember } from './pod.js';
import { sandboxGuest } from './sandbox.js';
import type { RuntimeContext } from './context.js';
import { resolveNamespaceJoins } from './ns-paths.js';

export interface MemberRequest {
  id: string;
  sandbox: string;
  bundle: Bundle;
  terminal: boolean;
  consoleSocket?: string;
  /** foreground `run`: keep the shim in our session */
  foreground?: boolean;
}

/** The sandbox a member joins, alive and in this root, or one clear line. */
function liveSandbox(ctx: RuntimeContext, id: string, sandbox: string) {
  const rec = ctx.store.tryRead(sandbox);
  if (!rec || rec.sandbox !== sandbox) throw new RindError(`container ${id}: sandbox ${sandbox} does not exist under ${ctx.store.root}`);
  const status = ctx.store.status(rec);
  if (status === 'stopped') throw new RindError(`container ${id}: sandbox ${sandbox} is stopped`);
  const sb = sandboxGuest(ctx, sandbox);
  requireCapability(sb.guest, 'pods', 'a second container in the VM');
  const pid = vmmPid(ctx.store.dir(sandbox));
  if (!pid) throw new RindError(`container ${id}: sandbox ${sandbox} has no running VM`);
  return { ...sb, vmm: pid };
}

function shareBinds(ctx: RuntimeContext, sandbox: string, c: PreparedContainer): NsBind[] {
  return c.binds.map((b) => ({ ...b, target: join(ctx.store.dir(sandbox), 'share', b.target) }));
}

/** Creates a member in its sandbox's VM; the caller holds the member's lock and has reserved its dir. */
export async function createMember(ctx: RuntimeContext, rec: ContainerRecord, r: MemberRequest): Promise<ShimHandle> {
  const sb = liveSandbox(ctx, r.id, r.sandbox);
  const prepared = sb.guest.prepareMember(r.bundle.spec, r.bundle.dir, r.bundle.rootfs, r.id, resolveNamespaceJoins(ctx, r.bundle.spec, r.sandbox));
  if (prepared.notes?.length) ctx.log.warn(`not applied in the VM: ${prepared.notes.join('; ')}`, { id: r.id });
  const binds = shareBinds(ctx, r.sandbox, prepared);
  addMember(ctx, r.sandbox, r.id);
  ctx.store.write(Object.assign(rec, { binds: binds.map((b) => b.target) }));
  bindInto(shimBinary(), sb.vmm, binds);
  const { port, dir } = claimPort(ctx, r.sandbox, sb.guest.execPorts, `container ${r.id}`);
  rec.port = port;
  ctx.store.write(rec);
  // the member's waitable pid shows the member's rootfs from the host (podman cp, nsenter -t PID -m)
  const args = ['--exec-socket', ctx.store.path(r.sandbox, `exec${port}.sock`), '--state', ctx.store.dir(r.id), '--ready-fd', '3', '--shim-root', r.bundle.rootfs];
  if (r.terminal) args.push(...(r.consoleSocket ? ['--console-socket', r.consoleSocket] : ['--tty']));
  const h = await spawnShim(shimBinary(), args, {
    keepRef: Boolean(r.foreground), stateDir: ctx.store.dir(r.id), what: `the shim of container ${r.id}`,
    onSpawn: (pid, st) => {
      holdPort(dir, pid);
      ctx.store.write(Object.assign(rec, { shimPid: pid, shimStartTime: st }));
    },
  });
  await sb.guest.createMember(sb.ch, r.id, port, prepared);
  return h;
}

/** Takes a member out of its VM (if the VM still runs) and the host: its shim first (that frees its port in
 * the guest), then its guest state, binds, port claim and host state. */
export async function removeMemberTraces(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  const sandbox = rec.sandbox;
  const dir = ctx.store.dir(sandbox);
  const pid = vmmPid(dir);
  if (signalShim(rec.shimPid, rec.shimStartTime, 9)) await waitGone(rec.shimPid, rec.shimStartTime, timeouts.stopMs);
  try {
    const sb = sandboxGuest(ctx, sandbox);
    if (sb.ch.alive()) await sb.guest.removeMember(sb.ch, rec.id).catch((e: Error) => ctx.log.warn(`guest: ${e.message}`, { id: rec.id }));
  } catch {
    /* the sandbox is gone: nothing of the member is left in a VM */
  }
  if (pid) unbindFrom(shimBinary(), pid, rec.binds ?? []);
  rmSync(join(dir, 'share', 'c', rec.id), { recursive: true, force: true }); // mount points only: the binds live in the VM's namespace
  if (rec.port !== undefined) releasePort(ctx, sandbox, rec.port);
  removeMember(ctx, sandbox, rec.id);
}
