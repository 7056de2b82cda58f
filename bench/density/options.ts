// `rind bench density` options: parsing and validation of what the user typed (pure, unit-tested).
// Every limit is checked before anything on the host is touched.
import { parseCidr, size, type Cidr } from './subnet.js';

export const KNOWN_RUNTIMES = ['rind', 'rind-unikernel', 'runc', 'crun'] as const;
export type RuntimeName = (typeof KNOWN_RUNTIMES)[number];

export interface RawDensityOptions {
  runtimes?: string;
  count?: string;
  parallel?: string;
  json?: string;
  html?: string;
  subnet?: string;
  bridge?: string;
  settle?: string;
  deadline?: string;
  answerTimeout?: string;
  memory?: string;
  progress?: boolean;
  pods?: boolean;
}

export interface DensityOptions {
  runtimes: RuntimeName[];
  count: number;
  parallel: number;
  json?: string;
  html?: string;
  subnet: Cidr;
  bridge: string;
  settleSeconds: number;
  /** per-runtime bound on create..all-serving; undefined = derived from N and the runtime */
  deadlineSeconds?: number;
  /** a started service that has not answered after this long is a failure */
  answerTimeoutSeconds: number;
  memoryMiB: number;
  progress: boolean;
  /** each service is a pod: httpd (the pod's sandbox) plus a sidecar in its network namespace */
  pods: boolean;
}

export const DEFAULTS = {
  runtimes: 'rind,runc,crun',
  count: '20',
  parallel: '4',
  subnet: '10.213.0.0/16',
  bridge: 'rindbench0',
  settle: '10',
  answerTimeout: '120',
  memory: '128',
};

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max} (got ${v})`);
  return n;
}

function num(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got ${v})`);
  return n;
}

export function parseDensityOptions(raw: RawDensityOptions): DensityOptions {
  const names = (raw.runtimes ?? DEFAULTS.runtimes).split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new Error('--runtimes: name at least one of rind, runc, crun');
  for (const n of names) if (!(KNOWN_RUNTIMES as readonly string[]).includes(n)) throw new Error(`--runtimes: unknown runtime ${n} (known: ${KNOWN_RUNTIMES.join(', ')})`);
  if (new Set(names).size !== names.length) throw new Error('--runtimes: a runtime is named twice');
  const count = int('count', raw.count ?? DEFAULTS.count, 1, 10_000);
  const parallel = int('parallel', raw.parallel ?? DEFAULTS.parallel, 1, 256);
  let subnet: Cidr;
  try {
    subnet = parseCidr(raw.subnet ?? DEFAULTS.subnet, true);
  } catch (e) {
    throw new Error(`--subnet: ${(e as Error).message}`);
  }
  if (subnet.prefix < 8 || subnet.prefix > 28) throw new Error('--subnet: use a prefix from /8 to /28');
  // network address, gateway and broadcast are not for services
  if (count > size(subnet) - 3) throw new Error(`--subnet ${raw.subnet ?? DEFAULTS.subnet} has room for ${size(subnet) - 3} services, not ${count}`);
  const bridge = raw.bridge ?? DEFAULTS.bridge;
  if (!/^[a-zA-Z][a-zA-Z0-9_-]{0,14}$/.test(bridge)) throw new Error('--bridge: 1-15 characters, letters, digits, - and _');
  return {
    runtimes: names as RuntimeName[],
    count,
    parallel,
    json: raw.json,
    html: raw.html,
    subnet,
    bridge,
    settleSeconds: num('settle', raw.settle ?? DEFAULTS.settle, 0, 3600),
    deadlineSeconds: raw.deadline === undefined ? undefined : num('deadline', raw.deadline, 1, 86_400),
    answerTimeoutSeconds: num('answer-timeout', raw.answerTimeout ?? DEFAULTS.answerTimeout, 1, 3600),
    memoryMiB: int('memory', raw.memory ?? DEFAULTS.memory, 16, 65_536),
    progress: raw.progress !== false,
    pods: raw.pods === true,
  };
}

/** Default per-runtime deadline: generous for TCG microVMs (~1.6 s of CPU each to boot on 2 cores). */
export function defaultDeadlineSeconds(runtime: RuntimeName, count: number): number {
  return runtime === 'rind' || runtime === 'rind-unikernel' ? 180 + 4 * count : 60 + count;
}
