// Unit tests for the VMM seam's QEMU side: typed devices become flags, nothing else does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qemuArgv } from '../../src/vmm/qemu/argv.js';
import type { LaunchPlan } from '../../src/vmm/devices.js';
import { requireCapability, type GuestKind } from '../../src/guest/guest.js';
import { linuxGuest } from '../../src/guest/linux/index.js';

const base: LaunchPlan = { stateDir: '/s', accel: 'tcg', memMiB: 64, vcpus: 1, devices: [] };

test('a plan without ports has no virtio-serial bus; console to stdio; exit port', () => {
  const a = qemuArgv({ ...base, boot: { kernel: '/uk', cmdline: 'a b' }, devices: [{ kind: 'console' }, { kind: 'exit-port' }] });
  assert.ok(!a.join(' ').includes('virtio-serial'));
  assert.deepEqual(a.slice(a.indexOf('-serial'), a.indexOf('-serial') + 2), ['-serial', 'stdio']);
  assert.ok(a.join(' ').includes('-device isa-debug-exit,iobase=0xf4,iosize=0x04'));
  assert.ok(a.includes('-kernel') && !a.includes('-initrd'), 'no initramfs: no -initrd');
  assert.equal(a[a.indexOf('-append') + 1], 'a b');
});

test('ports: one bus, chardev ids from names, fd or socket attachments; NICs numbered in order', () => {
  const a = qemuArgv({
    ...base,
    devices: [
      { kind: 'port', name: 'rind.ctl', attach: { socket: '/s/ctl.sock' } },
      { kind: 'port', name: 'rind.io', attach: { fd: 3 } },
      { kind: 'nic', mac: '52:54:00:00:00:01', tap: 't0' },
      { kind: 'nic', mac: '52:54:00:00:00:02' },
    ],
  }).join(' ');
  assert.equal(a.split('virtio-serial-device').length, 2, 'exactly one virtio-serial bus');
  assert.match(a, /-chardev socket,id=ctl,path=\/s\/ctl\.sock,server=on,wait=off -device virtserialport,chardev=ctl,name=rind\.ctl/);
  assert.match(a, /-chardev socket,id=io,fd=3 -device virtserialport,chardev=io,name=rind\.io/);
  assert.match(a, /-netdev tap,id=net0,ifname=t0,script=no,downscript=no -device virtio-net-device,netdev=net0,mac=52:54:00:00:00:01/);
  assert.match(a, /-device virtio-net-device,mac=52:54:00:00:00:02/);
});

test('a guest kind without a capability says so in one line', () => {
  const none = { ...linuxGuest, name: 'test', capabilities: { exec: false, ps: false, stats: false, templates: false } } as GuestKind;
  assert.throws(() => requireCapability(none, 'exec', 'exec'), /^Error: exec is not supported for test containers$|exec is not supported for test containers/);
  assert.doesNotThrow(() => requireCapability(linuxGuest, 'exec', 'exec'));
});
