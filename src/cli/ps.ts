// `rind ps ID [ps options]`: runc prints the host's `ps` (default `-ef`) filtered to the container's pids;
// a VM's processes live in the guest, so rind formats the agent's process facts itself, as procps would.
// Pure (no I/O): the options → columns, the table. Not a ps clone: selection options and unknown ones are refused.
import { RindError } from '../util/errors.js';
import type { GuestProcess, GuestProcs } from '../guest/guest.js';

/** What the columns read: the guest's processes and clock, the container's user and group names. */
export interface PsSnapshot extends GuestProcs {
  users: Map<number, string>;
  groups: Map<number, string>;
}

interface Row {
  p: GuestProcess;
  s: PsSnapshot;
  /** host time now, ms since the epoch */
  now: number;
}

export interface PsColumn {
  header: string;
  right: boolean;
  width: number;
  value: (r: Row) => string;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const elapsedS = (r: Row) => Math.max(0, (r.s.uptimeTicks - r.p.startTicks) / r.s.hz);
const cpuS = (r: Row) => r.p.cpuTicks / r.s.hz;
/** when it started, on the host's clock (the guest's own wall clock may differ; its tick count does not lie) */
const startDate = (r: Row) => new Date(r.now - elapsedS(r) * 1000);

/** [DD-]HH:MM:SS (TIME of -f) */
export function cpuTime(sec: number): string {
  const s = Math.floor(sec);
  const d = Math.floor(s / 86400);
  const hms = `${pad2(Math.floor((s % 86400) / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  return d ? `${d}-${hms}` : hms;
}

/** M:SS (BSD TIME) */
const bsdTime = (sec: number) => `${Math.floor(Math.floor(sec) / 60)}:${pad2(Math.floor(sec) % 60)}`;

/** [[DD-]HH:]MM:SS (ELAPSED) */
export function elapsedTime(sec: number): string {
  const s = Math.floor(sec);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const ms = `${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  if (d) return `${d}-${pad2(h)}:${ms}`;
  return h ? `${pad2(h)}:${ms}` : ms;
}

/** STIME: HH:MM within a day, else MonDD within the year, else the year */
export function startShort(t: Date, now: number): string {
  if (now - t.getTime() < 86400_000) return `${pad2(t.getHours())}:${pad2(t.getMinutes())}`;
  if (t.getFullYear() === new Date(now).getFullYear()) return `${MONTHS[t.getMonth()]}${pad2(t.getDate())}`;
  return String(t.getFullYear());
}

/** STARTED: HH:MM:SS within a day, else Mon DD */
const startLong = (t: Date, now: number) =>
  now - t.getTime() < 86400_000 ? `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}` : `${MONTHS[t.getMonth()]} ${pad2(t.getDate())}`;

/** The terminal's name from its device number (Linux's: pts, tty, ttyS, hvc), '?' for none. */
export function ttyName(nr: number): string {
  if (!nr) return '?';
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5) return ['tty', 'console', 'ptmx'][minor] ?? '?';
  if (major === 229) return `hvc${minor}`;
  return '?';
}

/** BSD STAT: the state, then < (raised priority) or N (lowered), s (session leader), l (threads), + (foreground) */
export function bsdStat(p: GuestProcess): string {
  return `${p.state}${p.nice < 0 ? '<' : p.nice > 0 ? 'N' : ''}${p.session === p.pid ? 's' : ''}${p.threads > 1 ? 'l' : ''}${p.ttyNr && p.tpgid === p.pgrp ? '+' : ''}`;
}

const user = (r: Row) => r.s.users.get(r.p.uid) ?? String(r.p.uid);
const group = (r: Row) => r.s.groups.get(r.p.gid) ?? String(r.p.gid);
const args = (r: Row) => r.p.args || `[${r.p.comm}]`;
const pcpu = (r: Row) => (elapsedS(r) > 0 ? (cpuS(r) * 100) / elapsedS(r) : 0);

type Spec = Omit<PsColumn, 'header'> & { header: string };
const col = (header: string, right: boolean, width: number, value: (r: Row) => string): Spec => ({ header, right, width, value });

/** procps's format specifiers rind knows (-o), with procps's headers and widths */
const FIELDS: Record<string, Spec> = {};
const field = (names: string[], s: Spec) => names.forEach((n) => (FIELDS[n] = s));
field(['pid', 'tgid'], col('PID', true, 5, (r) => String(r.p.pid)));
field(['ppid'], col('PPID', true, 5, (r) => String(r.p.ppid)));
field(['pgid', 'pgrp'], col('PGID', true, 5, (r) => String(r.p.pgrp)));
field(['sid', 'sess', 'session'], col('SID', true, 5, (r) => String(r.p.session)));
field(['uid', 'euid'], col('UID', true, 5, (r) => String(r.p.uid)));
field(['user', 'euser', 'uname'], col('USER', false, 8, user));
field(['gid', 'egid'], col('GID', true, 5, (r) => String(r.p.gid)));
field(['group', 'egroup'], col('GROUP', false, 8, group));
field(['comm', 'ucomm', 'ucmd'], col('COMMAND', false, 15, (r) => r.p.comm));
field(['args', 'cmd', 'command'], col('COMMAND', false, 27, args));
field(['stat'], col('STAT', false, 4, (r) => bsdStat(r.p)));
field(['s', 'state'], col('S', false, 1, (r) => r.p.state));
field(['tty', 'tt', 'tname'], col('TT', false, 8, (r) => ttyName(r.p.ttyNr)));
field(['time', 'cputime'], col('TIME', true, 8, (r) => cpuTime(cpuS(r))));
field(['bsdtime'], col('TIME', true, 6, (r) => bsdTime(cpuS(r))));
field(['etime'], col('ELAPSED', true, 11, (r) => elapsedTime(elapsedS(r))));
field(['etimes'], col('ELAPSED', true, 7, (r) => String(Math.floor(elapsedS(r)))));
field(['stime', 'start_time'], col('STIME', false, 5, (r) => startShort(startDate(r), r.now)));
field(['start'], col('STARTED', true, 8, (r) => startLong(startDate(r), r.now)));
field(['c'], col('C', true, 2, (r) => String(Math.min(99, Math.floor(pcpu(r))))));
field(['pcpu', '%cpu'], col('%CPU', true, 4, (r) => pcpu(r).toFixed(1)));
field(['pmem', '%mem'], col('%MEM', true, 4, (r) => (r.s.memTotalBytes ? (r.p.rssBytes * 100) / r.s.memTotalBytes : 0).toFixed(1)));
field(['vsz', 'vsize'], col('VSZ', true, 6, (r) => String(Math.floor(r.p.vszBytes / 1024))));
field(['rss', 'rssize', 'rsz'], col('RSS', true, 5, (r) => String(Math.floor(r.p.rssBytes / 1024))));
field(['ni', 'nice'], col('NI', true, 3, (r) => String(r.p.nice)));
field(['nlwp', 'thcount'], col('NLWP', true, 4, (r) => String(r.p.threads)));

const use = (name: string, header?: string, width?: number): PsColumn => {
  const f = FIELDS[name];
  return { ...f, header: header ?? f.header, width: width ?? f.width };
};

/** ps with no format option: PID TTY TIME CMD */
const SHORT = () => [use('pid'), use('tty', 'TTY'), use('time'), use('comm', 'CMD', 0)];
/** -f: UID PID PPID C STIME TTY TIME CMD */
const FULL = () => [use('user', 'UID'), use('pid'), use('ppid'), use('c'), use('stime'), use('tty', 'TTY'), use('time'), use('args', 'CMD', 0)];
/** BSD u: USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND */
const BSD_USER = () => [use('user'), use('pid'), use('pcpu'), use('pmem'), use('vsz'), use('rss'), use('tty', 'TTY'), use('stat'), use('stime', 'START'), use('bsdtime'), use('args', undefined, 0)];
/** BSD without u (ax): PID TTY STAT TIME COMMAND */
const BSD = () => [use('pid'), use('tty', 'TTY'), use('stat'), use('bsdtime'), use('args', undefined, 0)];

const SUPPORTED = 'supported: -e -A -a -x -f -w -o FIELDS (--format), BSD a x u w o';

function unsupported(opt: string): never {
  throw new RindError(`ps: option ${opt} is not supported for a VM's processes (rind lists the guest's processes itself; ${SUPPORTED})`);
}

/** -o's list: "pid,comm" or "pid comm"; "name=HEADER" renames (the header runs to the end of the argument). */
function formatList(spec: string): PsColumn[] {
  const cols: PsColumn[] = [];
  let rest = spec;
  while (rest.length) {
    const m = /^[\s,]*([^\s,=]+)(=?)/.exec(rest);
    if (!m) break;
    const name = m[1].toLowerCase();
    if (!FIELDS[name]) throw new RindError(`ps: unknown or unsupported format field ${m[1]} (known: ${Object.keys(FIELDS).join(', ')})`);
    rest = rest.slice(m[0].length);
    if (m[2]) {
      cols.push(use(name, rest));
      break;
    }
    cols.push(use(name));
  }
  if (!cols.length) throw new RindError('ps: -o needs a list of format fields');
  return cols;
}

/** The columns runc's `ps` would show for these ps options (after the container id; none: -ef). */
export function psColumns(argv: string[]): PsColumn[] {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  if (!args.length) return FULL();
  type Kind = 'short' | 'full' | 'bsd-user' | 'list';
  const got: { kind: Kind; bsd: boolean } = { kind: 'short', bsd: false };
  const list: PsColumn[] = [];
  const setKind = (k: Kind) => {
    if (got.kind !== 'short' && got.kind !== k) throw new RindError('ps: conflicting format options');
    got.kind = k;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (rest: string) => {
      if (rest) return rest;
      if (i + 1 >= args.length) throw new RindError(`ps: ${a} needs a value`);
      return args[++i];
    };
    if (a.startsWith('--')) {
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, ''];
      if (name === '--format' || name === '-o') {
        setKind('list');
        list.push(...formatList(value(inline)));
      } else if (name === '--cols' || name === '--columns' || name === '--width') value(inline);
      else unsupported(name);
      continue;
    }
    // UNIX options after a dash, BSD ones without; procps reads -aux (-ux, ...) as BSD aux
    const unix = a.startsWith('-') && !(/^-[aux]+$/.test(a) && a.includes('u') && a.length > 2);
    const letters = a.replace(/^-/, '');
    if (!letters) unsupported(a);
    for (let j = 0; j < letters.length; j++) {
      const c = letters[j];
      if (c === 'o') {
        setKind('list');
        list.push(...formatList(value(letters.slice(j + 1))));
        break;
      }
      // selection: the container's processes are listed whatever is asked; widths are never cut
      if ((unix && 'eAaw'.includes(c)) || (!unix && 'axw'.includes(c))) {
        if (!unix) got.bsd = true;
        continue;
      }
      if (unix && c === 'f') setKind('full');
      else if (!unix && c === 'u') setKind('bsd-user');
      else unsupported(unix ? `-${c}` : c);
    }
  }
  if (got.kind === 'list') return list;
  if (got.kind === 'full') return FULL();
  if (got.kind === 'bsd-user') return BSD_USER();
  return got.bsd ? BSD() : SHORT();
}

/** The table: procps's layout (numbers right-aligned, text left, the last column unpadded), pids in order. */
export function formatPs(cols: PsColumn[], s: PsSnapshot, now: number): string {
  // runc finds the PID column in ps's header to filter the lines: without one it fails, so do we
  if (!cols.some((c) => c.header.split(/\s+/).includes('PID'))) throw new RindError("couldn't find PID field in ps output");
  const listed = new Set(s.pids);
  const rows = s.procs
    .filter((p) => listed.has(p.pid))
    .sort((a, b) => a.pid - b.pid)
    .map((p) => cols.map((c) => c.value({ p, s, now })));
  const widths = cols.map((c, i) => Math.max(c.width, c.header.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((v, i) => (i === cells.length - 1 && !cols[i].right ? v : cols[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join(' ')
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...rows.map(line)].map((l) => `${l}\n`).join('');
}
