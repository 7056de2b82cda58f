// Parses signal arguments the way runc does: names with or without SIG, or numbers.
// Pure; the numbers are Linux x86_64's.
import { constants } from 'node:os';
import { RindError } from '../util/errors.js';

const byName = constants.signals as Record<string, number>;

export function parseSignal(input: string | undefined): number {
  const raw = (input ?? 'SIGTERM').trim();
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 0 && n <= 64) return n; // 0: "is it alive?" (runc takes any number)
    throw new RindError(`invalid signal: ${raw}`);
  }
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
  if (rt) {
    const n = 34 + Number(rt[1] ?? 0);
    if (n <= 64) return n;
  }
  const n = byName[name];
  if (n === undefined) throw new RindError(`invalid signal: ${raw}`);
  return n;
}
