// Turns the agent's `ps` reply (pid= per process, proc= with its columns' facts) into GuestProcs.
// Untrusted input: every number bounded, names cleaned of control characters, odd records dropped.
import { sanitizeGuestText, type Fields } from './ctl-codec.js';
import type { GuestProcess, GuestProcs } from '../guest.js';

const PROC_FIELDS = 17;

const count = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

/** One proc= value: 15 numbers and the state, then comm and the command line (which may hold \x1f). */
export function parseProcRecord(v: string): GuestProcess | undefined {
  const f = v.split('\x1f');
  if (f.length < PROC_FIELDS) return undefined;
  const args = f.slice(PROC_FIELDS - 1).join(' ');
  const int = (i: number) => {
    const n = Number(f[i]);
    return Number.isSafeInteger(n) ? n : NaN;
  };
  const p: GuestProcess = {
    pid: int(0), ppid: int(1), pgrp: int(2), session: int(3), ttyNr: int(4), tpgid: int(5), state: /^[A-Za-z]$/.test(f[6]) ? f[6] : '?',
    uid: int(7), gid: int(8), cpuTicks: int(9), nice: int(10), threads: int(11), startTicks: int(12), vszBytes: int(13), rssBytes: int(14),
    comm: sanitizeGuestText(f[15], 64), args: sanitizeGuestText(args, 4096).trimEnd(),
  };
  const nums = [p.pid, p.ppid, p.pgrp, p.session, p.ttyNr, p.uid, p.gid, p.cpuTicks, p.threads, p.startTicks, p.vszBytes, p.rssBytes];
  // tpgid is -1 without a controlling terminal
  if (!(p.pid > 0) || nums.some((n) => !(n >= 0)) || !(p.tpgid >= -1) || !(p.nice >= -20 && p.nice <= 19)) return undefined;
  return p;
}

export function parsePs(reply: Fields): GuestProcs {
  const pids = reply.all('pid').map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  const listed = new Set(pids);
  const procs = reply.all('proc').flatMap((v) => {
    const p = parseProcRecord(v);
    return p && listed.has(p.pid) ? [p] : [];
  });
  const hz = count(reply.get('hz'));
  return { pids, procs, hz: hz > 0 ? hz : 100, uptimeTicks: count(reply.get('uptime')), memTotalBytes: count(reply.get('mem_total')) };
}
