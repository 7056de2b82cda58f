// Unit tests for the benchmark's subnet arithmetic and route-collision check (bench/density/subnet.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, formatCidr, overlaps, nthAddress, collisions, routeDestinations, size, contains, parseIpv4 } from '../subnet.js';

test('parses and formats CIDRs', () => {
  assert.equal(formatCidr(parseCidr('10.213.0.0/16')), '10.213.0.0/16');
  assert.equal(formatCidr(parseCidr('10.213.7.9/16')), '10.213.0.0/16');
  assert.equal(formatCidr(parseCidr('192.0.2.2')), '192.0.2.2/32');
  assert.throws(() => parseCidr('10.213.7.9/16', true), /host bits/);
  assert.throws(() => parseCidr('10.300.0.0/16'), /not an IPv4/);
  assert.throws(() => parseCidr('10.0.0.0/33'), /prefix/);
  assert.equal(size(parseCidr('10.0.0.0/24')), 256);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
});

test('overlap and containment', () => {
  const s = parseCidr('10.213.0.0/16');
  assert.ok(overlaps(s, parseCidr('10.0.0.0/8')));
  assert.ok(overlaps(s, parseCidr('10.213.5.0/24')));
  assert.ok(!overlaps(s, parseCidr('10.214.0.0/16')));
  assert.ok(!overlaps(s, parseCidr('192.0.2.0/24')));
  assert.ok(contains(s, parseIpv4('10.213.255.1')));
  assert.equal(nthAddress(s, 1), '10.213.0.1');
  assert.equal(nthAddress(s, 300), '10.213.1.44');
  assert.throws(() => nthAddress(parseCidr('10.0.0.0/30'), 4));
});

const ROUTES = `default via 192.0.2.1 dev eth0
192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2
unreachable 10.88.0.0/16 proto static`;
const ADDRS = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever`;

test('route parsing skips default routes and understands route types', () => {
  const d = routeDestinations(ROUTES).map((r) => formatCidr(r.dst));
  assert.deepEqual(d, ['192.0.2.0/24', '127.0.0.0/8', '192.0.2.255/32', '10.88.0.0/16']);
});

test('collisions: none for a free subnet, named for a taken one', () => {
  assert.deepEqual(collisions(parseCidr('10.213.0.0/16'), ROUTES, ADDRS), []);
  const hits = collisions(parseCidr('10.0.0.0/8'), ROUTES, ADDRS);
  assert.equal(hits.length, 1);
  assert.match(hits[0], /10\.88\.0\.0\/16/);
  assert.ok(collisions(parseCidr('192.0.2.128/25'), ROUTES, ADDRS).some((h) => h.startsWith('address:')));
});
