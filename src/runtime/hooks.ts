// OCI lifecycle hooks (runtime-spec config.md "POSIX-platform Hooks") run on the host with the
// container's state on stdin. createContainer/startContainer would run in the container's namespaces:
// a VM has none on the host, so rind runs them on the host too, and says so (docs/design.md).
import { spawn } from 'node:child_process';
import type { HookSpec, HooksSpec } from '../oci/spec-schema.js';
import { RindError } from '../util/errors.js';
import type { RuntimeContext } from './context.js';

export type HookPoint = keyof HooksSpec;
/** The points whose failure fails the operation; the others are logged as warnings (runtime.md). */
const FATAL: ReadonlySet<HookPoint> = new Set(['prestart', 'createRuntime', 'createContainer', 'startContainer']);
/** Points defined to run in the container's namespaces: rind runs them on the host. */
const IN_CONTAINER: ReadonlySet<HookPoint> = new Set(['createContainer', 'startContainer']);

export interface HookState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations: Record<string, string>;
}

function runOne(h: HookSpec, state: HookState): Promise<void> {
  return new Promise((resolve, reject) => {
    const [argv0, ...rest] = h.args?.length ? h.args : [h.path];
    const child = spawn(h.path, rest, { argv0, env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])), stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const timer = h.timeout ? setTimeout(() => child.kill('SIGKILL'), h.timeout * 1000) : undefined;
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-300)));
    child.stdin.on('error', () => undefined); // a hook need not read its stdin
    child.stdin.end(JSON.stringify(state));
    child.once('error', (e) => reject(new Error(e.message)));
    child.once('exit', (code, sig) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(sig ? (sig === 'SIGKILL' && h.timeout ? `timed out after ${h.timeout} s` : `killed by ${sig}`) : `exit status ${code}${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}`));
    });
  });
}

/** Runs the hooks of one point in order; a failure of a fatal point throws one line naming the hook. */
export async function runHooks(ctx: RuntimeContext, hooks: HooksSpec | undefined, point: HookPoint, state: HookState): Promise<void> {
  const list = hooks?.[point] ?? [];
  if (list.length && IN_CONTAINER.has(point)) ctx.log.debug(`${point} hooks run on the host: a VM's namespaces are not on the host`, { id: state.id });
  for (const [i, h] of list.entries()) {
    try {
      await runOne(h, { ...state });
    } catch (e) {
      const msg = `${point} hook ${i} (${h.path}) failed: ${(e as Error).message}`;
      if (FATAL.has(point)) throw new RindError(msg);
      ctx.log.warn(msg, { id: state.id });
    }
  }
}
