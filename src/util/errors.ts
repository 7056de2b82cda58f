// The one error type users see: a single line naming what went wrong.
// Anything else escaping to the CLI is a bug and is reported with its stack under --debug.

export class RindError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'RindError';
  }
}
