// A sandbox's exec ports (host<->guest channels for exec sessions and pod members): claimed atomically
// by mkdir, held while the claiming shim lives. No lock: different claimants never wait on each other.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, readPidFile } from '../host/proc.js';
import { writeAtomic } from '../util/fs.js';
import { RindError } from '../util/errors.js';
import type { RuntimeContext } from './context.js';

export function portDir(ctx: RuntimeContext, sandbox: string, port: number): string {
  return join(ctx.store.dir(sandbox), 'exec', String(port));
}

/** The claim of a port is stale when its shim never started or is gone (or has recorded its exit there). */
function stale(dir: string): boolean {
  const pid = readPidFile(join(dir, 'shim.pid'));
  return !isAlive(pid) || existsSync(join(dir, 'exit'));
}

/** Claims a free port of the sandbox's VM; its dir is the claim, `shim.pid` in it names the holder. */
export function claimPort(ctx: RuntimeContext, sandbox: string, ports: number, what: string): { port: number; dir: string } {
  mkdirSync(join(ctx.store.dir(sandbox), 'exec'), { recursive: true });
  for (let port = 0; port < ports; port++) {
    const dir = portDir(ctx, sandbox, port);
    if (existsSync(dir)) {
      if (!stale(dir)) continue;
      rmSync(dir, { recursive: true, force: true });
    }
    try {
      mkdirSync(dir);
      return { port, dir };
    } catch {
      /* raced with another claimant: try the next port */
    }
  }
  throw new RindError(`${what}: all ${ports} exec ports of sandbox ${sandbox} are in use (exec sessions and pod containers share them): wait for one to end`);
}

export function holdPort(dir: string, shimPid: number): void {
  writeAtomic(join(dir, 'shim.pid'), String(shimPid));
}

export function releasePort(ctx: RuntimeContext, sandbox: string, port: number): void {
  rmSync(portDir(ctx, sandbox, port), { recursive: true, force: true });
}
