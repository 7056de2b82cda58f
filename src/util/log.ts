// The runtime's log: runc-compatible JSON lines ({"level","msg","time"}) or text, to --log or stderr.
// conmon and containerd read the last error line of this file to explain a failure.
// stderr is the caller's (daemon/context): in the daemon, the client's; otherwise our own.
import { appendFileSync } from 'node:fs';
import { writeErr } from '../daemon/context.js';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  file?: string;
  format: LogFormat;
  debug: boolean;
}

export class Logger {
  constructor(private opts: LoggerOptions) {}

  get hasFile(): boolean {
    return Boolean(this.opts.file);
  }

  /** --debug is on: callers building costly debug fields ask first (off, a debug call costs one test) */
  get debugging(): boolean {
    return this.opts.debug;
  }

  log(level: Level, msg: string, extra?: Record<string, unknown>): void {
    if (level === 'debug' && !this.opts.debug) return;
    // without --log, stderr is often the container's stderr: only errors (or everything under --debug) go there
    if (!this.opts.file && level !== 'error' && !this.opts.debug) return;
    const time = new Date().toISOString();
    const line =
      this.opts.format === 'json'
        ? JSON.stringify({ level, msg, time, ...extra })
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}${extra ? ` ${Object.entries(extra).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}` : ''}`;
    if (this.opts.file) {
      try {
        appendFileSync(this.opts.file, `${line}\n`);
        return;
      } catch {
        /* fall through to stderr */
      }
    }
    if (level === 'error' && this.opts.format === 'text') writeErr(`rind: ${msg}\n`);
    else writeErr(`${line}\n`);
  }

  debug(msg: string, extra?: Record<string, unknown>): void {
    this.log('debug', msg, extra);
  }
  info(msg: string, extra?: Record<string, unknown>): void {
    this.log('info', msg, extra);
  }
  warn(msg: string, extra?: Record<string, unknown>): void {
    this.log('warn', msg, extra);
  }
  error(msg: string, extra?: Record<string, unknown>): void {
    this.log('error', msg, extra);
  }
}
