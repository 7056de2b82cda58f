// OCI linux.seccomp → classic BPF, compiled on the host; the agent installs the program with
// seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) after no_new_privs and before execve. The guest is x86_64.
//
// The translation is exact or refused: anything that cannot be expressed as given throws one RindError line.
// Decisions (the spec leaves them to the runtime or to libseccomp):
// - Names. A name that is an x86_64 system call (syscalls-x86_64.ts) gets its rule. A name that is a system call
//   of another ABI only (i386's socketcall, arm_fadvise64_64, the 32-bit *64 variants ...) is skipped with a note:
//   multi-arch profiles such as Docker's list them and the x86_64 kernel has no such call. Any other name is
//   refused (runc skips unknown names silently; a typo would then leave a call unfiltered).
// - ABIs. The rules apply to AUDIT_ARCH_X86_64 system calls without the x32 bit, which is what the filter sees for
//   every x86_64 `syscall`. Any other ABI (i386 via int 0x80, x32 via the 0x40000000 bit, or any other arch value)
//   kills the process, whether or not SCMP_ARCH_X86 / SCMP_ARCH_X32 are listed: the rules name x86_64 numbers and
//   cannot be carried over exactly (different numbering, socketcall/ipc multiplexing), and giving those ABIs the
//   default action would let a deny-list profile be bypassed. The guest kernel (allnoconfig + fragment.config) builds
//   neither IA32_EMULATION nor X86_X32_ABI, so nothing legitimate is lost there. nr == -1 (a tracer skipping a
//   call) is not an ABI: it gets the default action.
//   Listing SCMP_ARCH_X86/X32 or another libseccomp arch is accepted with a note; an unknown arch name is refused.
// - Precedence. For one system call, its rules are tried in profile order and the first whose args all match
//   decides (args in one rule are ANDed, several rules are ORed); no match → defaultAction. An unconditional rule
//   makes the later rules for that call unreachable (noted). One arg index twice in a rule is refused: runc ORs such
//   comparisons, libseccomp ANDs them.
// - errnoRet. SCMP_ACT_ERRNO returns errnoRet (default EPERM), 0..4095; SCMP_ACT_TRACE passes it to the tracer
//   (default EPERM, 0..65535; with no tracer the kernel fails the call with ENOSYS). Any other action with an
//   errnoRet, or a defaultErrnoRet with another defaultAction, is refused, as the spec requires.
// - Refused: SCMP_ACT_NOTIFY, listenerPath, listenerMetadata (rind has no seccomp agent), flags other than
//   TSYNC/LOG/SPEC_ALLOW, values that are not exact uint64s (JSON numbers above 2^53 are not), valueTwo on an op
//   other than SCMP_CMP_MASKED_EQ, programs over the kernel's 4096 instructions.
//
// Program layout: check arch, check the x32 bit, then one entry per system call, in order of first appearance:
// calls whose outcome is a single action are chained (`jeq nr` ×≤256 → one `ret`); calls with arg rules get
// `jeq nr, 0, len` + their block, or `jeq nr, 1, 0; ja len` + their block when it is over 255 instructions. Each
// block ends in a `ret` on every path, so A still holds nr for the next `jeq`. Trailing rules that return what
// falling through would are left out, and so are calls whose every outcome is the default. Arg comparisons are on 64-bit
// values, as two 32-bit words (hi at args[i]+4, lo at args[i], little-endian).
import { RindError } from '../../util/errors.js';
import { NOT_ON_X86_64, X86_64_SYSCALLS } from './syscalls-x86_64.js';

export interface OciSeccompArg {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}

export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}

export interface CompiledSeccomp {
  /** struct sock_filter[]: 8-byte records {u16 code, u8 jt, u8 jf, u32 k}, little-endian, ≤ 4096 of them. */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
  /** What the filter does differently from a literal reading of the profile (skipped names, killed ABIs ...). */
  notes: string[];
}

// struct seccomp_data offsets.
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARGS = 16;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;
export const BPF_MAXINSNS = 4096;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const SECCOMP_FILTER_FLAG = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
} as const;

// Classic BPF opcodes used here.
export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JA: 0x05,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  RET_K: 0x06,
} as const;

const EPERM = 1;
const MAX_ERRNO = 4095;
const CHAIN_MAX = 256;
const ARG_COUNT = 6;

const OTHER_ARCHES = new Set([
  'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
]);

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const stmt = (code: number, k: number): Insn => ({ code, jt: 0, jf: 0, k: k >>> 0 });
const jump = (code: number, k: number, jt: number, jf: number): Insn => ({ code, jt, jf, k: k >>> 0 });
const ret = (k: number): Insn => stmt(BPF.RET_K, k);

function fail(where: string, what: string): never {
  throw new RindError(`${where}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The SECCOMP_RET_* value for an action; errnoRet is validated against it. */
function actionValue(action: unknown, errnoRet: unknown, where: string, errnoKey: string): number {
  if (typeof action !== 'string') fail(where, 'action must be a string');
  if (errnoRet !== undefined && (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0)) {
    fail(where, `${errnoKey} must be a non-negative integer`);
  }
  const data = errnoRet as number | undefined;
  const noErrno = (k: number): number => {
    if (data !== undefined) fail(where, `${errnoKey} is set but ${action} does not return an errno`);
    return k;
  };
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return noErrno(SECCOMP_RET.KILL_THREAD);
    case 'SCMP_ACT_KILL_PROCESS':
      return noErrno(SECCOMP_RET.KILL_PROCESS);
    case 'SCMP_ACT_TRAP':
      return noErrno(SECCOMP_RET.TRAP);
    case 'SCMP_ACT_ALLOW':
      return noErrno(SECCOMP_RET.ALLOW);
    case 'SCMP_ACT_LOG':
      return noErrno(SECCOMP_RET.LOG);
    case 'SCMP_ACT_ERRNO': {
      const e = data ?? EPERM;
      if (e > MAX_ERRNO) fail(where, `${errnoKey} ${e} is above the kernel's largest errno (${MAX_ERRNO})`);
      return (SECCOMP_RET.ERRNO | e) >>> 0;
    }
    case 'SCMP_ACT_TRACE': {
      const e = data ?? EPERM;
      if (e > 0xffff) fail(where, `${errnoKey} ${e} does not fit SCMP_ACT_TRACE's 16-bit data`);
      return (SECCOMP_RET.TRACE | e) >>> 0;
    }
    case 'SCMP_ACT_NOTIFY':
      return fail(where, 'SCMP_ACT_NOTIFY needs a seccomp agent (listenerPath), which rind does not support');
    default:
      return fail(where, `unsupported action ${JSON.stringify(action)}`);
  }
}

function uint64(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffffffffffffffffn) fail(where, `${v} is not a uint64`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(where, `${String(v)} is not a uint64`);
  if (!Number.isSafeInteger(v)) {
    fail(where, `${v} is above 2^53, where JSON numbers are no longer exact; the comparison cannot be trusted`);
  }
  return BigInt(v);
}

type Target = 'next' | 'pass' | 'fail';
interface SymInsn {
  code: number;
  k: number;
  jt?: Target;
  jf?: Target;
}

/** One comparison of a 64-bit argument; 'pass' = the comparison holds, 'fail' = it does not. */
function comparison(index: number, op: string, value: bigint, valueTwo: bigint): SymInsn[] {
  const hi = (v: bigint) => Number(v >> 32n);
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const ldHi: SymInsn = { code: BPF.LD_W_ABS, k: OFF_ARGS + 8 * index + 4 };
  const ldLo: SymInsn = { code: BPF.LD_W_ABS, k: OFF_ARGS + 8 * index };
  const j = (code: number, k: number, jt: Target, jf: Target): SymInsn => ({ code, k, jt, jf });
  const [vh, vl] = [hi(value), lo(value)];
  switch (op) {
    case 'SCMP_CMP_EQ':
      return [ldHi, j(BPF.JEQ_K, vh, 'next', 'fail'), ldLo, j(BPF.JEQ_K, vl, 'pass', 'fail')];
    case 'SCMP_CMP_NE':
      return [ldHi, j(BPF.JEQ_K, vh, 'next', 'pass'), ldLo, j(BPF.JEQ_K, vl, 'fail', 'pass')];
    case 'SCMP_CMP_GT':
      return [ldHi, j(BPF.JGT_K, vh, 'pass', 'next'), j(BPF.JEQ_K, vh, 'next', 'fail'), ldLo,
        j(BPF.JGT_K, vl, 'pass', 'fail')];
    case 'SCMP_CMP_GE':
      return [ldHi, j(BPF.JGT_K, vh, 'pass', 'next'), j(BPF.JEQ_K, vh, 'next', 'fail'), ldLo,
        j(BPF.JGE_K, vl, 'pass', 'fail')];
    case 'SCMP_CMP_LT':
      return [ldHi, j(BPF.JGT_K, vh, 'fail', 'next'), j(BPF.JEQ_K, vh, 'next', 'pass'), ldLo,
        j(BPF.JGE_K, vl, 'fail', 'pass')];
    case 'SCMP_CMP_LE':
      return [ldHi, j(BPF.JGT_K, vh, 'fail', 'next'), j(BPF.JEQ_K, vh, 'next', 'pass'), ldLo,
        j(BPF.JGT_K, vl, 'fail', 'pass')];
    case 'SCMP_CMP_MASKED_EQ': {
      // (arg & value) == valueTwo, as libseccomp and runc read the two values.
      const [dh, dl] = [hi(valueTwo), lo(valueTwo)];
      return [ldHi, { code: BPF.ALU_AND_K, k: vh }, j(BPF.JEQ_K, dh, 'next', 'fail'),
        ldLo, { code: BPF.ALU_AND_K, k: vl }, j(BPF.JEQ_K, dl, 'pass', 'fail')];
    }
    default:
      throw new Error(`unreachable op ${op}`);
  }
}

const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ']);

interface Cmp {
  index: number;
  op: string;
  value: bigint;
  valueTwo: bigint;
}

interface Rule {
  where: string;
  cmps: Cmp[];
  ret: number;
}

/** A rule's instructions: every comparison must pass to reach its `ret`; any failure falls out past the end. */
function ruleInsns(rule: Rule): Insn[] {
  const parts = rule.cmps.map((c) => comparison(c.index, c.op, c.value, c.valueTwo));
  const total = parts.reduce((n, p) => n + p.length, 0) + 1;
  const out: Insn[] = [];
  for (const part of parts) {
    const passAt = out.length + part.length; // start of the next comparison, or the ret
    for (const s of part) {
      const at = out.length;
      const off = (t: Target | undefined): number => {
        if (t === undefined || t === 'next') return 0;
        return (t === 'pass' ? passAt : total) - (at + 1);
      };
      out.push({ code: s.code, jt: off(s.jt), jf: off(s.jf), k: s.k >>> 0 });
    }
  }
  out.push(ret(rule.ret));
  return out;
}

function parseArgs(args: unknown, where: string): Cmp[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) fail(where, 'args must be an array');
  const seen = new Set<number>();
  return args.map((a: unknown, i): Cmp => {
    const at = `${where}.args[${i}]`;
    if (!isObject(a)) fail(at, 'must be an object');
    const { index, op } = a;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= ARG_COUNT) {
      fail(at, `index ${String(index)} is not a system call argument (0-5)`);
    }
    if (seen.has(index)) {
      fail(at, `argument ${index} is compared twice in one rule (runc ORs such comparisons, libseccomp ANDs them); ` +
        'write one rule per comparison instead');
    }
    seen.add(index);
    if (typeof op !== 'string' || !OPS.has(op)) fail(at, `unsupported op ${JSON.stringify(op)}`);
    const value = uint64(a.value, `${at}.value`);
    const valueTwo = a.valueTwo === undefined ? 0n : uint64(a.valueTwo, `${at}.valueTwo`);
    if (op !== 'SCMP_CMP_MASKED_EQ' && valueTwo !== 0n) fail(at, `valueTwo is only used by SCMP_CMP_MASKED_EQ, not ${op}`);
    return { index, op, value, valueTwo };
  });
}

function parseFlags(flags: unknown): number {
  if (flags === undefined) return 0;
  if (!Array.isArray(flags)) fail('linux.seccomp.flags', 'must be an array of strings');
  let bits = 0;
  for (const f of flags) {
    if (typeof f === 'string' && Object.hasOwn(SECCOMP_FILTER_FLAG, f)) {
      bits |= SECCOMP_FILTER_FLAG[f as keyof typeof SECCOMP_FILTER_FLAG];
    } else if (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' || f === 'SECCOMP_FILTER_FLAG_NEW_LISTENER') {
      fail('linux.seccomp.flags', `${f} only applies to SCMP_ACT_NOTIFY, which rind does not support`);
    } else {
      fail('linux.seccomp.flags', `unsupported flag ${JSON.stringify(f)}`);
    }
  }
  return bits;
}

function checkArchitectures(archs: unknown, notes: string[]): void {
  if (archs === undefined) return;
  if (!Array.isArray(archs)) fail('linux.seccomp.architectures', 'must be an array of strings');
  const compat: string[] = [];
  const other: string[] = [];
  for (const a of archs) {
    if (a === 'SCMP_ARCH_X86_64') continue;
    if (a === 'SCMP_ARCH_X86' || a === 'SCMP_ARCH_X32') compat.push(a);
    else if (typeof a === 'string' && OTHER_ARCHES.has(a)) other.push(a);
    else fail('linux.seccomp.architectures', `unsupported architecture ${JSON.stringify(a)}`);
  }
  if (compat.length) {
    notes.push(`${[...new Set(compat)].join(', ')}: the rules apply to x86_64 system calls only; ` +
      'system calls of other ABIs kill the process');
  }
  if (other.length) notes.push(`${[...new Set(other)].join(', ')}: ignored, an x86_64 guest never makes such calls`);
}

/** Translate an OCI linux.seccomp object for an x86_64 guest. Throws RindError for anything not exact. */
export function compileSeccomp(profile: OciSeccomp): CompiledSeccomp {
  if (!isObject(profile)) fail('linux.seccomp', 'must be an object');
  const p = profile as unknown as Record<string, unknown>;
  const notes: string[] = [];
  if (p.listenerPath !== undefined) {
    fail('linux.seccomp.listenerPath', 'seccomp agents (SCMP_ACT_NOTIFY) are not supported by rind');
  }
  if (p.listenerMetadata !== undefined) fail('linux.seccomp.listenerMetadata', 'requires listenerPath, which rind does not support');
  if (p.defaultAction === undefined) fail('linux.seccomp', 'defaultAction is required');
  const defaultRet = actionValue(p.defaultAction, p.defaultErrnoRet, 'linux.seccomp.defaultAction', 'defaultErrnoRet');
  const flags = parseFlags(p.flags);
  checkArchitectures(p.architectures, notes);

  // Rules per system call number, in profile order; the map keeps the order of first appearance.
  const byNr = new Map<number, { name: string; rules: Rule[] }>();
  const skipped = new Set<string>();
  const syscalls = p.syscalls ?? [];
  if (!Array.isArray(syscalls)) fail('linux.seccomp.syscalls', 'must be an array');
  syscalls.forEach((s: unknown, i) => {
    const where = `linux.seccomp.syscalls[${i}]`;
    if (!isObject(s)) fail(where, 'must be an object');
    if (!Array.isArray(s.names) || s.names.length === 0) fail(where, 'names must be a non-empty array');
    const r = actionValue(s.action, s.errnoRet, where, 'errnoRet');
    const cmps = parseArgs(s.args, where);
    for (const name of s.names as unknown[]) {
      if (typeof name !== 'string') fail(where, 'names must be strings');
      const nr = X86_64_SYSCALLS.get(name);
      if (nr === undefined) {
        if (NOT_ON_X86_64.has(name)) {
          skipped.add(name);
          continue;
        }
        fail(where, `unknown system call ${JSON.stringify(name)}`);
      }
      let entry = byNr.get(nr);
      if (!entry) byNr.set(nr, (entry = { name, rules: [] }));
      entry.rules.push({ where, cmps, ret: r });
    }
  });
  if (skipped.size) notes.push(`not x86_64 system calls, their rules skipped: ${[...skipped].join(', ')}`);

  // Per system call: the reachable rules, minus trailing ones that return what falling through would.
  const chains = new Map<number, number[]>(); // ret value → nrs whose every call gets it
  const blocks: { nr: number; insns: Insn[] }[] = [];
  const order: ({ chain: number } | { block: number })[] = [];
  for (const [nr, { name, rules }] of byNr) {
    const cut = rules.findIndex((r) => r.cmps.length === 0);
    if (cut >= 0 && cut < rules.length - 1) {
      notes.push(`${name}: ${rules.slice(cut + 1).map((r) => r.where).join(', ')} never reached, ` +
        `${rules[cut]!.where} matches every call first`);
    }
    const live = cut >= 0 ? rules.slice(0, cut + 1) : rules.slice();
    const fallback = cut >= 0 ? live.pop()!.ret : defaultRet;
    while (live.length && live[live.length - 1]!.ret === fallback) live.pop();
    if (live.length === 0) {
      if (fallback === defaultRet) continue;
      if (!chains.has(fallback)) {
        chains.set(fallback, []);
        order.push({ chain: fallback });
      }
      chains.get(fallback)!.push(nr);
      continue;
    }
    const insns = live.flatMap(ruleInsns);
    insns.push(ret(fallback));
    order.push({ block: blocks.length });
    blocks.push({ nr, insns });
  }

  const prog: Insn[] = [
    stmt(BPF.LD_W_ABS, OFF_ARCH),
    jump(BPF.JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    ret(SECCOMP_RET.KILL_PROCESS),
    stmt(BPF.LD_W_ABS, OFF_NR),
    jump(BPF.JGE_K, X32_SYSCALL_BIT, 0, 2),
    jump(BPF.JEQ_K, 0xffffffff, 1, 0),
    ret(SECCOMP_RET.KILL_PROCESS),
  ];
  for (const o of order) {
    if ('chain' in o) {
      const nrs = chains.get(o.chain)!;
      for (let c = 0; c < nrs.length; c += CHAIN_MAX) {
        const part = nrs.slice(c, c + CHAIN_MAX);
        const m = part.length;
        part.forEach((nr, i) => prog.push(i < m - 1 ? jump(BPF.JEQ_K, nr, m - 1 - i, 0) : jump(BPF.JEQ_K, nr, 0, 1)));
        prog.push(ret(o.chain));
      }
    } else {
      const { nr, insns } = blocks[o.block]!;
      if (insns.length <= 255) prog.push(jump(BPF.JEQ_K, nr, 0, insns.length));
      else prog.push(jump(BPF.JEQ_K, nr, 1, 0), stmt(BPF.JA, insns.length));
      prog.push(...insns);
    }
  }
  prog.push(ret(defaultRet));
  if (prog.length > BPF_MAXINSNS) {
    fail('linux.seccomp', `compiles to ${prog.length} BPF instructions, over the kernel's limit of ${BPF_MAXINSNS}`);
  }

  const program = Buffer.alloc(prog.length * 8);
  prog.forEach((ins, i) => {
    program.writeUInt16LE(ins.code, i * 8);
    program.writeUInt8(ins.jt, i * 8 + 2);
    program.writeUInt8(ins.jf, i * 8 + 3);
    program.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return { program, flags, notes };
}
