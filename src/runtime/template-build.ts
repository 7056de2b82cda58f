// Which template a sandbox's VM is cloned from, and how one is built: boot the guest through
// rind-shim, wait until it is ready, snapshot it with the VMM. Policy (when not to clone) lives here too.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnableSpec } from '../oci/spec.js';
import type { GuestKind, VmShape } from '../guest/guest.js';
import type { Vmm } from '../vmm/vmm.js';
import { shimBinary, startVmm, stopVmm } from '../vmm/shim.js';
import { jailFor, sharedJailUid } from '../vmm/jail.js';
import { ensureTemplate, templateKey, type Built, type Template } from './templates.js';
import { fileIdentity } from '../util/fs.js';
import { rindEnv } from '../util/env.js';
import { timeouts, within } from '../util/timeouts.js';
import { isAlive } from '../host/proc.js';
import type { RuntimeContext } from './context.js';

export interface TemplateInputs {
  guest: GuestKind;
  vmm: Vmm;
  shape: VmShape;
  /** the creating container's host cgroups: a template build is accounted to it */
  cgroupProcs: string[];
}

/** Templates are on by default; RIND_TEMPLATES=0 or the annotation io.rind.boot=plain opt out. */
export function wantsTemplate(spec: RunnableSpec, t: TemplateInputs): boolean {
  if (!rindEnv.templates() || spec.annotations?.['io.rind.boot'] === 'plain') return false;
  return t.guest.capabilities.templates && t.vmm.capabilities.snapshot;
}

/** The template for this VM shape, or undefined (with one warning) when none can be had. */
export async function templateFor(ctx: RuntimeContext, spec: RunnableSpec, t: TemplateInputs): Promise<Template | undefined> {
  if (!wantsTemplate(spec, t)) return undefined;
  try {
    const plan = t.guest.plan(t.shape, { template: { dir: '@DIR@' } });
    const files = [plan.boot?.kernel, plan.boot?.initramfs, t.vmm.binary()].filter((f): f is string => Boolean(f));
    const key = templateKey(t.vmm.argv(plan), files.map(fileIdentity));
    return await ensureTemplate(key, (dir) => buildTemplate(t, dir));
  } catch (e) {
    ctx.log.warn(`no VM template: ${(e as Error).message}; booting normally`);
    return undefined;
  }
}

async function buildTemplate(t: TemplateInputs, dir: string): Promise<Built> {
  mkdirSync(join(dir, 'share'), { recursive: true });
  const plan = t.guest.plan(t.shape, { template: { dir } });
  const logFd = openSync(join(dir, 'vmm.log'), 'a');
  const t0 = Date.now();
  const req = { shim: shimBinary(), binary: t.vmm.binary(), argv: t.vmm.argv(plan), stateDir: dir, vmmOnly: true, stdio: logFd, cgroupProcs: t.cgroupProcs, jail: jailFor(plan, sharedJailUid()) };
  const h = await startVmm(req, true, 'the template VM').finally(() => closeSync(logFd));
  try {
    const ch = { stateDir: dir, alive: () => isAlive(h.pid, h.startTime), resume: () => t.vmm.resume(dir), stopOnSignal: () => undefined };
    const ready = await t.guest.ready(ch, Date.now() + timeouts.bootMs(plan.accel), h.exited);
    ready.close();
    const bootMs = Date.now() - t0;
    await t.vmm.snapshot(dir, join(dir, 'state'), timeouts.snapshotMs);
    await within(h.exited, timeouts.snapshotMs, 'the template VM did not quit after its snapshot');
    return { memMiB: plan.memMiB, bootMs };
  } catch (e) {
    await stopVmm(dir, h.pid, h.startTime);
    throw e;
  }
}
