// rindd: the resident half of bin/rind for one --root (and one set of namespaces/credentials).
// Started by the C client (native/client), which holds the root's flock for it on fd 3; runs each CLI call
// as main(argv) with the caller's env, cwd and stdio (daemon/context). It keeps no state of its own:
// everything is on disk, so it may be killed at any moment. Exits after RIND_DAEMON_IDLE_MS without a
// call, when its socket is removed (the root is gone), when its build changes, or on SIGTERM.
import { createServer, type Server, type Socket } from 'node:net';
import { closeSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import { currentCall, runInCall, type CallContext } from './context.js';
import { Session } from './session.js';

const DEFAULT_IDLE_MS = 5 * 60_000;
const WATCH_MS = 2000;

interface Config {
  socket: string;
  readyFd?: number;
  stamp?: string;
  idleMs: number;
}

function config(): Config {
  const socket = process.env.RIND_DAEMON_SOCKET;
  if (!socket?.startsWith('/')) throw new Error('RIND_DAEMON_SOCKET must name the socket (absolute path)');
  const idle = Number(process.env.RIND_DAEMON_IDLE_MS);
  const ready = Number(process.env.RIND_DAEMON_READY_FD);
  return {
    socket,
    readyFd: Number.isInteger(ready) && ready > 2 ? ready : undefined,
    stamp: process.env.RIND_DAEMON_STAMP || undefined,
    idleMs: Number.isFinite(idle) && idle > 0 ? idle : DEFAULT_IDLE_MS,
  };
}

const log = (msg: string): void => void origErr(`${new Date().toISOString()} rindd[${process.pid}]: ${msg}\n`);
let origErr: (s: string) => boolean = (s) => process.stderr.write(s);

/**
 * Everything in src/ that writes to process.stdout/stderr, installs signal handlers or asks
 * process.cwd() does it for the call it runs in: route those through the call's context.
 */
function routeProcessGlobals(): void {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  origErr = (s) => err(s);
  const route = (orig: typeof out, pick: (c: CallContext) => CallContext['out']) =>
    function write(this: unknown, chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      const c = currentCall();
      if (!c) return (orig as (...a: unknown[]) => boolean)(chunk, ...rest);
      pick(c)(chunk);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (cb) queueMicrotask(cb);
      return true;
    };
  process.stdout.write = route(out, (c) => c.out) as typeof process.stdout.write;
  process.stderr.write = route(err, (c) => c.err) as typeof process.stderr.write;
  const cwd = process.cwd.bind(process);
  process.cwd = () => currentCall()?.cwd ?? cwd();
  // a foreground run/exec forwards signals: in the daemon the client that forked the shim does that
  for (const m of ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'] as const) {
    const orig = process[m].bind(process) as (ev: string | symbol, fn: (...a: unknown[]) => void) => NodeJS.Process;
    (process as unknown as Record<string, unknown>)[m] = (ev: string | symbol, fn: (...a: unknown[]) => void) =>
      typeof ev === 'string' && ev.startsWith('SIG') && currentCall() ? process : orig(ev, fn);
  }
}

function identity(path: string | undefined): string {
  if (!path) return '';
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return 'gone';
  }
}

/** dist/src: the compiled modules this daemon runs (and imports lazily). */
const DIST_SRC = dirname(dirname(fileURLToPath(import.meta.url)));

/** The newest mtime (ms) of the files below dir: a build that wrote a module after we started loading ours. */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      newest = Math.max(newest, e.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
    }
  } catch {
    /* a build is replacing it: the next look decides */
  }
  return newest;
}

/** A few throwaway calls load every module a call needs and warm the JIT before the first engine call. */
async function warmUp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rindd-warm-'));
  const call: CallContext = {
    t0: performance.now(), env: {}, cwd: '/', out: () => undefined, err: () => undefined,
    spawn: () => Promise.reject(new Error('no client')),
  };
  try {
    await Promise.all([import('../runtime/container.js'), import('../runtime/exec.js'), import('../cli/info.js')]);
    for (let i = 0; i < 20; i++) {
      await runInCall(call, () => main(['--root', dir, 'list']));
      await runInCall(call, () => main(['--root', dir, 'state', 'warm']));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(): Promise<void> {
  const cfg = config();
  routeProcessGlobals();
  const pidFile = cfg.socket.replace(/\.sock$/, '.pid');
  let active = 0;
  let retiring = false;
  let idleTimer: NodeJS.Timeout | undefined;

  const server: Server = createServer({ allowHalfOpen: false });
  const exitNow = (why: string): never => {
    log(`exiting: ${why}`);
    try {
      if (identity(cfg.socket) === socketId) unlinkSync(cfg.socket);
    } catch {
      /* gone already */
    }
    rmSync(pidFile, { force: true });
    process.exit(0);
  };
  const retire = (why: string): void => {
    if (!retiring) {
      retiring = true;
      log(`retiring: ${why}`);
      server.close();
      try {
        if (identity(cfg.socket) === socketId) unlinkSync(cfg.socket);
      } catch {
        /* gone already */
      }
    }
    if (active === 0) exitNow(why);
  };
  const armIdle = (): void => {
    clearTimeout(idleTimer);
    if (active === 0) idleTimer = setTimeout(() => retire(`idle for ${cfg.idleMs} ms`), cfg.idleMs);
  };

  server.on('connection', (sock: Socket) => {
    if (retiring) return void sock.destroy();
    active++;
    clearTimeout(idleTimer);
    new Session(sock, log).closed.then(() => {
      active--;
      if (retiring) retire('finished the last call');
      else armIdle();
    });
  });
  server.on('error', (e) => {
    log(`server: ${e.message}`);
    process.exit(1);
  });

  // we hold the root's lock (fd 3, from the launcher): any socket file there is a dead daemon's
  rmSync(cfg.socket, { force: true });
  const mask = process.umask(0o177);
  await new Promise<void>((resolve) => server.listen(cfg.socket, resolve));
  process.umask(mask);
  const socketId = identity(cfg.socket);
  writeFileSync(pidFile, `${process.pid}\n`);
  if (cfg.readyFd !== undefined) {
    try {
      writeSync(cfg.readyFd, 'ok\n');
      closeSync(cfg.readyFd);
    } catch {
      /* the launcher gave up waiting: serve anyway */
    }
  }
  const stampId = identity(cfg.stamp);
  log(`serving ${cfg.socket} (idle exit after ${cfg.idleMs} ms)`);
  armIdle();

  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => retire(s));
  process.on('SIGHUP', () => undefined);
  process.on('uncaughtException', (e) => log(`uncaught: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => log(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));
  setInterval(() => {
    if (identity(cfg.socket) !== socketId) retire('its socket was removed or replaced');
    // rebuilt (tsc rewrites the stamp file too), or, in our first minute, started while a build was still
    // writing dist/ (2 ms a look): lazily imported modules would not match the ones we loaded
    else if (identity(cfg.stamp) !== stampId) retire('rind was rebuilt');
    else if (performance.now() < 60_000 && newestMtimeMs(DIST_SRC) > performance.timeOrigin) retire('rind was being rebuilt when it started');
  }, WATCH_MS).unref();

  await warmUp().catch((e: Error) => log(`warm-up: ${e.message}`));
}

run().catch((e: Error) => {
  log(`cannot start: ${e.stack ?? e.message}`);
  process.exit(1);
});
