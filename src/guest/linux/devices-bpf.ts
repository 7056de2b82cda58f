// Compiles linux.resources.devices (and the nodes every container gets) into the eBPF program cgroup v2 uses as
// its device controller (BPF_PROG_TYPE_CGROUP_DEVICE), sent to the agent as `devices_bpf=`. Pure: no bpf(2) here.
import { RindError } from '../../util/errors.js';

export interface DeviceRule {
  allow: boolean;
  type?: string; // a (all), c, b
  major?: number | null;
  minor?: number | null;
  access?: string; // r, w, m
}

// struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC = { m: 1, r: 2, w: 4 } as const;

/** What runc allows every container on top of its rules (specconv's AllowedDevices): mknod of any node, and the
 * nodes of /dev that every container has (the agent makes them: null, zero, full, random, urandom, tty, console,
 * pts and ptmx). */
const ALWAYS: DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...[[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2]].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
];

function accessMask(a: string | undefined, where: string): number {
  if (a === undefined || a === '') return 7;
  let m = 0;
  for (const ch of a) {
    const bit = ACC[ch as keyof typeof ACC];
    if (!bit) throw new RindError(`${where}: access ${JSON.stringify(a)} (use r, w and m)`);
    m |= bit;
  }
  return m;
}

// eBPF encoding: code, dst | src << 4, off (s16), imm (s32), little-endian
const BPF_LDX_MEM_W = 0x61;
const BPF_ALU_AND_K = 0x54; // 32-bit
const BPF_ALU_RSH_K = 0x74;
const BPF_MOV64_K = 0xb7;
const BPF_MOV64_X = 0xbf;
const BPF_JNE_K = 0x55;
const BPF_EXIT = 0x95;

type Insn = [code: number, dst: number, src: number, off: number, imm: number];

const BPF_JEQ_K = 0x15;

/** One rule: each test jumps past the rule when it fails, then the rule's verdict is returned.
 * Registers: r2 the asked access, r3 the type, r4 major, r5 minor (r6 scratch). */
function ruleInsns(r: DeviceRule, where: string): Insn[] {
  const tests: Insn[][] = []; // each ends with a conditional jump whose offset is set below
  if (r.type && r.type !== 'a') {
    if (r.type !== 'c' && r.type !== 'b') throw new RindError(`${where}: type ${JSON.stringify(r.type)} (use a, c or b)`);
    tests.push([[BPF_JNE_K, 3, 0, 0, r.type === 'c' ? DEV_CHAR : DEV_BLOCK]]);
  }
  const mask = accessMask(r.access, where);
  if (mask !== 7) // allow: only within the rule's access; deny: any asked bit the rule names
    tests.push([[BPF_MOV64_X, 6, 2, 0, 0], [BPF_ALU_AND_K, 6, 0, 0, r.allow ? ~mask & 7 : mask], [r.allow ? BPF_JNE_K : BPF_JEQ_K, 6, 0, 0, 0]]);
  for (const [reg, v, what] of [[4, r.major, 'major'], [5, r.minor, 'minor']] as const) {
    if (v === undefined || v === null || v === -1) continue;
    if (!Number.isInteger(v) || v < 0 || v > 0xfffff) throw new RindError(`${where}: ${what} ${v}`);
    tests.push([[BPF_JNE_K, reg, 0, 0, v]]);
  }
  const out: Insn[] = tests.flat();
  const verdict: Insn[] = [[BPF_MOV64_K, 0, 0, 0, r.allow ? 1 : 0], [BPF_EXIT, 0, 0, 0, 0]];
  // a jump at index i lands after the verdict: off = instructions left after it
  return [...out.map((ins, i): Insn => (ins[0] === BPF_JNE_K || ins[0] === BPF_JEQ_K ? [ins[0], ins[1], ins[2], out.length - 1 - i + verdict.length, ins[4]] : ins)), ...verdict];
}

/**
 * The program: the last rule that matches a request decides (as rules applied in order do), runc's always-allowed
 * nodes after the spec's rules; no rule matching allows (cgroup v1's starting point: a spec denies first, as
 * engines' do). `nodes` are the spec's linux.devices (allowed, as runc does).
 */
export function compileDeviceRules(rules: DeviceRule[], nodes: { type: string; major?: number; minor?: number }[] = []): Buffer {
  const all = [
    ...rules,
    ...ALWAYS,
    ...nodes.filter((n) => n.type === 'c' || n.type === 'b' || n.type === 'u').map((n) => ({ allow: true, type: n.type === 'b' ? 'b' : 'c', major: n.major, minor: n.minor, access: 'rwm' })),
  ];
  const insns: Insn[] = [
    [BPF_LDX_MEM_W, 2, 1, 0, 0], // access_type
    [BPF_MOV64_X, 3, 2, 0, 0],
    [BPF_ALU_AND_K, 3, 0, 0, 0xffff], // type
    [BPF_ALU_RSH_K, 2, 0, 0, 16], // access
    [BPF_LDX_MEM_W, 4, 1, 4, 0], // major
    [BPF_LDX_MEM_W, 5, 1, 8, 0], // minor
  ];
  let decided = false; // a rule without a test (all devices, all access) decides everything before it
  for (let i = all.length - 1; i >= 0 && !decided; i--) {
    const rule = ruleInsns(all[i], i < rules.length ? `linux.resources.devices[${i}]` : 'rind\'s default devices');
    insns.push(...rule);
    decided = rule.length === 2; // the verifier refuses unreachable instructions
  }
  if (!decided) insns.push([BPF_MOV64_K, 0, 0, 0, 1], [BPF_EXIT, 0, 0, 0, 0]);
  if (insns.length > 4096) throw new RindError(`linux.resources.devices: ${rules.length} rules make a program of ${insns.length} instructions (at most 4096)`);
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, dst, src, off, imm], i) => {
    b.writeUInt8(code, i * 8);
    b.writeUInt8(dst | (src << 4), i * 8 + 1);
    b.writeInt16LE(off, i * 8 + 2);
    b.writeInt32LE(imm | 0, i * 8 + 4);
  });
  return b;
}

/** The `devices_bpf=` key, or none when the spec has no device rules (runc installs no filter either then). */
export function deviceProgramFields(rules: unknown, nodes: unknown): string[] {
  if (!Array.isArray(rules) || rules.length === 0) return [];
  const list = rules.map((r, i) => {
    if (!r || typeof r !== 'object' || typeof (r as DeviceRule).allow !== 'boolean') throw new RindError(`linux.resources.devices[${i}]: allow must be true or false`);
    return r as DeviceRule;
  });
  return [`devices_bpf=${compileDeviceRules(list, Array.isArray(nodes) ? nodes : []).toString('base64')}`];
}
