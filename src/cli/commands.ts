// The runc-compatible subcommands: flags as runc spells them, mapped onto runtime/container and runtime/exec.
// Unknown-but-harmless runc flags are accepted and ignored.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { RuntimeContext } from '../runtime/context.js';
// the lifecycle and exec code (schema compiler, VM planning) loads only for commands that use it
const lc = () => import('../runtime/container.js');
const ex = () => import('../runtime/exec.js');
import { parseSignal } from '../oci/signals.js';
import { defaultSpec } from '../oci/default-spec.js';
import { RindError } from '../util/errors.js';
import { forwardSignalsTo } from '../host/proc.js';
import { registerBench } from './bench.js';
import { rindEnv } from '../util/env.js';
import { callEnv, callPath, callUptimeMs, currentCall, writeOut } from '../daemon/context.js';

type Ctx = () => RuntimeContext;

function compatFlags(cmd: Command): Command {
  return cmd
    .option('--no-pivot', 'accepted for runc compatibility')
    .option('--no-new-keyring', 'accepted for runc compatibility')
    .option('--preserve-fds <n>', 'pass no host file descriptors (only 0: a VM cannot receive them)');
}

/** Whether `pid` is the process this call runs for: ours, or in the daemon the caller's client (bin/rind). */
function isCaller(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!currentCall()) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'rind';
  } catch {
    return false;
  }
}

/**
 * The systemd socket-activation fds runc would pass on (go-systemd's rule: LISTEN_FDS counts, LISTEN_PID
 * must name the runtime itself; a LISTEN_FDS inherited from another process is not ours). 0 when none.
 */
export function listenFds(env: Readonly<Record<string, string | undefined>>, caller: (pid: number) => boolean = isCaller): number {
  const n = Number(env.LISTEN_FDS);
  const pid = Number(env.LISTEN_PID);
  if (!env.LISTEN_FDS || !Number.isInteger(n) || n <= 0 || !Number.isInteger(pid) || pid <= 0) return 0;
  return caller(pid) ? n : 0;
}

const NO_HOST_FDS = 'a VM cannot receive host file descriptors';

/**
 * runc hands the container fds 3..3+N-1 (--preserve-fds N) and, for create/run, systemd's LISTEN_FDS: a VM's
 * process cannot hold a host fd, so anything but none is refused before anything starts.
 */
export function refuseHostFds(preserveFds: string | undefined, env: Readonly<Record<string, string | undefined>> | undefined, caller?: (pid: number) => boolean): void {
  if (preserveFds !== undefined) {
    if (!/^\d+$/.test(preserveFds)) throw new RindError(`--preserve-fds ${JSON.stringify(preserveFds)}: not a number of file descriptors`);
    if (Number(preserveFds) > 0) throw new RindError(`--preserve-fds ${preserveFds}: ${NO_HOST_FDS} (only --preserve-fds 0 is supported)`);
  }
  const n = env ? listenFds(env, caller) : 0;
  if (n > 0) throw new RindError(`LISTEN_FDS=${n} (socket activation): ${NO_HOST_FDS}; let the container open its own sockets, or unset LISTEN_FDS and LISTEN_PID`);
}

function print(obj: unknown): void {
  writeOut(`${JSON.stringify(obj, null, 2)}\n`);
}

/** Phase timings for benchmarks: one JSON line appended to $RIND_TIMINGS_FILE. */
function recordTimings(t: Record<string, number | string>): void {
  const file = rindEnv.timingsFile();
  if (file) appendFileSync(callPath(file), `${JSON.stringify(t)}\n`);
}

export function registerCommands(program: Command, ctx: Ctx, setExit: (code: number) => void): void {
  compatFlags(
    program
      .command('create')
      .description('create a container (boots its VM; the process waits for start)')
      .option('-b, --bundle <dir>', 'bundle directory', '.')
      .option('--pid-file <file>', 'write the waitable pid here')
      .option('--console-socket <path>', 'unix socket that receives the pty master'),
  )
    .argument('<id>')
    .action(async (id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string; preserveFds?: string }) => {
      refuseHostFds(o.preserveFds, callEnv());
      await (await lc()).createContainer(ctx(), { id, bundle: callPath(o.bundle), pidFile: callPath(o.pidFile), consoleSocket: o.consoleSocket });
    });

  program
    .command('start')
    .description('start the process of a created container')
    .argument('<id>')
    .action(async (id: string) => (await lc()).startContainer(ctx(), id));

  compatFlags(
    program
      .command('run')
      .description('create and start a container; in the foreground, exit with its status')
      .option('-b, --bundle <dir>', 'bundle directory', '.')
      .option('--pid-file <file>', 'write the waitable pid here')
      .option('--console-socket <path>', 'unix socket that receives the pty master')
      .option('-d, --detach', 'detach from the container process')
      .option('--keep', 'do not delete the container after it exits'),
  )
    .argument('<id>')
    .action(async (id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string; detach?: boolean; keep?: boolean; preserveFds?: string }) => {
      refuseHostFds(o.preserveFds, callEnv());
      const c = ctx();
      const cliMs = callUptimeMs(); // until the CLI got here: process start-up, or the daemon's dispatch
      const created = await (await lc()).createContainer(c, { id, bundle: callPath(o.bundle), pidFile: callPath(o.pidFile), consoleSocket: o.consoleSocket, foreground: !o.detach });
      const t = performance.now();
      await (await lc()).startContainer(c, id);
      const startMs = performance.now() - t;
      if (o.detach) return;
      // in the daemon the client that forked the shim forwards the signals it gets
      if (!currentCall()) forwardSignalsTo(created.record.shimPid!, created.record.shimStartTime);
      const t2 = performance.now();
      const code = await created.exited;
      const workloadMs = performance.now() - t2;
      if (!o.keep) await (await lc()).deleteContainer(c, id, true);
      recordTimings({ id, cliStartMs: Math.round(cliMs), bootMs: created.timings.bootMs, createMs: created.timings.createMs, startMs: Math.round(startMs), workloadMs: Math.round(workloadMs), totalMs: Math.round(callUptimeMs()) });
      setExit(code ?? 255);
    });

  program
    .command('update')
    .description('change a running container\'s resources (its cgroup in the guest; the VMM\'s host cgroup)')
    .option('-r, --resources <file>', 'LinuxResources JSON (- for stdin)')
    .option('--memory <size>', 'memory limit (bytes, or with k, m, g)')
    .option('--memory-reservation <size>', 'memory reservation (soft limit)')
    .option('--memory-swap <size>', 'memory + swap limit')
    .option('--pids-limit <n>', 'maximum number of processes')
    .option('--cpu-quota <us>', 'CPU quota per period, µs')
    .option('--cpu-period <us>', 'CPU period, µs')
    .option('--cpu-share <n>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <list>', 'CPUs (e.g. 0-1)')
    .option('--cpuset-mems <list>', 'memory nodes')
    .argument('<id>')
    .action(async (id: string, o: Record<string, string | undefined>) => (await import('../runtime/update.js')).updateContainer(ctx(), id, o));

  program
    .command('pause')
    .description('pause the container (stops the VM\'s vCPUs)')
    .argument('<id>')
    .action(async (id: string) => (await lc()).pauseContainer(ctx(), id, true));

  program
    .command('resume')
    .description('resume a paused container')
    .argument('<id>')
    .action(async (id: string) => (await lc()).pauseContainer(ctx(), id, false));

  program
    .command('state')
    .description('print the OCI state of a container')
    .argument('<id>')
    .action(async (id: string) => print((await lc()).containerState(ctx(), id)));

  program
    .command('kill')
    .description('send a signal to the container process (default SIGTERM)')
    .option('-a, --all', 'send to every process in the container')
    .argument('<id>')
    .argument('[signal]')
    .action(async (id: string, signal: string | undefined, o: { all?: boolean }) => (await lc()).killContainer(ctx(), id, parseSignal(signal), Boolean(o.all)));

  program
    .command('delete')
    .description('delete a container and everything rind made for it')
    .option('-f, --force', 'kill it first if it is running')
    .argument('<id>')
    .action(async (id: string, o: { force?: boolean }) => (await lc()).deleteContainer(ctx(), id, Boolean(o.force)));

  program
    .command('list')
    .alias('ls')
    .description('list containers')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'ids only')
    .action(async (o: { format: string; quiet?: boolean }) => {
      const all = (await lc()).listContainers(ctx());
      if (o.quiet) return void writeOut(all.map((s) => `${s.id}\n`).join(''));
      if (o.format === 'json') return void writeOut(`${JSON.stringify(all)}\n`);
      if (o.format !== 'table') throw new RindError(`invalid format ${o.format}: use table or json`);
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, 'root'])];
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      writeOut(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd()).join('\n') + '\n');
    });

  program
    .command('spec')
    .description('write a template config.json into the bundle')
    .option('-b, --bundle <dir>', 'bundle directory', '.')
    .option('--rootless', 'accepted for runc compatibility')
    .action(async (o: { bundle: string }) => {
      const file = join(resolve(callPath(o.bundle)), 'config.json');
      if (existsSync(file)) throw new RindError(`File ${file} exists. Remove it first`);
      writeFileSync(file, `${JSON.stringify(defaultSpec(), null, 2)}\n`);
    });

  const collect = (v: string, prev: string[]) => [...prev, v];
  program
    .command('exec')
    .description('run a process in a running container')
    .option('-p, --process <file>', 'OCI process JSON')
    .option('-d, --detach', 'detach from the process')
    .option('--pid-file <file>', 'write the waitable pid here')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('--console-socket <path>', 'unix socket that receives the pty master')
    .option('--cwd <dir>', 'working directory')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'user')
    .option('-g, --additional-gids <gid>', 'additional group (repeatable)', collect, [])
    .option('--no-new-privs', 'accepted for runc compatibility')
    .option('--process-label <label>', 'accepted for runc compatibility')
    .option('--apparmor <profile>', 'accepted for runc compatibility')
    .option('-c, --cap <cap>', 'accepted for runc compatibility', collect, [])
    .option('--preserve-fds <n>', 'pass no host file descriptors (only 0: a VM cannot receive them)')
    .option('--cgroup <path>', 'accepted for runc compatibility')
    .option('--ignore-paused', 'accepted for runc compatibility')
    .passThroughOptions()
    .argument('<id>')
    .argument('[command...]')
    .action(async (id: string, command: string[], o: Record<string, any>) => {
      refuseHostFds(o.preserveFds as string | undefined, undefined); // runc's exec takes no LISTEN_FDS
      const code = await (await ex()).execInContainer(ctx(), {
        id,
        process: o.process ? (await ex()).parseProcessFile(callPath(o.process as string)) : undefined,
        args: command,
        env: o.env,
        cwd: o.cwd,
        user: o.user,
        additionalGids: (o.additionalGids as string[]).map(Number),
        tty: Boolean(o.tty),
        consoleSocket: o.consoleSocket, // the shim runs in the caller's cwd: as given
        pidFile: callPath(o.pidFile as string | undefined),
        detach: Boolean(o.detach),
      });
      if (code !== undefined) setExit(code);
    });

  program
    .command('ps')
    .description('list the processes of a container (guest pids): the table of `ps -ef` (or of the ps options given after the id), formatted from the guest\'s process facts')
    .option('-f, --format <format>', 'table or json', 'table')
    .passThroughOptions()
    .argument('<id>')
    .argument('[ps-options...]')
    .action(async (id: string, psArgs: string[], o: { format: string }) => {
      if (o.format !== 'table' && o.format !== 'json') throw new RindError(`invalid format option ${o.format}: use table or json`);
      const { psColumns, formatPs } = await import('./ps.js');
      const cols = o.format === 'table' ? psColumns(psArgs) : []; // bad ps options fail before the guest is asked
      const procs = await (await ex()).containerProcesses(ctx(), id);
      if (o.format === 'json') writeOut(`${JSON.stringify(procs.pids)}\n`);
      else writeOut(formatPs(cols, procs, Date.now()));
    });

  program
    .command('events')
    .description('container stats from the guest (--stats: once)')
    .option('--stats', 'print stats once and exit')
    .option('--interval <duration>', 'interval between stats events', '5s')
    .argument('<id>')
    .action(async (id: string, o: { stats?: boolean; interval: string }) => {
      const c = ctx();
      const ms = (/^(\d+)(ms|s|m)?$/.exec(o.interval) ?? []).slice(1);
      const interval = Number(ms[0] ?? 5) * (ms[1] === 'ms' ? 1 : ms[1] === 'm' ? 60_000 : 1000);
      let ooms: number | undefined;
      for (;;) {
        const data = await (await ex()).containerStats(c, id);
        writeOut(`${JSON.stringify({ type: 'stats', id, data })}\n`);
        if (o.stats) return;
        // runc's events: an "oom" event whenever the guest's OOM killer ended a process of the container
        const now = data.memory.oom_kill;
        if (now !== undefined && ooms !== undefined && now > ooms) writeOut(`${JSON.stringify({ type: 'oom', id })}\n`);
        ooms = now;
        await new Promise((r) => setTimeout(r, interval));
      }
    });

  registerBench(program);

  program
    .command('features')
    .description('print the OCI runtime features JSON')
    .action(async () => {
      const { featuresJson } = await import('./info.js');
      print(await featuresJson(ctx()));
    });
}
