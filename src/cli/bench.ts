// `rind bench ...`: the benchmark commands (density: N web services side by side with runc/crun).
// Only flags live here; the work is in bench/density, imported lazily when the command runs.
import type { Command } from 'commander';
import { RindError } from '../util/errors.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks (run as root; they start real containers)');
  bench
    .command('density')
    .description('start N busybox web services per runtime, each in its own netns on one CNI bridge, and measure time, memory and CPU until all serve')
    .option('--runtimes <list>', 'comma-separated runtimes, run in this order: rind, runc, crun', 'rind,runc,crun')
    .option('-n, --count <N>', 'services per runtime', '20')
    .option('-p, --parallel <P>', 'create+start this many at a time', '4')
    .option('--json <file>', 'write the results as JSON')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--subnet <cidr>', 'private IPv4 subnet of the benchmark bridge (refused if it collides with a route)', '10.213.0.0/16')
    .option('--bridge <name>', 'name of the benchmark bridge', 'rindbench0')
    .option('--settle <seconds>', 'wait after all serve before memory is read', '10')
    .option('--deadline <seconds>', 'per-runtime bound from the first create (default: 60+N s; rind 180+4N s)')
    .option('--answer-timeout <seconds>', 'a started service that has not answered after this long is a failure', '120')
    .option('--memory <MiB>', 'memory limit in every spec (rind: guest RAM; 64 is too little for its guest now)', '128')
    .option('--pods', 'each service is a pod of 2 containers: httpd (the sandbox) + a sidecar in its netns (rind: one VM per pod)')
    .option('--no-progress', 'no progress bar')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const { runDensity, BenchError } = await import('../../bench/density/density.js');
      let code: number;
      try {
        code = await runDensity(o);
      } catch (e) {
        if (e instanceof BenchError) throw new RindError(`bench density: ${e.message}`);
        throw e;
      }
      if (code !== 0) process.exit(code);
    });
}
