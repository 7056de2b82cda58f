// The plain-text table printed at the end: one row per runtime, then rind/runc (and rind/crun) ratios.
// Pure: takes the report, returns the text.
import type { DensityReport, RuntimeResult } from './types.js';
import { ratio, round } from './stats.js';

const COLUMNS = ['runtime', 'N', 'P', 'all serving s', 'start p50 ms', 'p95', 'max', 'answer p50 ms', 'p95', 'MiB/svc avail', 'PSS', 'cgroup', 'CPU s', 'failures'];

function cell(x: number | null | undefined, digits = 1): string {
  const r = round(x, digits);
  return r === null ? '-' : String(r);
}

function row(r: RuntimeResult): string[] {
  return [
    r.runtime,
    String(r.count),
    String(r.parallel),
    cell(r.allServingSeconds, 2),
    cell(r.startLatencyMs.p50, 0),
    cell(r.startLatencyMs.p95, 0),
    cell(r.startLatencyMs.max, 0),
    cell(r.firstAnswerMs.p50, 0),
    cell(r.firstAnswerMs.p95, 0),
    r.memoryNoise?.belowNoise ? '< noise' : cell(r.memoryPerServiceMiB.available, 2),
    cell(r.memoryPerServiceMiB.pss, 2),
    cell(r.memoryPerServiceMiB.cgroup, 2),
    cell(r.cpuSeconds, 2),
    r.failures ? `${r.failures} !!` : '0',
  ];
}

function ratioRow(a: RuntimeResult, b: RuntimeResult): string[] {
  const x = (u: number | null, v: number | null) => {
    const q = ratio(u, v);
    return q === null ? '-' : `${round(q, q >= 10 ? 0 : 2)}x`;
  };
  return [
    `${a.runtime}/${b.runtime}`,
    '',
    '',
    x(a.allServingSeconds, b.allServingSeconds),
    x(a.startLatencyMs.p50, b.startLatencyMs.p50),
    x(a.startLatencyMs.p95, b.startLatencyMs.p95),
    x(a.startLatencyMs.max, b.startLatencyMs.max),
    x(a.firstAnswerMs.p50, b.firstAnswerMs.p50),
    x(a.firstAnswerMs.p95, b.firstAnswerMs.p95),
    x(available(a), available(b)),
    x(a.memoryPerServiceMiB.pss, b.memoryPerServiceMiB.pss),
    x(a.memoryPerServiceMiB.cgroup, b.memoryPerServiceMiB.cgroup),
    x(a.cpuSeconds, b.cpuSeconds),
    '',
  ];
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** MemAvailable per service when it is a measurement, null when it is within the noise (no ratio of noise). */
export function available(r: RuntimeResult): number | null {
  return r.memoryNoise?.belowNoise ? null : r.memoryPerServiceMiB.available;
}

/**
 * Why a runtime's MemAvailable figure is "< noise", in words and without a negative number: the drop was
 * within the noise, or MemAvailable rose (other work on the machine freed more than the runtime took).
 */
export function noiseNote(r: RuntimeResult): string {
  const d = r.memoryPerServiceMiB.available;
  const noise = `MemAvailable's range over 1 s before the first create and 1 s after the settle was ${r.memoryNoise?.noiseMiB} MiB per service`;
  const what =
    d === null ? 'MemAvailable could not be read' : d >= 0 ? `MemAvailable dropped ${d} MiB per service, within the noise` : `MemAvailable rose by ${-d} MiB per service during the run (other work on the machine freed memory)`;
  return `${r.runtime}: ${what}; ${noise}. Shown as "< noise", no ratio.`;
}

const CPU_COLUMNS = ['CPU ms per service', 'total', 'CLI calls', 'rind-shim', 'VMM', 'guest', 'rest'];

/** The CPU split per service (rind: its CLI calls, shim, VMM, guest; runc/crun: CLI calls and the rest, their containers). */
function cpuRows(results: RuntimeResult[]): string[][] {
  return results
    .filter((r) => r.cpuPerServiceMs)
    .map((r) => {
      const c = r.cpuPerServiceMs!;
      return [r.runtime, cell(c.total, 1), cell(c.cli, 1), cell(c.shim, 1), cell(c.vmm, 1), r.runtime.startsWith('rind') && c.guest === null ? 'in VMM' : cell(c.guest, 1), cell(c.rest, 1)];
    });
}

export function renderTable(report: DensityReport): string {
  const results = report.metadata.runtimes.map((n) => report.results[n]).filter(Boolean);
  const rows = [COLUMNS, ...results.map(row)];
  const rind = report.results.rind;
  for (const other of ['runc', 'crun']) if (rind && report.results[other]) rows.push(ratioRow(rind, report.results[other]));
  const m = report.metadata;
  const env = Object.entries(m.rindEnvironment ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const head = `density: N=${m.N}${m.pods ? ' pods of 2 containers' : ''} P=${m.P}, ${m.date}, load ${m.loadAverage.map((l) => l.toFixed(2)).join(' ')}, accelerator ${m.accelerator}, ${m.host.cpus} CPUs${env ? `, ${env}` : ''}`;
  const notes: string[] = [];
  for (const r of results)
    if (r.memoryNoise?.belowNoise)
      notes.push(noiseNote(r));
  if (m.interrupted) notes.push('!! interrupted (Ctrl-C or a signal): the run is incomplete');
  for (const r of results) {
    if (r.failures) notes.push(`!! ${r.runtime}: ${r.failures} of ${r.count} services FAILED (${r.served} answered)${r.failureReasons.length ? `; e.g. ${r.failureReasons[0]}` : ''}`);
    if (r.error) notes.push(`!! ${r.runtime}: run aborted: ${r.error}`);
    if (r.servingAfterSettle < r.served) notes.push(`!! ${r.runtime}: ${r.served - r.servingAfterSettle} services stopped answering during the settle`);
    if (r.leftovers.length) notes.push(`!! ${r.runtime}: teardown left: ${r.leftovers.slice(0, 3).join('; ')}`);
  }
  for (const l of report.leftovers) notes.push(`!! left behind: ${l}`);
  const cpu = cpuRows(results);
  const split = cpu.length ? ['', formatTable([CPU_COLUMNS, ...cpu]), 'rest: runc/crun their containers; rind what ended before the measurement, and rounding. guest "in VMM": under TCG the guest runs in QEMU\'s threads.'] : [];
  return [head, '', formatTable(rows), ...split, ...(notes.length ? ['', ...notes] : [])].join('\n');
}
