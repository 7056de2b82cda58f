// A small bash co-process that runs create+start for the benchmark and time-stamps them itself:
// forking from a 4 MiB bash costs ~0.3 ms, forking the Node benchmark ~10 ms of blocked event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv } from './mountns.js';

/**
 * Reads requests "KEY<TAB>LOG<TAB>ARGV1...[<TAB>--then<TAB>ARGV2...]" and, for each, in a
 * background subshell: runs ARGV1 (stdio to LOG, stdin /dev/null), then ARGV2 if ARGV1
 * succeeded, and prints "KEY RC1 RC2 T0 T1 T2" (RC2=-1 when not run; T in epoch seconds with
 * microseconds, taken just before and after each command). At EOF it waits for them all and prints
 * "TIMES" and bash's `times` (its own, then its children's user and system time): the CPU of every
 * command it ran, with what they waited for.
 */
const SCRIPT = `set -u
while IFS=$'\\t' read -r -a f; do
  key=\${f[0]}; log=\${f[1]}; a=(); b=(); cur=a
  for x in "\${f[@]:2}"; do
    if [[ $x == --then ]]; then cur=b; elif [[ $cur == a ]]; then a+=("$x"); else b+=("$x"); fi
  done
  (
    t0=$EPOCHREALTIME
    "\${a[@]}" >>"$log" 2>&1 </dev/null; r1=$?
    t1=$EPOCHREALTIME; r2=-1; t2=$t1
    if [[ $r1 == 0 && \${#b[@]} -gt 0 ]]; then "\${b[@]}" >>"$log" 2>&1 </dev/null; r2=$?; t2=$EPOCHREALTIME; fi
    echo "$key $r1 $r2 $t0 $t1 $t2"
  ) &
done
wait
echo TIMES
times
`;

export interface SequenceResult {
  firstCode: number | null;
  /** null when the second command was not run */
  thenCode: number | null;
  /** epoch milliseconds: before the first command, after it, after the second */
  t0: number;
  t1: number;
  t2: number;
  timedOut: boolean;
}

/** bash's `times` line "0m1.250s 0m0.034s" → seconds (user + system); undefined if it is not one. */
export function parseTimesLine(line: string): number | undefined {
  const m = /^(\d+)m([\d.,]+)s (\d+)m([\d.,]+)s$/.exec(line.trim());
  if (!m) return undefined;
  const s = (min: string, sec: string) => Number(min) * 60 + Number(sec.replace(',', '.'));
  return s(m[1], m[2]) + s(m[3], m[4]);
}

/** "KEY RC1 RC2 T0 T1 T2" → result; undefined for a malformed line. */
export function parseLauncherLine(line: string): { key: string; result: SequenceResult } | undefined {
  const f = line.trim().split(' ');
  if (f.length !== 6) return undefined;
  const [key, r1, r2, t0, t1, t2] = f;
  const ms = (t: string) => Number(t.replace(',', '.')) * 1000;
  const n = [Number(r1), Number(r2), ms(t0), ms(t1), ms(t2)];
  if (n.some((x) => !Number.isFinite(x))) return undefined;
  return { key, result: { firstCode: n[0], thenCode: n[1] === -1 ? null : n[1], t0: n[2], t1: n[3], t2: n[4], timedOut: false } };
}

export class Launcher {
  private readonly child: ChildProcess;
  private readonly pending = new Map<string, (r: SequenceResult) => void>();
  private buf = '';
  private exited: Promise<void>;
  private timesLines: string[] | undefined;
  /** CPU seconds (user+sys) of every command run, known once close() returned; null if bash did not say */
  childrenCpuSeconds: number | null = null;

  constructor() {
    this.child = spawn('bash', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'], detached: true, env: childEnv() });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (this.timesLines) {
          this.timesLines.push(line);
          if (this.timesLines.length === 2) this.childrenCpuSeconds = parseTimesLine(line) ?? null;
          continue;
        }
        if (line === 'TIMES') {
          this.timesLines = [];
          continue;
        }
        const parsed = parseLauncherLine(line);
        if (!parsed) continue;
        const resolve = this.pending.get(parsed.key);
        this.pending.delete(parsed.key);
        resolve?.(parsed.result);
      }
    });
    this.exited = new Promise((resolve) => this.child.on('close', () => resolve())); // after its last output (TIMES)
    this.child.stdin!.on('error', () => {});
  }

  /**
   * Runs `first`, then `then` if it succeeded. After timeoutMs, onTimeout is called (it must kill
   * what runs); if no answer comes 10 s later, the request resolves as failed anyway.
   */
  run(key: string, log: string, first: string[], then: string[] | undefined, timeoutMs: number, onTimeout: () => void): Promise<SequenceResult> {
    for (const a of [key, log, ...first, ...(then ?? [])]) if (/[\t\n]/.test(a) || a === '') throw new Error(`launcher argument not allowed: ${JSON.stringify(a)}`);
    if (/\s/.test(key)) throw new Error(`launcher key with whitespace: ${key}`);
    return new Promise((resolve) => {
      let timedOut = false;
      const started = Date.now();
      const timer = setTimeout(() => {
        timedOut = true;
        onTimeout();
        hard = setTimeout(() => {
          this.pending.delete(key);
          resolve({ firstCode: null, thenCode: null, t0: started, t1: Date.now(), t2: Date.now(), timedOut: true });
        }, 10_000);
      }, timeoutMs);
      let hard: NodeJS.Timeout | undefined;
      this.pending.set(key, (r) => {
        clearTimeout(timer);
        if (hard) clearTimeout(hard);
        resolve({ ...r, timedOut });
      });
      this.child.stdin!.write(`${[key, log, ...first, ...(then ? ['--then', ...then] : [])].join('\t')}\n`);
    });
  }

  /** Ends the co-process once its running requests are done (bounded). */
  async close(timeoutMs = 30_000): Promise<void> {
    this.child.stdin!.end();
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}
