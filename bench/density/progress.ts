// The progress bar shown while the benchmark runs (cli-progress, on stderr), one bar per phase.
// Log lines go above the bar; without a terminal it prints a status line every few seconds.
import cliProgress from 'cli-progress';

export class Progress {
  private multi?: cliProgress.MultiBar;
  private bar?: cliProgress.SingleBar;

  constructor(private readonly enabled: boolean) {}

  begin(label: string, total: number, status = ''): void {
    this.end();
    if (!this.enabled) return;
    this.multi = new cliProgress.MultiBar(
      {
        format: `${label.padEnd(16)} {bar} {value}/{total} {status} {duration_formatted}`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        stream: process.stderr,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(total, 0, { status });
  }

  update(value: number, status: string): void {
    this.bar?.update(value, { status });
  }

  /** A line above the bar (or plain stderr without one). */
  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else process.stderr.write(`${line}\n`);
  }

  end(): void {
    this.multi?.stop();
    this.multi = undefined;
    this.bar = undefined;
  }
}
