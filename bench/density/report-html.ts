// The --html report: one self-contained page (inline SVG, inline CSS, no scripts, no external URLs)
// with "services serving over time" per runtime, memory per service, start latency, and the table.
import type { DensityReport } from './types.js';
import { cumulative, round } from './stats.js';
import { available, noiseNote, renderTable } from './report-table.js';

const COLORS: Record<string, string> = { rind: '#d6336c', runc: '#1c7ed6', crun: '#2f9e44' };
const FALLBACK = ['#f08c00', '#7048e8', '#0c8599'];

/** Bars of one group in three grey shades, darkest first. */
function shades(...bars: [string, number | null][]): { name: string; color: string; value: number | null }[] {
  const colors = ['#495057', '#adb5bd', '#dee2e6'];
  return bars.map(([name, value], i) => ({ name, color: colors[i % colors.length], value }));
}

export function colorOf(name: string, i: number): string {
  return COLORS[name] ?? FALLBACK[i % FALLBACK.length];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Round tick values covering 0..max (about `count` of them). */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const W = 720;
const H = 360;
const M = { left: 64, right: 190, top: 20, bottom: 48 }; // right: room for legends like "rind-unikernel (50/50)"

function frame(xTicks: number[], yTicks: number[], sx: (x: number) => number, sy: (y: number) => number, xLabel: string, yLabel: string, xFormat: (v: number) => string): string {
  const parts: string[] = [];
  for (const t of yTicks) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e9ecef"/>`);
    parts.push(`<text x="${M.left - 8}" y="${sy(t) + 4}" text-anchor="end" font-size="12">${t}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="#495057"/>`);
    parts.push(`<text x="${sx(t)}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="12">${escapeHtml(xFormat(t))}</text>`);
  }
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#495057"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#495057"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle" font-size="13">${escapeHtml(xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeHtml(yLabel)}</text>`);
  return parts.join('');
}

function legend(items: { name: string; color: string }[]): string {
  return items
    .map((it, i) => {
      const y = M.top + 10 + i * 20;
      return `<rect x="${W - M.right + 16}" y="${y - 9}" width="14" height="10" fill="${it.color}"/><text x="${W - M.right + 36}" y="${y}" font-size="13">${escapeHtml(it.name)}</text>`;
    })
    .join('');
}

/** Step lines (cumulative counts) on shared axes. */
export function lineChart(series: Series[], xLabel: string, yLabel: string, title: string): string {
  const xMax = Math.max(1e-9, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const yMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const xTicks = niceTicks(xMax);
  const yTicks = niceTicks(yMax);
  const x1 = xTicks[xTicks.length - 1];
  const y1 = yTicks[yTicks.length - 1];
  const sx = (x: number) => round(M.left + (x / x1) * (W - M.left - M.right), 1)!;
  const sy = (y: number) => round(H - M.bottom - (y / y1) * (H - M.top - M.bottom), 1)!;
  const lines = series.map((s) => {
    const pts: string[] = [`${sx(0)},${sy(0)}`];
    let prev = 0;
    for (const [x, y] of s.points) {
      pts.push(`${sx(x)},${sy(prev)}`, `${sx(x)},${sy(y)}`);
      prev = y;
    }
    return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"><title>${escapeHtml(s.name)}</title></polyline>`;
  });
  return `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${frame(xTicks, yTicks, sx, sy, xLabel, yLabel, (v) => String(v))}${lines.join('')}${legend(series)}</svg>`;
}

export interface BarGroup {
  label: string;
  /** note: what to write instead of a bar when value is null (default "n/a") */
  bars: { name: string; color: string; value: number | null; note?: string }[];
}

/** Grouped vertical bars with their values written on top. */
export function barChart(groups: BarGroup[], yLabel: string, title: string): string {
  const yMax = Math.max(1e-9, ...groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)));
  const yTicks = niceTicks(yMax);
  const y1 = yTicks[yTicks.length - 1];
  const plotW = W - M.left - M.right;
  const gw = plotW / Math.max(1, groups.length);
  const sy = (y: number) => round(H - M.bottom - (y / y1) * (H - M.top - M.bottom), 1)!;
  const parts: string[] = [frame([], yTicks, () => 0, sy, '', yLabel, String)];
  groups.forEach((g, gi) => {
    const n = Math.max(1, g.bars.length);
    const bw = Math.min(48, (gw * 0.8) / n);
    const x0 = M.left + gi * gw + (gw - bw * n) / 2;
    g.bars.forEach((b, bi) => {
      const x = round(x0 + bi * bw, 1)!;
      if (b.value === null) {
        parts.push(`<text x="${x + bw / 2}" y="${H - M.bottom - 4}" text-anchor="middle" font-size="11">${escapeHtml(b.note ?? 'n/a')}</text>`);
        return;
      }
      if (b.value < 0) {
        // e.g. MemAvailable rose meanwhile (other work on the machine): nothing to draw, say the number
        parts.push(`<text x="${round(x + bw / 2, 1)}" y="${H - M.bottom - 4}" text-anchor="middle" font-size="11">${round(b.value, 2)}</text>`);
        return;
      }
      const y = sy(b.value);
      parts.push(`<rect x="${x}" y="${y}" width="${round(bw - 2, 1)}" height="${round(H - M.bottom - y, 1)}" fill="${b.color}"><title>${escapeHtml(`${g.label} ${b.name}: ${b.value}`)}</title></rect>`);
      parts.push(`<text x="${round(x + bw / 2, 1)}" y="${y - 4}" text-anchor="middle" font-size="11">${round(b.value, b.value < 10 ? 2 : 1)}</text>`);
    });
    parts.push(`<text x="${round(M.left + gi * gw + gw / 2, 1)}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="13">${escapeHtml(g.label)}</text>`);
  });
  const names = [...new Map(groups.flatMap((g) => g.bars.map((b) => [b.name, b.color] as const))).entries()].map(([name, color]) => ({ name, color }));
  return `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${parts.join('')}${legend(names)}</svg>`;
}

export interface StackGroup {
  label: string;
  segments: { name: string; color: string; value: number | null }[];
}

/** One stacked bar per group (segments bottom-up, missing or negative ones skipped), its total on top. */
export function stackedBarChart(groups: StackGroup[], yLabel: string, title: string): string {
  const sum = (g: StackGroup) => g.segments.reduce((a, s) => a + Math.max(0, s.value ?? 0), 0);
  const yMax = Math.max(1e-9, ...groups.map(sum));
  const yTicks = niceTicks(yMax);
  const y1 = yTicks[yTicks.length - 1];
  const gw = (W - M.left - M.right) / Math.max(1, groups.length);
  const bw = Math.min(72, gw * 0.5);
  const sy = (y: number) => round(H - M.bottom - (y / y1) * (H - M.top - M.bottom), 1)!;
  const parts: string[] = [frame([], yTicks, () => 0, sy, '', yLabel, String)];
  groups.forEach((g, gi) => {
    const x = round(M.left + gi * gw + (gw - bw) / 2, 1)!;
    let acc = 0;
    for (const seg of g.segments) {
      if (seg.value === null || !(seg.value > 0)) continue;
      const top = sy(acc + seg.value);
      parts.push(`<rect x="${x}" y="${top}" width="${round(bw, 1)}" height="${round(sy(acc) - top, 1)}" fill="${seg.color}"><title>${escapeHtml(`${g.label} ${seg.name}: ${seg.value}`)}</title></rect>`);
      acc += seg.value;
    }
    parts.push(`<text x="${round(x + bw / 2, 1)}" y="${sy(acc) - 4}" text-anchor="middle" font-size="11">${round(acc, acc < 10 ? 2 : 0)}</text>`);
    parts.push(`<text x="${round(M.left + gi * gw + gw / 2, 1)}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="13">${escapeHtml(g.label)}</text>`);
  });
  const names = [...new Map(groups.flatMap((g) => g.segments.filter((s) => s.value !== null).map((s) => [s.name, s.color] as const))).entries()].map(([name, color]) => ({ name, color }));
  return `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${parts.join('')}${legend(names)}</svg>`;
}

const CPU_PARTS: [keyof NonNullable<DensityReport['results'][string]['cpuPerServiceMs']>, string, string][] = [
  ['cli', 'CLI calls', '#f08c00'],
  ['shim', 'rind-shim', '#7048e8'],
  ['vmm', 'VMM (QEMU)', '#d6336c'],
  ['guest', 'guest (KVM)', '#e599b5'],
  ['rest', 'containers / rest', '#868e96'],
];

export function renderHtml(report: DensityReport): string {
  const m = report.metadata;
  const results = m.runtimes.map((n) => report.results[n]).filter(Boolean);
  const serving = lineChart(
    results.map((r, i) => ({ name: `${r.runtime} (${r.served}/${r.count})`, color: colorOf(r.runtime, i), points: cumulative(r.servingTimeline) })),
    'seconds since the first create',
    'services answering HTTP',
    'services serving over time',
  );
  const memory = barChart(
    results.map((r) => ({
      label: r.runtime,
      bars: shades(['MemAvailable', available(r)], ['PSS', r.memoryPerServiceMiB.pss], ['cgroup', r.memoryPerServiceMiB.cgroup ?? null]).map((b, i) =>
        i === 0 && r.memoryNoise?.belowNoise ? { ...b, note: '< noise' } : b,
      ),
    })),
    'MiB per service',
    'memory per service',
  );
  const latency = barChart(
    results.map((r) => ({
      label: r.runtime,
      bars: shades(['p50', r.startLatencyMs.p50], ['p95', r.startLatencyMs.p95], ['max', r.startLatencyMs.max]),
    })),
    'milliseconds',
    'start latency',
  );
  const cpu = stackedBarChart(
    results.filter((r) => r.cpuPerServiceMs).map((r) => ({
      label: r.runtime,
      segments: CPU_PARTS.map(([k, name, color]) => ({ name, color, value: r.cpuPerServiceMs![k] })),
    })),
    'CPU ms per service',
    'CPU per service, split',
  );
  const noisy = results.filter((r) => r.memoryNoise?.belowNoise);
  const failures = results.filter((r) => r.failures || r.error);
  const meta: [string, string][] = [
    ['date', m.date],
    ['services (N) / parallel (P)', `${m.N} / ${m.P}`],
    ['accelerator (rind)', m.accelerator],
    ['load average at start', m.loadAverage.map((l) => l.toFixed(2)).join(' ')],
    ['host', `${m.host.kernel}, ${m.host.cpus} CPUs, ${m.host.memTotalMiB} MiB`],
    ['network', `${m.subnet} on bridge ${m.bridge} (CNI bridge + host-local)`],
    ['cgroups', m.cgroups],
    ['settle before memory is read', `${m.settleSeconds} s`],
    ['memory limit in each spec', `${m.memoryLimitMiB} MiB`],
    ['RIND_* environment', Object.entries(m.rindEnvironment ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'],
    ...results.map((r) => [`${r.runtime} version`, r.version] as [string, string]),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rind density benchmark: N=${m.N}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#212529;max-width:980px;margin:24px auto;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}pre{background:#f8f9fa;padding:12px;overflow-x:auto;font-size:12px}
table.meta td{padding:2px 12px 2px 0;vertical-align:top}table.meta td:first-child{color:#868e96}
.fail{background:#ffe3e3;border:2px solid #e03131;padding:8px 12px;font-weight:600}
svg{max-width:100%;height:auto;font-family:system-ui,sans-serif}
</style></head><body>
<h1>rind density benchmark — ${m.N} web services${m.pods ? " (pods of 2 containers)" : ""} per runtime, ${m.P} at a time</h1>
${failures.map((r) => `<p class="fail">${escapeHtml(`${r.runtime}: ${r.failures} of ${r.count} services failed${r.error ? ` (${r.error})` : ''}${r.failureReasons[0] ? `; e.g. ${r.failureReasons[0]}` : ''}`)}</p>`).join('\n')}
${report.leftovers.length ? `<p class="fail">${escapeHtml(`left behind after teardown: ${report.leftovers.join('; ')}`)}</p>` : ''}
<h2>Services serving over time</h2>
<p>Each line counts the services that have answered an HTTP GET with their page, from the first <code>create</code> of that runtime.</p>
${serving}
<h2>Memory per service</h2>
<p>MemAvailable: its drop from just before the first create to after all serve and the settle, divided by N. PSS: the summed PSS of each runtime's per-service processes (runc/crun: the container's processes; rind: rind-shim + QEMU), divided by N. cgroup: the memory charged to the runtime's cgroup subtree (its containers; for rind the shim and QEMU), divided by N.</p>
${memory}
${noisy.map((r) => `<p>${escapeHtml(noiseNote(r))}</p>`).join('\n')}
<h2>CPU per service</h2>
<p>The runtime's CPU from the first create to the end of the settle (its cgroup), per service, split: the CLI calls (create and start; for rind its client, its per-root daemon and the helpers they wait for), rind-shim, the VMM (QEMU, less guest time), the guest (KVM guest time; under TCG the guest runs inside QEMU's threads and is part of the VMM), and the rest (runc/crun: their containers; rind: processes that ended before the measurement, and rounding).</p>
${cpu}
<h2>Start latency (create + start)</h2>
<p>From just before <code>create</code> to just after <code>start</code> returned, per service (time stamps taken by the launcher that runs them).</p>
${latency}
<h2>Table</h2>
<pre>${escapeHtml(renderTable(report))}</pre>
<h2>Run</h2>
<table class="meta">${meta.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
</body></html>
`;
}
