// Unit tests for recognising unikernel images (urunc, runh, rind styles) and their command lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectUnikernel, splitWords } from '../../src/guest/unikernel/image.js';
import { hermitCmdline, unikraftCmdline, pvhCmdline, pvhNetHint, ipv4Setup, prefixToMask, shellQuote } from '../../src/guest/unikernel/cmdline.js';
import { qemuArgv } from '../../src/vmm/qemu/argv.js';

const none = () => false;
const net = {
  interfaces: [{ name: 'eth0', mac: 'aa:bb:cc:dd:ee:01', mtu: 1500, addrs: ['fd00::5/64', '10.88.0.5/16'] }],
  routes: [{ dst: 'default', gateway: '10.88.0.1', dev: 'eth0', v6: false }],
};

test('urunc annotations: type, binary, cmdline, initrd; hypervisor other than qemu refused', () => {
  const a = { 'com.urunc.unikernel.unikernelType': 'unikraft', 'com.urunc.unikernel.binary': '/unikernel/app', 'com.urunc.unikernel.cmdline': 'nginx -c "/a b.conf"', 'com.urunc.unikernel.hypervisor': 'qemu' };
  assert.deepEqual(detectUnikernel(a, ['/x'], none), { type: 'unikraft', style: 'urunc', kernel: '/unikernel/app', initrd: undefined, args: ['nginx', '-c', '/a b.conf'] });
  assert.equal(detectUnikernel({ ...a, 'com.urunc.unikernel.unikernelType': 'hermit' }, [], none)?.type, 'hermit');
  assert.throws(() => detectUnikernel({ ...a, 'com.urunc.unikernel.hypervisor': 'firecracker' }, [], none), /hypervisor "firecracker" is not supported: rind runs unikernels with qemu/);
  assert.throws(() => detectUnikernel({ ...a, 'com.urunc.unikernel.unikernelType': 'mirage' }, [], none), /unikernelType "mirage" is not supported/);
  assert.throws(() => detectUnikernel({ 'com.urunc.unikernel.binary': '/k' }, [], none), /without com\.urunc\.unikernel\.unikernelType/);
  assert.throws(() => detectUnikernel({ 'com.urunc.unikernel.unikernelType': 'hermit' }, [], none), /binary is missing/);
});

test('rind annotation: args[0] is the kernel, the rest its command line; bad values refused', () => {
  assert.deepEqual(detectUnikernel({ 'io.rind.guest': 'unikernel' }, ['/kernel', 'a', 'b c'], none), { type: 'pvh', style: 'rind', kernel: '/kernel', args: ['a', 'b c'] });
  assert.equal(detectUnikernel({ 'io.rind.guest': 'linux' }, ['/bin/sh'], () => true), undefined);
  assert.throws(() => detectUnikernel({ 'io.rind.guest': 'wasm' }, ['/k'], none), /io\.rind\.guest "wasm" is not supported/);
  assert.throws(() => detectUnikernel({ 'io.rind.guest': 'unikernel' }, [], none), /process\.args\[0\] must name the kernel/);
  assert.throws(() => detectUnikernel({ 'io.rind.guest': 'unikernel', 'com.urunc.unikernel.unikernelType': 'hermit' }, ['/k'], none), /use one image style/);
});

test('runh layout: hermit/hermit-loader plus the app named by args[0]; anything else is Linux', () => {
  const files = new Set(['hermit/hermit-loader', '/hermit/httpd']);
  assert.deepEqual(detectUnikernel({}, ['/hermit/httpd', '-p', '80'], (p) => files.has(p)), { type: 'hermit', style: 'runh', kernel: 'hermit/hermit-loader', initrd: '/hermit/httpd', args: ['-p', '80'] });
  assert.equal(detectUnikernel({}, ['/bin/sh'], (p) => files.has(p)), undefined);
  assert.equal(detectUnikernel({ 'org.example': 'x' }, ['/bin/sh'], none), undefined, 'unknown annotations are ignored');
});

test('Hermit: -ip/-mask/-gateway, then --, then shell-quoted app args', () => {
  const ip = ipv4Setup(net);
  assert.deepEqual(ip, { address: '10.88.0.5', prefix: 16, netmask: '255.255.0.0', gateway: '10.88.0.1' });
  assert.equal(hermitCmdline(['-p', "it's here"], ip), "-ip 10.88.0.5 -mask 255.255.0.0 -gateway 10.88.0.1 -- -p 'it'\\''s here'");
  assert.equal(hermitCmdline([]), '--');
  assert.equal(shellQuote('a b'), "'a b'");
});

test('Unikraft: netdev.ip=ADDR/PREFIX:GW, then --, then the app args; PVH: args verbatim, network in fw_cfg', () => {
  assert.equal(unikraftCmdline(['-c', 'a b'], ipv4Setup(net)), 'netdev.ip=10.88.0.5/16:10.88.0.1 -- -c "a b"');
  assert.equal(pvhCmdline(['exit=42', 'hello']), 'exit=42 hello');
  assert.equal(pvhNetHint(net), 'ip=10.88.0.5/16 gw=10.88.0.1 mac=aa:bb:cc:dd:ee:01');
  assert.equal(pvhNetHint({ interfaces: [], routes: [] }), undefined);
  assert.equal(prefixToMask(24), '255.255.255.0');
  assert.equal(prefixToMask(0), '0.0.0.0');
  assert.deepEqual(splitWords(' a  "b c" d'), ['a', 'b c', 'd']);
});

test('agentless VM: console on the shim fd, exit port, fw_cfg blob (commas escaped), starts paused, no virtio-serial', () => {
  const a = qemuArgv({
    stateDir: '/s', accel: 'tcg', memMiB: 64, vcpus: 1, startPaused: true, boot: { kernel: '/k', cmdline: 'x' },
    devices: [{ kind: 'console', fd: 3 }, { kind: 'exit-port' }, { kind: 'config-blob', name: 'opt/io.rind/net', value: 'a,b' }],
  });
  const s = a.join(' ');
  assert.match(s, /-chardev socket,id=con,fd=3 -serial chardev:con/);
  assert.match(s, /-fw_cfg name=opt\/io\.rind\/net,string=a,,b/);
  assert.equal(a[a.length - 1], '-S');
  assert.ok(!s.includes('virtio-serial'));
});
