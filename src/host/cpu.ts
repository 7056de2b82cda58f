// Host CPU facts the VM plan needs: the TSC frequency (so TCG guests can go tickless when idle).
// Read once from /proc/cpuinfo; undefined when the host does not have a constant TSC.
import { readFileSync } from 'node:fs';

export function hostTscKhz(): number | undefined {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    if (!/\bconstant_tsc\b/.test(info)) return undefined;
    const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(info);
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
  } catch {
    return undefined;
  }
}
