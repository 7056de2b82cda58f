// The neighbour (ARP) table limits: raised for the run when 2N+256 entries would exceed them, restored after.
// The table is shared by all network namespaces; at N=800 the defaults (gc_thresh3 1024) overflow.
import { readFileSync, writeFileSync } from 'node:fs';

export type Thresholds = [number, number, number];

const FILES = [1, 2, 3].map((i) => `/proc/sys/net/ipv4/neigh/default/gc_thresh${i}`);

/** Entries N services need at most: each adds ≥2 (host side and container side), plus headroom. */
export function neededEntries(n: number): number {
  return 2 * n + 256;
}

/**
 * New gc_thresh1/2/3 when `need` exceeds the soft limit gc_thresh2 (above which entries are
 * reclaimed aggressively; gc_thresh3 is the hard limit), else null. Never lowers a value.
 */
export function planThresholds(need: number, current: Thresholds): Thresholds | null {
  if (need <= current[1]) return null;
  let t3 = 1024;
  while (t3 < 4 * need) t3 *= 2;
  return [Math.max(current[0], t3 / 4), Math.max(current[1], t3 / 2), Math.max(current[2], t3)];
}

export function readThresholds(): Thresholds {
  return FILES.map((f) => Number(readFileSync(f, 'utf8').trim())) as Thresholds;
}

/** Writes thresholds in an order that keeps thresh1 <= thresh2 <= thresh3 valid at every step. */
export function writeThresholds(next: Thresholds): void {
  const cur = readThresholds();
  const order = next[2] >= cur[2] ? [2, 1, 0] : [0, 1, 2];
  for (const i of order) writeFileSync(FILES[i], String(next[i]));
}
