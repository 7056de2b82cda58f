// Host CPU seconds of everything a runtime's run started: a dedicated cpuacct (v1) / cpu (v2) cgroup
// holds the benchmark while it spawns; containers live below it; our own CPU is subtracted.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

/** The directory of the hierarchy that accounts CPU, and how to read it. */
export function cpuHierarchy(): { dir: string; v2: boolean } {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return { dir: ROOT, v2: true };
  for (const d of ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']) if (existsSync(join(ROOT, d, 'cpuacct.usage'))) return { dir: join(ROOT, d), v2: false };
  throw new Error('no cpuacct cgroup hierarchy found');
}

/** "12:cpuacct:/a/b" lines of /proc/self/cgroup → our path in the hierarchy mounted at dir. */
function ownCgroup(v2: boolean, controller: string): string {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (path === undefined) continue;
    if (v2 ? ctrls === '' : ctrls.split(',').includes(controller)) return path;
  }
  return '/';
}

export class CpuAccount {
  private readonly h = cpuHierarchy();
  private readonly origin: string;
  private startUsage = 0;
  private startSelf = 0;

  /** group: cgroup path relative to the hierarchy root, e.g. "/rind-density-ab12/runc" */
  constructor(readonly group: string) {
    this.origin = ownCgroup(this.h.v2, 'cpuacct');
    mkdirSync(join(this.h.dir, group, 'bench'), { recursive: true });
  }

  /** Moves this process (and so everything it spawns from now on) into <group>/bench and starts counting. */
  enter(): void {
    writeFileSync(join(this.h.dir, this.group, 'bench', 'cgroup.procs'), String(process.pid));
    this.startUsage = this.usageSeconds();
    this.startSelf = selfSeconds();
  }

  /** CPU seconds of the group since enter(), minus this process's own. */
  elapsed(): number {
    return this.usageSeconds() - this.startUsage - (selfSeconds() - this.startSelf);
  }

  /** Moves this process back where it was. */
  leave(): void {
    try {
      writeFileSync(join(this.h.dir, this.origin, 'cgroup.procs'), String(process.pid));
    } catch {
      writeFileSync(join(this.h.dir, 'cgroup.procs'), String(process.pid));
    }
  }

  private usageSeconds(): number {
    const dir = join(this.h.dir, this.group);
    if (this.h.v2) {
      const m = /usage_usec (\d+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'));
      return m ? Number(m[1]) / 1e6 : 0;
    }
    return Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8').trim()) / 1e9;
  }
}

function selfSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Removes a cgroup subtree (leaves first) in every given hierarchy; returns what could not be removed. */
export function removeCgroupTree(hierarchies: string[], path: string): string[] {
  const left: string[] = [];
  const rm = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
    for (let i = 0; ; i++) {
      try {
        rmdirSync(dir);
        return;
      } catch (e) {
        if (i >= 20) {
          left.push(`${dir} (${(e as Error).message})`);
          return;
        }
        // a dying task may still be listed for a moment
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
  };
  for (const h of hierarchies) rm(join(h, path));
  return left;
}
