// Unit tests of `rind ps`'s table (src/cli/ps.ts) and of the agent's ps reply parser (guest/linux/ps.ts):
// runc's default -ef columns, -o lists with headers, BSD u, refused options, the PID-column rule, hostile records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bsdStat, cpuTime, elapsedTime, formatPs, psColumns, startShort, ttyName, type PsSnapshot } from '../../src/cli/ps.js';
import { parseProcRecord, parsePs } from '../../src/guest/linux/ps.js';
import { Fields } from '../../src/guest/linux/ctl-codec.js';
import type { GuestProcess } from '../../src/guest/guest.js';

const US = '\x1f';
const rec = (o: Partial<Record<string, string | number>> = {}) => {
  const d: Record<string, string | number> = {
    pid: 7, ppid: 1, pgrp: 7, session: 7, tty: 0, tpgid: -1, state: 'S', uid: 0, gid: 0, cpu: 150, nice: 0, nlwp: 1,
    start: 1000, vsz: 4096 * 1024, rss: 1024 * 1024, comm: 'sh', args: 'sh -c sleep 100', ...o,
  };
  return [d.pid, d.ppid, d.pgrp, d.session, d.tty, d.tpgid, d.state, d.uid, d.gid, d.cpu, d.nice, d.nlwp, d.start, d.vsz, d.rss, d.comm, d.args].join(US);
};

function snap(procs: GuestProcess[], pids = procs.map((p) => p.pid)): PsSnapshot {
  return { pids, procs, hz: 100, uptimeTicks: 101000, memTotalBytes: 100 * 1024 * 1024, users: new Map([[0, 'root'], [1000, 'app']]), groups: new Map([[0, 'root']]) };
}

test('parseProcRecord: fields, args that hold the separator, hostile records dropped', () => {
  const p = parseProcRecord(rec({ tpgid: 7, args: `a${US}b` }))!;
  assert.equal(p.pid, 7);
  assert.equal(p.tpgid, 7);
  assert.equal(p.cpuTicks, 150);
  assert.equal(p.args, 'a b');
  assert.equal(p.comm, 'sh');
  assert.equal(parseProcRecord(rec({ tpgid: -1 }))!.tpgid, -1, 'tpgid -1: no controlling terminal');
  assert.equal(parseProcRecord(rec({ tpgid: -2 })), undefined);
  assert.equal(parseProcRecord(rec({ pid: 0 })), undefined);
  assert.equal(parseProcRecord(rec({ nice: 40 })), undefined);
  assert.equal(parseProcRecord('1\x1f2'), undefined);
  assert.equal(parseProcRecord(rec({ comm: '\x1b[31mred' }))!.comm, ' [31mred', 'control characters are cleaned');
});

test('parsePs: pids from pid=, facts only for listed pids, clock and memory', () => {
  const r = parsePs(new Fields([['hz', '100'], ['uptime', '5000'], ['mem_total', '1048576'], ['pid', '7'], ['proc', rec()], ['pid', '9'], ['proc', rec({ pid: 12 })], ['pid', 'x']]));
  assert.deepEqual(r.pids, [7, 9]);
  assert.deepEqual(r.procs.map((p) => p.pid), [7], 'a proc= for a pid not listed is dropped');
  assert.equal(r.uptimeTicks, 5000);
  assert.equal(r.memTotalBytes, 1048576);
  assert.equal(parsePs(new Fields([])).hz, 100, 'no hz: USER_HZ');
});

test('time, tty and STAT formats are procps\'s', () => {
  assert.equal(cpuTime(1.5), '00:00:01');
  assert.equal(cpuTime(90061), '1-01:01:01');
  assert.equal(elapsedTime(65), '01:05');
  assert.equal(elapsedTime(3723), '01:02:03');
  assert.equal(elapsedTime(90061), '1-01:01:01');
  assert.equal(ttyName(0), '?');
  assert.equal(ttyName((136 << 8) | 3), 'pts/3');
  assert.equal(ttyName((4 << 8) | 65), 'ttyS1');
  assert.equal(ttyName((5 << 8) | 1), 'console');
  const now = new Date(2026, 5, 15, 12, 0, 0).getTime();
  assert.equal(startShort(new Date(now - 3600_000), now), '11:00');
  assert.equal(startShort(new Date(2026, 0, 5, 9, 0), now), 'Jan05');
  assert.equal(startShort(new Date(2024, 0, 5, 9, 0), now), '2024');
  const p = parseProcRecord(rec({ tty: (136 << 8) | 0, tpgid: 7, nlwp: 3, nice: -5 }))!;
  assert.equal(bsdStat(p), 'S<sl+');
});

test('no ps options: runc\'s -ef (UID PID PPID C STIME TTY TIME CMD), container pids only, procps widths', () => {
  const procs = [parseProcRecord(rec({ pid: 9, ppid: 7, uid: 1000, comm: 'sleep', args: 'sleep 100', cpu: 0 }))!, parseProcRecord(rec())!];
  const now = Date.now();
  const out = formatPs(psColumns([]), snap(procs, [7, 9]), now).split('\n');
  assert.equal(out[0], 'UID        PID  PPID  C STIME TTY          TIME CMD', 'as procps prints it');
  assert.match(out[1], /^root\s+7\s+1\s+0 \d\d:\d\d \?\s+00:00:01 sh -c sleep 100$/);
  assert.match(out[2], /^app\s+9\s+7\s+0 \d\d:\d\d \?\s+00:00:00 sleep 100$/);
  assert.equal(out[1].indexOf(' 7 ') + 1, out[0].indexOf('PID') + 2, 'PID is right-aligned under its header');
  assert.equal(out.length, 4);
  assert.deepEqual(formatPs(psColumns(['-ef']), snap(procs), now), formatPs(psColumns([]), snap(procs), now));
  assert.equal(formatPs(psColumns([]), snap([]), now), 'UID        PID  PPID  C STIME TTY          TIME CMD\n', 'a stopped container: the header only');
});

test('-o lists, renamed headers, BSD u and aux, the default short format', () => {
  const procs = [parseProcRecord(rec())!];
  const s = snap(procs);
  const now = Date.now();
  assert.equal(formatPs(psColumns(['-o', 'pid,comm']), s, now), '  PID COMMAND\n    7 sh\n');
  assert.equal(formatPs(psColumns(['-eo', 'pid,user,args']), s, now), '  PID USER     COMMAND\n    7 root     sh -c sleep 100\n');
  assert.equal(formatPs(psColumns(['-o', 'pid,comm=NAME OF IT']), s, now), '  PID NAME OF IT\n    7 sh\n');
  assert.equal(formatPs(psColumns(['--format=pid,etime,nlwp']), s, now), '  PID     ELAPSED NLWP\n    7       16:40    1\n');
  assert.equal(formatPs(psColumns(['-o', 'pid', '-o', 'vsz,rss']), s, now), '  PID    VSZ   RSS\n    7   4096  1024\n');
  const u = formatPs(psColumns(['aux']), s, now).split('\n');
  assert.equal(u[0], 'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND');
  assert.match(u[1], /^root\s+7  0\.1  1\.0   4096  1024 \?\s+Ss\s+\d\d:\d\d\s+0:01 sh -c sleep 100$/);
  assert.deepEqual(psColumns(['-aux']).map((c) => c.header), psColumns(['aux']).map((c) => c.header), 'procps reads -aux as aux');
  assert.deepEqual(psColumns(['-e']).map((c) => c.header), ['PID', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(psColumns(['ax']).map((c) => c.header), ['PID', 'TTY', 'STAT', 'TIME', 'COMMAND']);
});

test('refused: selection by user/pid, unknown fields, conflicting formats; no PID column fails as runc does', () => {
  assert.throws(() => psColumns(['-u', 'root']), /option -u is not supported/);
  assert.throws(() => psColumns(['-p', '1']), /option -p is not supported/);
  assert.throws(() => psColumns(['-o', 'pid,bogus']), /unknown or unsupported format field bogus/);
  assert.throws(() => psColumns(['-o']), /needs a value/);
  assert.throws(() => psColumns(['-f', 'u']), /conflicting format options/);
  assert.throws(() => psColumns(['--sort=pid']), /--sort is not supported/);
  assert.throws(() => formatPs(psColumns(['-o', 'comm']), snap([]), Date.now()), /couldn't find PID field in ps output/);
  assert.throws(() => formatPs(psColumns(['-o', 'pid=']), snap([]), Date.now()), /couldn't find PID field/);
});
