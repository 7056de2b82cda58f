// Tests of the OCI seccomp → BPF compiler: program shape and refusals, the program's meaning checked by a small BPF
// interpreter against a reference reading of the profile, and the same programs installed in this host's kernel
// with build/testtools/seccomp-run (real system calls, real errnos and signals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AUDIT_ARCH_X86_64, BPF, BPF_MAXINSNS, SECCOMP_RET, compileSeccomp, type OciSeccomp, type OciSyscall,
} from '../../src/guest/linux/seccomp.js';
import { NOT_ON_X86_64, X86_64_SYSCALLS } from '../../src/guest/linux/syscalls-x86_64.js';
import { RindError } from '../../src/util/errors.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SECCOMP_RUN = join(REPO, 'build', 'testtools', 'seccomp-run');
const BUSYBOX = '/bin/busybox';
const AUDIT_ARCH_I386 = 0x40000003;
const nr = (name: string): number => X86_64_SYSCALLS.get(name)!;

// ---- a classic BPF interpreter for the opcodes the compiler emits, with the kernel's structural checks ----

interface Data {
  nr: number;
  arch?: number;
  args?: bigint[];
}

function seccompData(d: Data): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(d.nr >>> 0, 0);
  b.writeUInt32LE((d.arch ?? AUDIT_ARCH_X86_64) >>> 0, 4);
  (d.args ?? []).forEach((a, i) => b.writeBigUInt64LE(a, 16 + 8 * i));
  return b;
}

function runBpf(prog: Buffer, d: Data): number {
  assert.equal(prog.length % 8, 0);
  const n = prog.length / 8;
  assert.ok(n >= 1 && n <= BPF_MAXINSNS, `program length ${n}`);
  const data = seccompData(d);
  let pc = 0;
  let A = 0;
  for (;;) {
    assert.ok(pc < n, `pc ${pc} ran off a ${n}-instruction program`);
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case BPF.LD_W_ABS:
        assert.ok(k % 4 === 0 && k + 4 <= 64, `load at ${k}`);
        A = data.readUInt32LE(k);
        pc++;
        break;
      case BPF.ALU_AND_K:
        A = (A & k) >>> 0;
        pc++;
        break;
      case BPF.JA:
        pc += 1 + k;
        break;
      case BPF.JEQ_K:
        pc += 1 + (A === k ? jt : jf);
        break;
      case BPF.JGT_K:
        pc += 1 + (A > k ? jt : jf);
        break;
      case BPF.JGE_K:
        pc += 1 + (A >= k ? jt : jf);
        break;
      case BPF.RET_K:
        return k;
      default:
        assert.fail(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
}

/** Every jump lands inside the program and the last instruction is a ret (what the kernel's checker demands). */
function assertWellFormed(prog: Buffer): void {
  const n = prog.length / 8;
  for (let pc = 0; pc < n; pc++) {
    const code = prog.readUInt16LE(pc * 8);
    const [jt, jf, k] = [prog.readUInt8(pc * 8 + 2), prog.readUInt8(pc * 8 + 3), prog.readUInt32LE(pc * 8 + 4)];
    if (code === BPF.JA) assert.ok(pc + 1 + k < n, `ja at ${pc} leaves the program`);
    if (code === BPF.JEQ_K || code === BPF.JGT_K || code === BPF.JGE_K) {
      assert.ok(pc + 1 + Math.max(jt, jf) < n, `jump at ${pc} leaves the program`);
    }
  }
  assert.equal(prog.readUInt16LE((n - 1) * 8), BPF.RET_K);
}

// ---- the reference reading of a profile (what the header of seccomp.ts promises) ----

const ACTION_RET: Record<string, number> = {
  SCMP_ACT_KILL: SECCOMP_RET.KILL_THREAD, SCMP_ACT_KILL_THREAD: SECCOMP_RET.KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: SECCOMP_RET.KILL_PROCESS, SCMP_ACT_TRAP: SECCOMP_RET.TRAP, SCMP_ACT_ALLOW: SECCOMP_RET.ALLOW,
  SCMP_ACT_LOG: SECCOMP_RET.LOG,
};
function retOf(action: string, errnoRet: number | undefined): number {
  if (action === 'SCMP_ACT_ERRNO') return (SECCOMP_RET.ERRNO | (errnoRet ?? 1)) >>> 0;
  if (action === 'SCMP_ACT_TRACE') return (SECCOMP_RET.TRACE | (errnoRet ?? 1)) >>> 0;
  return ACTION_RET[action]!;
}

function holds(op: string, arg: bigint, value: bigint, valueTwo: bigint): boolean {
  switch (op) {
    case 'SCMP_CMP_EQ': return arg === value;
    case 'SCMP_CMP_NE': return arg !== value;
    case 'SCMP_CMP_LT': return arg < value;
    case 'SCMP_CMP_LE': return arg <= value;
    case 'SCMP_CMP_GT': return arg > value;
    case 'SCMP_CMP_GE': return arg >= value;
    case 'SCMP_CMP_MASKED_EQ': return (arg & value) === valueTwo;
    default: throw new Error(op);
  }
}

function expected(profile: OciSeccomp, d: Data): number {
  if ((d.arch ?? AUDIT_ARCH_X86_64) !== AUDIT_ARCH_X86_64) return SECCOMP_RET.KILL_PROCESS;
  if (d.nr >>> 0 >= 0x40000000 && d.nr >>> 0 !== 0xffffffff) return SECCOMP_RET.KILL_PROCESS;
  const args = d.args ?? [];
  for (const s of profile.syscalls ?? []) {
    if (!s.names.some((n) => X86_64_SYSCALLS.get(n) === d.nr)) continue;
    const match = (s.args ?? []).every((a) =>
      holds(a.op, args[a.index] ?? 0n, BigInt(a.value), BigInt(a.valueTwo ?? 0)));
    if (match) return retOf(s.action, s.errnoRet);
  }
  return retOf(profile.defaultAction, profile.defaultErrnoRet);
}

/** A deterministic PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const EDGES = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n,
  0x1ffffffffn, 0xffffffff00000000n, 0xfffffffe00000000n, 0x8000000000000000n, 0xffffffffffffffffn,
  0xfffffffffffffffen, 0x1234567800000000n, 0x0000000012345678n, BigInt(Number.MAX_SAFE_INTEGER)];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

const clamp = (x: bigint): bigint => (x < 0n ? 0n : x > 0xffffffffffffffffn ? 0xffffffffffffffffn : x);

/** v, or one off it either way. */
function near(r: () => number, v: bigint): bigint {
  return clamp(v + pick(r, [-1n, 0n, 0n, 1n]));
}

// ---- shape ----

test('program header: arch check, x32 check, then the default action', () => {
  const { program, flags, notes } = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' });
  assert.equal(flags, 0);
  assert.deepEqual(notes, []);
  const words = [];
  for (let i = 0; i < program.length; i += 8) {
    words.push([program.readUInt16LE(i), program.readUInt8(i + 2), program.readUInt8(i + 3), program.readUInt32LE(i + 4)]);
  }
  assert.deepEqual(words, [
    [BPF.LD_W_ABS, 0, 0, 4],
    [BPF.JEQ_K, 1, 0, AUDIT_ARCH_X86_64],
    [BPF.RET_K, 0, 0, SECCOMP_RET.KILL_PROCESS],
    [BPF.LD_W_ABS, 0, 0, 0],
    [BPF.JGE_K, 0, 2, 0x40000000],
    [BPF.JEQ_K, 1, 0, 0xffffffff],
    [BPF.RET_K, 0, 0, SECCOMP_RET.KILL_PROCESS],
    [BPF.RET_K, 0, 0, SECCOMP_RET.ALLOW],
  ]);
});

test('unconditional rules share one ret per action; rules equal to the default add nothing', () => {
  const p: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
      { names: ['getpid'], action: 'SCMP_ACT_ERRNO' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  };
  const { program } = compileSeccomp(p);
  // 7 header + (3 jeq + ret) + (1 jeq + ret) + default ret
  assert.equal(program.length / 8, 7 + 4 + 2 + 1);
  assertWellFormed(program);
  assert.equal(runBpf(program, { nr: nr('write') }), SECCOMP_RET.ALLOW);
  assert.equal(runBpf(program, { nr: nr('mkdir') }), SECCOMP_RET.ERRNO | 38);
  assert.equal(runBpf(program, { nr: nr('getpid') }), SECCOMP_RET.ERRNO | 1);
  assert.equal(runBpf(program, { nr: nr('uname') }), SECCOMP_RET.ERRNO | 1);
});

test('every action and errnoRet maps to its SECCOMP_RET value', () => {
  const cases: [OciSyscall, number][] = [
    [{ names: ['getpid'], action: 'SCMP_ACT_KILL' }, 0],
    [{ names: ['getpid'], action: 'SCMP_ACT_KILL_THREAD' }, 0],
    [{ names: ['getpid'], action: 'SCMP_ACT_KILL_PROCESS' }, 0x80000000],
    [{ names: ['getpid'], action: 'SCMP_ACT_TRAP' }, 0x00030000],
    [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }, 0x00050001],
    [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 0 }, 0x00050000],
    [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 4095 }, 0x00050fff],
    [{ names: ['getpid'], action: 'SCMP_ACT_TRACE' }, 0x7ff00001],
    [{ names: ['getpid'], action: 'SCMP_ACT_TRACE', errnoRet: 0xffff }, 0x7ff0ffff],
    [{ names: ['getpid'], action: 'SCMP_ACT_LOG' }, 0x7ffc0000],
  ];
  for (const [rule, want] of cases) {
    const { program } = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule] });
    assert.equal(runBpf(program, { nr: nr('getpid') }), want, JSON.stringify(rule));
    assert.equal(runBpf(program, { nr: nr('getppid') }), SECCOMP_RET.ALLOW);
  }
  const d = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 });
  assert.equal(runBpf(d.program, { nr: 0 }), 0x00050026);
});

test('flags become SECCOMP_FILTER_FLAG_* bits', () => {
  const { flags } = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
  });
  assert.equal(flags, 7);
});

test('foreign ABIs are killed; nr -1 gets the default action', () => {
  const p: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }],
  };
  const { program, notes } = compileSeccomp(p);
  assert.equal(runBpf(program, { nr: nr('getpid') }), SECCOMP_RET.ALLOW);
  assert.equal(runBpf(program, { nr: 20, arch: AUDIT_ARCH_I386 }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(runBpf(program, { nr: nr('getpid') | 0x40000000 }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(runBpf(program, { nr: 0x40000000 }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(runBpf(program, { nr: 0xfffffffe }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(runBpf(program, { nr: 0xffffffff }), SECCOMP_RET.ERRNO | 1);
  assert.equal(runBpf(program, { nr: 0x3fffffff }), SECCOMP_RET.ERRNO | 1);
  assert.match(notes.join('\n'), /SCMP_ARCH_X86, SCMP_ARCH_X32: the rules apply to x86_64 system calls only/);
  const other = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_AARCH64'] });
  assert.match(other.notes.join('\n'), /SCMP_ARCH_AARCH64: ignored/);
});

test('names of other ABIs are skipped with a note; an unconditional rule hides later ones', () => {
  const { program, notes } = compileSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['socketcall', '_llseek', 'mkdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['mkdir'], action: 'SCMP_ACT_KILL_PROCESS' },
    ],
  });
  assert.equal(runBpf(program, { nr: nr('mkdir') }), SECCOMP_RET.ERRNO | 1);
  assert.deepEqual(notes, [
    'not x86_64 system calls, their rules skipped: socketcall, _llseek',
    'mkdir: linux.seccomp.syscalls[1] never reached, linux.seccomp.syscalls[0] matches every call first',
  ]);
});

test('the syscall table: generated numbers and the other-ABI names do not overlap', () => {
  assert.equal(nr('read'), 0);
  assert.equal(nr('mkdir'), 83);
  assert.equal(nr('mkdirat'), 258);
  assert.equal(nr('personality'), 135);
  assert.equal(nr('set_mempolicy_home_node'), 450);
  assert.equal(nr('mseal'), 462);
  for (const n of NOT_ON_X86_64) assert.ok(!X86_64_SYSCALLS.has(n), n);
  assert.ok(NOT_ON_X86_64.has('socketcall') && NOT_ON_X86_64.has('arm_fadvise64_64') && NOT_ON_X86_64.has('fstat64'));
  const nums = [...X86_64_SYSCALLS.values()];
  assert.equal(new Set(nums).size, nums.length, 'numbers are unique');
});

// ---- refusals: one line each, naming the problem ----

test('refuses what it cannot translate exactly, with one clear line', () => {
  const base = (s: Partial<OciSeccomp>): OciSeccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', ...s });
  const rule = (r: Partial<OciSyscall>): OciSeccomp => base({ syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', ...r }] });
  const cases: [unknown, RegExp][] = [
    [rule({ names: ['getpidd'] }), /^linux\.seccomp\.syscalls\[0\]: unknown system call "getpidd"$/],
    [rule({ names: [] }), /syscalls\[0\]: names must be a non-empty array/],
    [rule({ action: 'SCMP_ACT_NOTIFY' }), /SCMP_ACT_NOTIFY needs a seccomp agent/],
    [rule({ action: 'SCMP_ACT_MAYBE' }), /syscalls\[0\]: unsupported action "SCMP_ACT_MAYBE"/],
    [base({ defaultAction: 'SCMP_ACT_NOTIFY' }), /^linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY/],
    [{}, /defaultAction is required/],
    [rule({ action: 'SCMP_ACT_ALLOW', errnoRet: 1 }), /errnoRet is set but SCMP_ACT_ALLOW does not return an errno/],
    [base({ defaultErrnoRet: 1 }), /defaultErrnoRet is set but SCMP_ACT_ALLOW does not return an errno/],
    [rule({ errnoRet: 4096 }), /errnoRet 4096 is above the kernel's largest errno/],
    [rule({ errnoRet: -1 }), /errnoRet must be a non-negative integer/],
    [rule({ action: 'SCMP_ACT_TRACE', errnoRet: 0x10000 }), /does not fit SCMP_ACT_TRACE's 16-bit data/],
    [base({ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'] }), /unsupported architecture "SCMP_ARCH_VAX"/],
    [base({ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }), /only applies to SCMP_ACT_NOTIFY/],
    [base({ flags: ['SECCOMP_FILTER_FLAG_TSYNC_ESRCH'] }), /unsupported flag "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"/],
    [base({ listenerPath: '/run/agent.sock' }), /^linux\.seccomp\.listenerPath: seccomp agents/],
    [base({ listenerMetadata: 'x' }), /listenerMetadata: requires listenerPath/],
    [rule({ args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }), /args\[0\]: index 6 is not a system call argument/],
    [rule({ args: [{ index: 0, value: 0, op: 'SCMP_CMP_ABOUT' }] }), /args\[0\]: unsupported op "SCMP_CMP_ABOUT"/],
    [rule({ args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }), /args\[0\]\.value: -1 is not a uint64/],
    [rule({ args: [{ index: 0, value: 2 ** 64, op: 'SCMP_CMP_EQ' }] }), /args\[0\]\.value: .* above 2\^53/],
    [rule({ args: [{ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }] }), /1\.5 is not a uint64/],
    [rule({ args: [{ index: 0, value: 1, valueTwo: 1, op: 'SCMP_CMP_EQ' }] }), /valueTwo is only used by SCMP_CMP_MASKED_EQ/],
    [rule({ args: [{ index: 0, value: 1, op: 'SCMP_CMP_GE' }, { index: 0, value: 9, op: 'SCMP_CMP_LE' }] }),
      /args\[1\]: argument 0 is compared twice in one rule/],
  ];
  for (const [profile, message] of cases) {
    assert.throws(() => compileSeccomp(profile as OciSeccomp), (e: unknown) => {
      assert.ok(e instanceof RindError, `not a RindError: ${String(e)}`);
      assert.ok(!e.message.includes('\n'));
      assert.match(e.message, message);
      return true;
    }, JSON.stringify(profile));
  }
});

test('refuses a program over the kernel limit of 4096 instructions', () => {
  // 6 comparisons × 5-6 instructions per rule: 120 rules on one call are far past 4096.
  const args = [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: index, op: 'SCMP_CMP_GT' }));
  const syscalls = Array.from({ length: 140 }, () => ({ names: ['getpid'], action: 'SCMP_ACT_ERRNO', args }));
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }),
    /^RindError: linux\.seccomp: compiles to \d+ BPF instructions, over the kernel's limit of 4096$/);
});

// ---- meaning: compiled program vs the reference reading, on edge values ----

test('64-bit comparisons: every op on hi and lo words, against the reference', () => {
  for (const op of OPS) {
    for (const value of EDGES) {
      const valueTwo = op === 'SCMP_CMP_MASKED_EQ' ? value & 0xff00ff00ff00ff00n : undefined;
      const p: OciSeccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 3, value, valueTwo, op }] }],
      };
      const { program } = compileSeccomp(p);
      assertWellFormed(program);
      for (const a of EDGES) {
        for (const arg of [a, clamp(a - 1n), clamp(a + 1n)]) {
          const d = { nr: nr('getpid'), args: [0n, 0n, 0n, arg] };
          assert.equal(runBpf(program, d), expected(p, d), `${op} ${value} vs ${arg}`);
        }
      }
    }
  }
});

test('random profiles (ANDed args, ORed rules, first match wins, long blocks, long chains) match the reference', () => {
  const r = rng(20240607);
  const names = ['getpid', 'getppid', 'read', 'write', 'mkdir', 'personality', 'socket', 'uname'];
  const actions = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG',
    'SCMP_ACT_TRACE', 'SCMP_ACT_KILL'];
  let sawLong = false;
  for (let round = 0; round < 300; round++) {
    const syscalls: OciSyscall[] = [];
    const nRules = round % 10 === 0 ? 60 + Math.floor(r() * 40) : 1 + Math.floor(r() * 8);
    for (let i = 0; i < nRules; i++) {
      const action = pick(r, actions);
      const errnoRet = action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE'
        ? (r() < 0.5 ? undefined : Math.floor(r() * 200)) : undefined;
      const indexes = [0, 1, 2, 3, 4, 5].filter(() => r() < 0.3);
      const args = indexes.map((index) => {
        const op = pick(r, OPS);
        const value = pick(r, EDGES);
        return { index, op, value, valueTwo: op === 'SCMP_CMP_MASKED_EQ' ? near(r, pick(r, EDGES)) & value : undefined };
      });
      syscalls.push({
        names: names.filter(() => r() < 0.3).concat(pick(r, names)), action, errnoRet,
        ...(args.length || r() < 0.3 ? { args } : {}),
      });
    }
    const p: OciSeccomp = { defaultAction: pick(r, actions), syscalls };
    const { program } = compileSeccomp(p);
    assertWellFormed(program);
    if (program.length / 8 > 300) sawLong = true;
    for (let probe = 0; probe < 200; probe++) {
      const d = { nr: nr(pick(r, names)), args: [0, 1, 2, 3, 4, 5].map(() => near(r, pick(r, EDGES))) };
      assert.equal(runBpf(program, d), expected(p, d), `round ${round} ${JSON.stringify(p, (_, v) => typeof v === 'bigint' ? `${v}n` : v)}`);
    }
  }
  assert.ok(sawLong, 'some programs needed the long (ja) block form');
});

test('more than 256 calls with one action are split into several chains', () => {
  const all = [...X86_64_SYSCALLS.keys()];
  const p: OciSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13, syscalls: [{ names: all, action: 'SCMP_ACT_ALLOW' }] };
  const { program } = compileSeccomp(p);
  assertWellFormed(program);
  assert.ok(all.length > 256);
  assert.equal(program.length / 8, 7 + all.length + Math.ceil(all.length / 256) + 1);
  for (const n of X86_64_SYSCALLS.values()) assert.equal(runBpf(program, { nr: n }), SECCOMP_RET.ALLOW);
  assert.equal(runBpf(program, { nr: 1000 }), SECCOMP_RET.ERRNO | 13);
});

// ---- the real kernel ----

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const work = mkdtempSync(join(tmpdir(), 'rind-seccomp-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
let files = 0;

/** Compile (or take "-" for no filter), then run `cmd` under seccomp-run. */
function run(profile: OciSeccomp | '-', cmd: string[]): Run {
  assert.ok(existsSync(SECCOMP_RUN), `${SECCOMP_RUN} is missing: run scripts/setup.sh (native/testtools/build.sh)`);
  let path = '-';
  let flags = 0;
  if (profile !== '-') {
    const c = compileSeccomp(profile);
    path = join(work, `p${files++}.bin`);
    writeFileSync(path, c.program);
    flags = c.flags;
  }
  const r = spawnSync(SECCOMP_RUN, [path, String(flags), '--', ...cmd], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** @syscall under the profile: "ret N" / "errno N", or the signal that killed it. */
function sys(profile: OciSeccomp | '-', ...argv: (number | bigint | string)[]): string {
  const r = run(profile, ['@syscall', ...argv.map(String)]);
  if (r.signal) return r.signal;
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const pid = (s: string): boolean => /^ret [1-9]\d*$/.test(s);

test('kernel: default ALLOW, mkdir/mkdirat denied with errno 38; echo still works', () => {
  const p: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
  };
  const dir = join(work, 'made');
  const denied = run(p, [BUSYBOX, 'mkdir', dir]);
  assert.equal(denied.status, 1);
  assert.match(denied.stderr, /Function not implemented/);
  assert.ok(!existsSync(dir));
  const echo = run(p, [BUSYBOX, 'echo', 'still here']);
  assert.equal(echo.status, 0);
  assert.equal(echo.stdout, 'still here\n');
  const baseline = run('-', [BUSYBOX, 'mkdir', dir]);
  assert.equal(baseline.status, 0, baseline.stderr);
  assert.ok(existsSync(dir));
});

test('kernel: /proc/self/status shows Seccomp: 2 under the filter', () => {
  const under = run({ defaultAction: 'SCMP_ACT_ALLOW' }, [BUSYBOX, 'cat', '/proc/self/status']);
  assert.equal(under.status, 0);
  assert.match(under.stdout, /^Seccomp:\t2$/m);
  assert.match(under.stdout, /^NoNewPrivs:\t1$/m);
  const baseline = run('-', [BUSYBOX, 'cat', '/proc/self/status']);
  assert.match(baseline.stdout, /^Seccomp:\t0$/m);
});

test('kernel: default ERRNO allow-list', () => {
  const p: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13,
    syscalls: [{ names: ['write', 'exit_group', 'getpid'], action: 'SCMP_ACT_ALLOW' }],
  };
  assert.ok(pid(sys(p, nr('getpid'))));
  assert.equal(sys(p, nr('getuid')), 'errno 13');
  assert.equal(sys(p, nr('uname'), 0), 'errno 13');
  assert.ok(/^ret \d+$/.test(sys('-', nr('getuid'))));
  // What static busybox echo needs (strace on this host), and nothing else.
  const echoOnly: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13,
    syscalls: [{ names: ['execve', 'arch_prctl', 'brk', 'exit_group', 'getrandom', 'getuid', 'mprotect', 'prctl',
      'prlimit64', 'readlink', 'rseq', 'set_robust_list', 'set_tid_address', 'write'], action: 'SCMP_ACT_ALLOW' }],
  };
  const echo = run(echoOnly, [BUSYBOX, 'echo', 'ok']);
  assert.equal(echo.status, 0, echo.stderr);
  assert.equal(echo.stdout, 'ok\n');
  const dir = join(work, 'keep');
  mkdirSync(dir);
  const rmdir = run(echoOnly, [BUSYBOX, 'rmdir', dir]);
  assert.equal(rmdir.status, 1);
  assert.match(rmdir.stderr, /Permission denied/);
  // The whole table allowed except rmdir and unlinkat: chains over 256 calls, only rmdir is refused.
  const all: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
    syscalls: [{ names: [...X86_64_SYSCALLS.keys()].filter((n) => n !== 'rmdir' && n !== 'unlinkat'), action: 'SCMP_ACT_ALLOW' }],
  };
  const denied = run(all, [BUSYBOX, 'rmdir', dir]);
  assert.equal(denied.status, 1);
  assert.match(denied.stderr, /Operation not permitted/);
  assert.ok(existsSync(dir));
  assert.equal(run(all, [BUSYBOX, 'echo', 'ok']).stdout, 'ok\n');
  assert.equal(run('-', [BUSYBOX, 'rmdir', dir]).status, 0);
  assert.ok(!existsSync(dir));
});

test('kernel: personality denied only when arg0 == 0xffffffff (all 64 bits)', () => {
  const p: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 95,
      args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] }],
  };
  assert.equal(sys('-', nr('personality'), 0xffffffff), 'ret 0');
  assert.equal(sys(p, nr('personality'), 0xffffffff), 'errno 95');
  // Same low word, a high bit set: the kernel reads an unsigned int (a query again), the filter compares 64 bits.
  assert.equal(sys(p, nr('personality'), 0x1ffffffffn), 'ret 0');
});

test('kernel: every op on 64-bit args of a real call, against the reference', () => {
  const values = [0n, 0xffffffffn, 0x100000000n, 0x1ffffffffn, 0xffffffff00000000n, 0xffffffffffffffffn];
  for (const op of OPS) {
    for (const value of [0xffffffffn, 0x100000000n]) {
      const valueTwo = op === 'SCMP_CMP_MASKED_EQ' ? 0x100000000n : undefined;
      const p: OciSeccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 2, value, valueTwo, op }] }],
      };
      for (const arg of values) {
        const want = expected(p, { nr: nr('getppid'), args: [0n, 0n, arg] }) === SECCOMP_RET.ALLOW;
        const got = sys(p, nr('getppid'), 0, 0, arg);
        if (want) assert.ok(pid(got), `${op} ${value}: arg ${arg} should pass, got ${got}`);
        else assert.equal(got, 'errno 7', `${op} ${value}: arg ${arg}`);
      }
    }
  }
});

test('kernel: MASKED_EQ on a high word, several args ANDed, first matching rule wins', () => {
  const p: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 11,
        args: [{ index: 0, value: 0xff00000000, valueTwo: 0x1200000000, op: 'SCMP_CMP_MASKED_EQ' },
          { index: 1, value: 5, op: 'SCMP_CMP_LT' }] },
      { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 1, value: 3, op: 'SCMP_CMP_GE' }] },
    ],
  };
  assert.equal(sys(p, nr('getppid'), 0xab12ffffffffn, 4), 'errno 11'); // both args of rule 1 hold
  assert.equal(sys(p, nr('getppid'), 0xab12ffffffffn, 5), 'errno 22'); // rule 1's arg1 fails; rule 2 holds
  assert.equal(sys(p, nr('getppid'), 0xab13ffffffffn, 4), 'errno 22'); // rule 1's mask fails; rule 2 holds
  assert.equal(sys(p, nr('getppid'), 0x1200000000n, 2), 'errno 11'); // high word masked, low word ignored
  assert.ok(pid(sys(p, nr('getppid'), 0xab13ffffffffn, 2))); // neither rule
});

test('kernel: actions — KILL_PROCESS, KILL, TRAP give SIGSYS; LOG allows; TRACE without a tracer is ENOSYS', () => {
  const one = (action: string): OciSeccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action }] });
  const killed = run(one('SCMP_ACT_KILL_PROCESS'), ['@syscall', String(nr('getppid'))]);
  assert.equal(killed.signal, 'SIGSYS');
  assert.equal(killed.stdout, '');
  assert.equal(sys(one('SCMP_ACT_KILL'), nr('getppid')), 'SIGSYS');
  assert.equal(sys(one('SCMP_ACT_KILL_THREAD'), nr('getppid')), 'SIGSYS');
  assert.equal(sys(one('SCMP_ACT_TRAP'), nr('getppid')), 'SIGSYS');
  assert.ok(pid(sys(one('SCMP_ACT_LOG'), nr('getppid'))));
  assert.equal(sys(one('SCMP_ACT_TRACE'), nr('getppid')), 'errno 38');
  const mkdir = run({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL_PROCESS' }] },
    [BUSYBOX, 'mkdir', join(work, 'never')]);
  assert.equal(mkdir.signal, 'SIGSYS');
  assert.ok(!existsSync(join(work, 'never')));
});

test('kernel: i386 and x32 system calls are killed; nr -1 gets the default action', (t) => {
  const p: OciSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] };
  const int80 = (prof: OciSeccomp | '-'): string => {
    const r = run(prof, ['@int80', '20']); // i386 getpid
    return r.signal ?? r.stdout.trim();
  };
  const base = int80('-');
  if (pid(base)) assert.equal(int80(p), 'SIGSYS');
  else t.diagnostic(`no IA32 emulation on this host (int 0x80 gave ${base}); i386 part not checked`);
  assert.equal(sys('-', 0x40000000 + nr('getpid')), 'errno 38'); // x32 is off on this host: ENOSYS ...
  assert.equal(sys(p, 0x40000000 + nr('getpid')), 'SIGSYS'); // ... but the filter runs first
  assert.equal(sys({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5, syscalls: [{ names: ['write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] },
    0xffffffffffffffffn), 'errno 5');
});

test('kernel: flags TSYNC|LOG|SPEC_ALLOW are accepted', () => {
  const p: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 9 }],
  };
  assert.equal(sys(p, nr('getppid')), 'errno 9');
});

test('kernel: a long program (ja blocks, near the limit) loads and behaves like the reference', () => {
  const r = rng(7);
  const syscalls: OciSyscall[] = Array.from({ length: 110 }, (_, i) => ({
    names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 100 + i,
    args: [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: pick(r, EDGES), op: pick(r, ['SCMP_CMP_GE', 'SCMP_CMP_LE', 'SCMP_CMP_NE']) })),
  }));
  const p: OciSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls };
  const { program } = compileSeccomp(p);
  assert.ok(program.length / 8 > 3000, `${program.length / 8} instructions`);
  for (let probe = 0; probe < 12; probe++) {
    const args = [0, 1, 2, 3, 4, 5].map(() => near(r, pick(r, EDGES)));
    const want = expected(p, { nr: nr('getppid'), args });
    const got = sys(p, nr('getppid'), ...args);
    if (want === SECCOMP_RET.ALLOW) assert.ok(pid(got), got);
    else assert.equal(got, `errno ${want & 0xffff}`);
  }
});
