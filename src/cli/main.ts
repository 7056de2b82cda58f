// rind's command line: runc's contract (global flags, subcommands, exit codes) for engines and users.
// Parses flags, builds the runtime context and dispatches; every failure becomes one logged line.
import { Command, Option, CommanderError } from 'commander';
import { RindError } from '../util/errors.js';
import { Logger, type LogFormat } from '../util/log.js';
import { StateStore } from '../oci/state.js';
import { parseAccelChoice } from '../runtime/accel.js';
import { rindEnv } from '../util/env.js';
import type { RuntimeContext } from '../runtime/context.js';
import { registerCommands } from './commands.js';

export const VERSION = '0.1.0';

export interface GlobalOpts {
  root: string;
  log?: string;
  logFormat: LogFormat;
  debug?: boolean;
  accel?: string;
}

let logger = new Logger({ format: 'text', debug: false });

export function contextFrom(opts: GlobalOpts): RuntimeContext {
  return { store: new StateStore(opts.root), log: logger, accel: parseAccelChoice(opts.accel ?? rindEnv.accel()) };
}

export async function main(argv: string[]): Promise<number> {
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
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', (cmd) => {
      const o = cmd.opts() as GlobalOpts;
      logger = new Logger({ file: o.log, format: o.logFormat, debug: Boolean(o.debug) });
    });
  let exitCode = 0;
  registerCommands(program, () => contextFrom(program.opts() as GlobalOpts), (code) => (exitCode = code));
  program.action(async () => {
    const o = program.opts() as GlobalOpts & { version?: boolean };
    logger = new Logger({ file: o.log, format: o.logFormat, debug: Boolean(o.debug) });
    if (o.version) {
      const { versionText } = await import('./info.js');
      process.stdout.write(await versionText(contextFrom(o), VERSION));
      return;
    }
    program.help();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    const msg = e instanceof RindError ? e.message : `internal error: ${(e as Error).message ?? String(e)}`;
    logger.error(msg);
    if (logger.hasFile) process.stderr.write(`rind: ${msg}\n`);
    if (!(e instanceof RindError) && (program.opts() as GlobalOpts).debug) process.stderr.write(`${(e as Error).stack}\n`);
    return e instanceof RindError ? e.exitCode : 1;
  }
}
