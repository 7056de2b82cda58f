// Unit tests of the device-rule compiler (src/guest/linux/devices-bpf.ts): the program is run by a small
// interpreter of the eBPF it emits, on the requests the kernel would pass (type, major, minor, access).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDeviceRules, deviceProgramFields, type DeviceRule } from '../../src/guest/linux/devices-bpf.js';

const CHAR = 2;
const BLOCK = 1;
const ACC: Record<string, number> = { m: 1, r: 2, w: 4 };

/** Runs the program on one request: its return value (1 allow, 0 deny). */
function run(prog: Buffer, type: number, major: number, minor: number, access: string): number {
  const ctx = [([...access].reduce((m, c) => m | ACC[c], 0) << 16) | type, major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0, steps = 0; steps < 100_000; steps++) {
    const code = prog.readUInt8(pc * 8);
    const dst = prog.readUInt8(pc * 8 + 1) & 15;
    const src = prog.readUInt8(pc * 8 + 1) >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x61: r[dst] = ctx[(r[src] === 0 ? off : NaN) / 4]; assert.equal(src, 1, 'loads only from the context (r1)'); break;
      case 0xbf: r[dst] = r[src]; break;
      case 0xb7: r[dst] = imm; break;
      case 0x54: r[dst] = (r[dst] & imm) >>> 0; break;
      case 0x74: r[dst] = r[dst] >>> imm; break;
      case 0x55: if (r[dst] !== imm) pc += off; break;
      case 0x15: if (r[dst] === imm) pc += off; break;
      case 0x95: return r[0];
      default: throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
    assert.ok(pc >= 0 && pc < prog.length / 8, 'jumps stay in the program');
  }
  throw new Error('no exit');
}

const engineDefault: DeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun, as podman allows
];

test('deny-all then allows: the last matching rule decides; runc\'s default nodes stay allowed', () => {
  const p = compileDeviceRules(engineDefault);
  assert.equal(run(p, CHAR, 1, 3, 'rw'), 1, '/dev/null (always allowed)');
  assert.equal(run(p, CHAR, 1, 9, 'r'), 1, '/dev/urandom');
  assert.equal(run(p, CHAR, 136, 4, 'rw'), 1, '/dev/pts/4');
  assert.equal(run(p, CHAR, 10, 200, 'rw'), 1, 'the spec\'s allow rule');
  assert.equal(run(p, CHAR, 1, 11, 'r'), 0, '/dev/kmsg: denied');
  assert.equal(run(p, CHAR, 4, 64, 'w'), 0, '/dev/ttyS0: denied');
  assert.equal(run(p, BLOCK, 8, 0, 'r'), 0, 'a block device: denied');
  assert.equal(run(p, CHAR, 1, 11, 'm'), 1, 'mknod of any node is allowed (runc), opening it is not');
  assert.equal(run(p, BLOCK, 8, 0, 'm'), 1);
});

test('access subsets: an allow covers only its letters, a deny any of its letters', () => {
  const p = compileDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 7, minor: 1, access: 'r' }]);
  assert.equal(run(p, CHAR, 7, 1, 'r'), 1);
  assert.equal(run(p, CHAR, 7, 1, 'rw'), 0, 'w is not in the allow rule');
  const q = compileDeviceRules([{ allow: true, type: 'c', major: 7, access: 'rwm' }, { allow: false, type: 'c', major: 7, minor: 2, access: 'w' }]);
  assert.equal(run(q, CHAR, 7, 2, 'r'), 1, 'a deny of w leaves r');
  assert.equal(run(q, CHAR, 7, 2, 'rw'), 0, 'asking w is denied');
  assert.equal(run(q, CHAR, 7, 9, 'rw'), 1, 'any minor of major 7');
  assert.equal(run(q, BLOCK, 7, 9, 'r'), 1, 'no rule matches a block device: allowed (cgroup v1\'s starting point)');
});

test('the spec\'s linux.devices nodes are allowed; no rules, no program; bad rules are one line', () => {
  const p = compileDeviceRules([{ allow: false, access: 'rwm' }], [{ type: 'c', major: 1, minor: 11 }]);
  assert.equal(run(p, CHAR, 1, 11, 'rw'), 1);
  assert.deepEqual(deviceProgramFields(undefined, []), []);
  assert.deepEqual(deviceProgramFields([], []), []);
  assert.match(deviceProgramFields(engineDefault, [])[0], /^devices_bpf=[A-Za-z0-9+/]+=*$/);
  assert.throws(() => deviceProgramFields([{ allow: 'yes' }], []), /allow must be true or false/);
  assert.throws(() => compileDeviceRules([{ allow: true, type: 'x' }]), /type "x"/);
  assert.throws(() => compileDeviceRules([{ allow: true, access: 'rq' }]), /access "rq"/);
  assert.throws(() => compileDeviceRules([{ allow: true, major: -2 }]), /major -2/);
});

test('no unreachable instructions (the verifier refuses them): an unconditional rule ends the program', () => {
  for (const rules of [engineDefault, [{ allow: true, access: 'rwm' }, { allow: false, access: 'rwm' }], [{ allow: true, type: 'c', major: 1, access: 'r' }]]) {
    const p = compileDeviceRules(rules as DeviceRule[]);
    const reach = new Set<number>();
    const todo = [0];
    while (todo.length) {
      const pc = todo.pop()!;
      if (reach.has(pc)) continue;
      reach.add(pc);
      const code = p.readUInt8(pc * 8);
      if (code === 0x95) continue;
      todo.push(pc + 1);
      if (code === 0x55 || code === 0x15) todo.push(pc + 1 + p.readInt16LE(pc * 8 + 2));
    }
    assert.equal(reach.size, p.length / 8, `every instruction is reachable (${JSON.stringify(rules)})`);
  }
});
