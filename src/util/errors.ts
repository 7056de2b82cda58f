// The one error type users see: a single line naming what went wrong.
// Anything else escaping to the CLI is a bug and is reported with its stack under --debug.

/** runc's exit code when the runtime itself fails (bad id, bad config, VM failure…), measured with runc 1.1: 1 for
 * every verb but `exec`, whose own failures exit 255 (its other codes are the process's). */
export const EXIT_RIND_FAILURE = 1;
export const EXIT_EXEC_FAILURE = 255;

export class RindError extends Error {
  constructor(message: string, readonly exitCode = EXIT_RIND_FAILURE) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'RindError';
  }
}
