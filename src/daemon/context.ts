// The per-call context: whose environment, working directory and stdio a CLI call has.
// A leaf (imports nothing of rind): util/env, util/log, cli and vmm/shim ask it; outside the daemon there is none.
import { AsyncLocalStorage } from 'node:async_hooks';
import { isAbsolute, resolve } from 'node:path';

/** A rind-shim the caller's client forked with its own stdio (the engine's), in its own session. */
export interface ClientChild {
  pid: number;
  /** everything the shim wrote on its ready fd until it closed it */
  ready: Promise<string>;
  /** exit code, 128 when killed by a signal, null when the client went away first (never settles then) */
  exited: Promise<number | null>;
}

export interface CallContext {
  /** performance.now() when the daemon took the call (a CLI process starts at 0) */
  t0: number;
  env: Readonly<Record<string, string | undefined>>;
  /** the caller's working directory (absolute) */
  cwd: string;
  out(chunk: string | Uint8Array): void;
  err(chunk: string | Uint8Array): void;
  /**
   * Asks the caller's client to fork and exec `file` with `args`; `forwardSignals`: the client passes
   * on the signals a foreground run/exec forwards. Rejects when the fork fails or the client is gone.
   */
  spawn(file: string, args: string[], opts: { forwardSignals: boolean }): Promise<ClientChild>;
}

const calls = new AsyncLocalStorage<CallContext>();

/** The call this code runs for, when it runs in the daemon. */
export function currentCall(): CallContext | undefined {
  return calls.getStore();
}

export function runInCall<T>(call: CallContext, fn: () => T): T {
  return calls.run(call, fn);
}

/** The environment of this call (the caller's, in the daemon). */
export function callEnv(): Readonly<Record<string, string | undefined>> {
  return calls.getStore()?.env ?? process.env;
}

/** Milliseconds since this call began (in the Node CLI: since the process started). */
export function callUptimeMs(): number {
  return performance.now() - (calls.getStore()?.t0 ?? 0);
}

export function callCwd(): string {
  return calls.getStore()?.cwd ?? process.cwd();
}

/** A path from the command line or the environment, made absolute against the caller's cwd. */
export function callPath(p: string): string;
export function callPath(p: string | undefined): string | undefined;
export function callPath(p: string | undefined): string | undefined {
  if (p === undefined || p === '') return p;
  return isAbsolute(p) ? p : resolve(callCwd(), p);
}

export function writeOut(s: string | Uint8Array): void {
  const c = calls.getStore();
  if (c) c.out(s);
  else process.stdout.write(s);
}

export function writeErr(s: string | Uint8Array): void {
  const c = calls.getStore();
  if (c) c.err(s);
  else process.stderr.write(s);
}
