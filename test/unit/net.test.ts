// Unit tests for reading the engine's network config from `ip -json` and the wiring scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInterfaces, parseRoutes } from '../../src/net/discover.js';
import { wiringScripts, vmNics, agentNetFields, ipv4Hex } from '../../src/net/wire.js';
import { planVm } from './linux-plan.js';
import { netnsPlan } from '../../src/net/netns.js';
import { validateSpec } from '../../src/oci/spec.js';
import { defaultSpec } from '../../src/oci/default-spec.js';

const addrs = JSON.stringify([
  { ifname: 'lo', link_type: 'loopback', address: '00:00:00:00:00:00', mtu: 65536, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  {
    ifname: 'eth0', link_type: 'ether', address: 'aa:bb:cc:dd:ee:01', mtu: 1450,
    addr_info: [
      { family: 'inet', local: '10.89.0.5', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: 'fd00::5', prefixlen: 64, scope: 'global' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ],
  },
  { ifname: 'rtap0', link_type: 'ether', address: 'aa:bb:cc:dd:ee:02', mtu: 1450, addr_info: [] },
]);

test('interfaces: ethernet only, global addresses only, our taps skipped', () => {
  assert.deepEqual(parseInterfaces(addrs, 'rtap'), [{ name: 'eth0', mac: 'aa:bb:cc:dd:ee:01', mtu: 1450, addrs: ['10.89.0.5/24', 'fd00::5/64'] }]);
});

test('routes: kernel-derived and link-local routes are dropped, gateways last', () => {
  const v4 = JSON.stringify([
    { dst: 'default', gateway: '10.89.0.1', dev: 'eth0', flags: [] },
    { dst: '10.89.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
    { dst: '192.168.7.0/24', dev: 'eth0', scope: 'link' },
    { dst: '172.16.0.0/12', dev: 'other0', gateway: '1.1.1.1' },
  ]);
  const r = parseRoutes(v4, false, new Set(['eth0']));
  assert.deepEqual(r.map((x) => x.dst), ['192.168.7.0/24', 'default']);
  const v6 = JSON.stringify([{ dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel' }, { dst: 'default', gateway: 'fd00::1', dev: 'eth0' }]);
  assert.deepEqual(parseRoutes(v6, true, new Set(['eth0'])).map((x) => [x.dst, x.gateway, x.v6]), [['default', 'fd00::1', true]]);
});

test('wiring mirrors both directions and the guest gets the same MAC', () => {
  const cfg = { interfaces: parseInterfaces(addrs, 'rtap'), routes: [] };
  const s = wiringScripts(cfg);
  assert.match(s.ip, /tuntap add dev rtap0 mode tap\nlink set dev rtap0 mtu 1450 up/);
  assert.match(s.tc, /filter add dev eth0 parent ffff: .* mirred egress redirect dev rtap0/);
  // ARP for the guest's own address reaches it, IPv4 does, and IPv6 since it has an IPv6 address;
  // nothing else (no match-all to the tap)
  assert.match(s.tc, /dev eth0 parent ffff: prio 1 protocol arp u32 match u32 0x0a590005 0xffffffff at 24 action mirred egress redirect dev rtap0\n.*prio 2 protocol ip u32 match u8 0 0 action mirred egress redirect dev rtap0\n.*prio 3 protocol ipv6 u32 match u8 0 0 action mirred egress redirect dev rtap0\n/);
  assert.doesNotMatch(s.tc, /dev eth0 parent ffff: .*protocol all/);
  assert.match(s.tc, /filter add dev rtap0 parent ffff: .* mirred egress redirect dev eth0/);
  const plan = planVm({ spec: validateSpec(defaultSpec()), accel: 'tcg', kernel: '/k', initramfs: '/i', stateDir: '/s', hostCpus: 1, nics: vmNics(cfg) });
  assert.match(plan.qemuArgs.join(' '), /ifname=rtap0,script=no,downscript=no -device virtio-net-device,netdev=net0,mac=aa:bb:cc:dd:ee:01/);
  assert.ok(agentNetFields(cfg).includes('netaddr=eth0\x1f10.89.0.5/24'));
});

test('wiring: a guest without IPv6 addresses gets no IPv6, one with two IPv4 addresses both ARPs', () => {
  const cfg = { interfaces: [{ name: 'eth0', mac: 'aa:bb:cc:dd:ee:01', mtu: 1500, addrs: ['10.0.0.2/24', '192.168.1.255/16'] }], routes: [] };
  const tc = wiringScripts(cfg).tc;
  assert.match(tc, /match u32 0x0a000002 0xffffffff at 24/);
  assert.match(tc, /match u32 0xc0a801ff 0xffffffff at 24/);
  assert.doesNotMatch(tc, /protocol ipv6/);
  assert.equal(ipv4Hex('255.0.16.1'), '0xff001001');
  assert.throws(() => ipv4Hex('10.0.0'), /bad IPv4/);
  assert.throws(() => ipv4Hex('10.0.0.256'), /bad IPv4/);
});

test('netns from the spec: path, pathless (owned) and absent (host)', () => {
  const s = defaultSpec() as any;
  assert.equal(netnsPlan(validateSpec(s), 'x').kind, 'owned');
  s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'network');
  assert.equal(netnsPlan(validateSpec(s), 'x').kind, 'host');
  s.linux.namespaces.push({ type: 'network', path: '/proc/self/ns/net' });
  assert.deepEqual(netnsPlan(validateSpec(s), 'x'), { kind: 'path', path: '/proc/self/ns/net' });
  s.linux.namespaces[s.linux.namespaces.length - 1].path = '/nonexistent/ns';
  assert.throws(() => netnsPlan(validateSpec(s), 'x'), /does not exist/);
});
