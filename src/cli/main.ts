// rind's command line: runc's contract (global flags, subcommands, exit codes) for engines and users.
// Parses flags, builds the runtime context and dispatches; every failure becomes one logged line.
import { Command, Option, CommanderError } from 'commander';
import { EXIT_EXEC_FAILURE, EXIT_RIND_FAILURE, RindError } from '../util/errors.js';
import { Logger, type LogFormat } from '../util/log.js';
import { StateStore } from '../oci/state.js';
import { parseAccelChoice } from '../runtime/accel.js';
import { rindEnv } from '../util/env.js';
import type { RuntimeContext } from '../runtime/context.js';
import { callPath, callUptimeMs, currentCall, writeErr, writeOut } from '../daemon/context.js';
import { registerCommands } from './commands.js';

export const VERSION = '0.1.0';

export interface GlobalOpts {
  root: string;
  log?: string;
  logFormat: LogFormat;
  debug?: boolean;
  accel?: string;
}

/** The runtime context of one call: paths on the command line are the caller's (relative to its cwd). */
export function contextFrom(opts: GlobalOpts, log: Logger): RuntimeContext {
  return { store: new StateStore(callPath(opts.root)), log, accel: parseAccelChoice(opts.accel ?? rindEnv.accel()) };
}

const loggerFor = (o: GlobalOpts): Logger => new Logger({ file: callPath(o.log), format: o.logFormat, debug: Boolean(o.debug) });

/**
 * One CLI call. Every piece of state is local to it (the daemon runs several at once): the logger,
 * the parsed flags, the exit code; stdout/stderr/env/cwd come from daemon/context.
 */
export async function main(argv: string[]): Promise<number> {
  let logger = new Logger({ format: 'text', debug: false });
  let verb = 'rind';
  const program = new Command('rind')
    .description('OCI runtime that runs each container in its own QEMU microVM')
    .option('--root <dir>', 'root directory for container state', '/run/rind')
    .option('--log <file>', 'log file (default: stderr)')
    .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']).default('text'))
    .option('--debug', 'debug logging')
    .option('--accel <accel>', 'accelerator: kvm, tcg or auto (default: $RIND_ACCEL or auto)')
    .option('--systemd-cgroup', 'accepted for runc compatibility (cgroupsPath slice:prefix:name is understood)')
    .option('--criu <path>', 'accepted for runc compatibility, unused')
    .option('--rootless <value>', 'accepted for runc compatibility, unused')
    .option('-v, --version', 'print the version and the accelerator in use')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => writeOut(s), writeErr: (s) => writeErr(s) })
    .hook('preAction', (cmd, action) => {
      logger = loggerFor(cmd.opts() as GlobalOpts);
      verb = action.name();
      // runc's --debug: every verb says what it was asked (its steps follow from runtime/)
      if (logger.debugging) logger.debug(`${verb}: called`, { args: action.args, root: callPath((cmd.opts() as GlobalOpts).root), daemon: Boolean(currentCall()) });
    });
  let exitCode = 0;
  registerCommands(program, () => contextFrom(program.opts() as GlobalOpts, logger), (code) => (exitCode = code));
  program.action(async () => {
    const o = program.opts() as GlobalOpts & { version?: boolean };
    logger = loggerFor(o);
    if (o.version) {
      const { versionText } = await import('./info.js');
      writeOut(await versionText(contextFrom(o, logger), VERSION));
      return;
    }
    program.help();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (logger.debugging) logger.debug(`${verb}: done`, { exit: exitCode, ms: Math.round(callUptimeMs()) });
    return exitCode;
  } catch (e) {
    // usage errors (commander printed them) and rind's own failures exit as runc's do (1; exec: 255); help and --version 0
    const failed = verb === 'exec' ? EXIT_EXEC_FAILURE : EXIT_RIND_FAILURE;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : failed;
    const msg = e instanceof RindError ? e.message : `internal error: ${(e as Error).message ?? String(e)}`;
    logger.error(msg);
    if (logger.hasFile) writeErr(`rind: ${msg}\n`);
    if (!(e instanceof RindError) && (program.opts() as GlobalOpts).debug) writeErr(`${(e as Error).stack}\n`);
    return e instanceof RindError && e.exitCode !== EXIT_RIND_FAILURE ? e.exitCode : failed;
  }
}
