// Running helper programs (CNI plugins, ip, runtime deletes) asynchronously with a time bound.
// Returns exit status and captured output; never throws for a non-zero exit.
import { spawn } from 'node:child_process';
import { childEnv } from './mountns.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs a command in its own process group (a terminal's Ctrl-C reaches only the benchmark, which
 * then tears down in order). Not for `create`: its container would hold the pipes open (launcher.ts).
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: childEnv(opts.env),
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let done = false;
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.stdin?.on('error', () => {});
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, opts.timeoutMs)
      : undefined;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, timedOut });
    };
    child.on('error', (e) => {
      stderr += e.message;
      finish(127, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

export function describeFailure(what: string, r: RunResult, extra = ''): string {
  const why = r.timedOut ? `timed out after ${Math.round(r.ms)} ms` : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  const text = `${r.stderr}\n${r.stdout}\n${extra}`.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  return `${what}: ${why}${text ? `: ${text.slice(0, 400)}` : ''}`;
}
