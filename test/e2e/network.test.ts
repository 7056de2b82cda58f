// End-to-end networking: microVM containers on a CNI bridge (Debian's bridge + host-local plugins,
// invoked as the engines do), reachable from the host and from each other; teardown leaves nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor } from './harness.js';
import { attach, detach, deleteBridge, type CniNetwork, type Attachment } from '../../bench/density/cni.js';
import { parseCidr } from '../../bench/density/subnet.js';

const env = newEnv('net');
const net: CniNetwork = { name: 'rindtest', bridge: 'rindtest0', subnet: parseCidr('10.214.0.0/24'), dataDir: mkdtempSync(join(tmpdir(), 'rind-cni-')) };
const attachments: Attachment[] = [];

before(async () => {
  for (const n of ['web1', 'web2']) attachments.push(await attach(net, `rindtest-${n}`, `rindtest-${n}`));
});

after(async () => {
  cleanup(env);
  for (const a of attachments) await detach(net, a).catch(() => undefined);
  try {
    deleteBridge(net.bridge);
  } catch {
    /* already gone */
  }
  rmSync(net.dataDir, { recursive: true, force: true });
});

function webBundle(name: string, netns: string, args?: string[]): string {
  return makeBundle(env, name, args ?? ['httpd', '-f', '-p', '8080', '-h', '/www'], (s) => {
    s.linux.namespaces = s.linux.namespaces.map((n: any) => (n.type === 'network' ? { type: 'network', path: netns } : n));
  });
}

async function get(url: string, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return await r.text();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const inNs = (ns: string, ...cmd: string[]) => execFileSync('nsenter', [`--net=${ns}`, ...cmd], { encoding: 'utf8' });

test('busybox httpd in a microVM answers on the container IP; the VM reaches the gateway and its peer', async () => {
  const [a1, a2] = attachments;
  const b1 = webBundle('web1', a1.netnsPath);
  mkdirSync(join(b1, 'rootfs', 'www'));
  writeFileSync(join(b1, 'rootfs', 'www', 'index.html'), 'hello from web1\n');
  const r = rindDetached(env, ['run', '-d', '--bundle', b1, 'web1'], 'web1');
  env.ids.add('web1');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(await get(`http://${a1.ip}:8080/`, 60_000), 'hello from web1\n');

  // the guest gets the namespace's address and routes (CNI host-local set no default route: add one)
  inNs(a2.netnsPath, 'ip', 'route', 'add', 'default', 'via', '10.214.0.1', 'dev', 'eth0');
  const b2 = webBundle('web2', a2.netnsPath, [
    'sh', '-c', `cat /sys/class/net/eth0/address; ip -o -4 addr show eth0; ip route; ping -c 1 -W 5 10.214.0.1 >/dev/null && echo gw-ok; wget -q -O - http://${a1.ip}:8080/`,
  ]);
  const r2 = rind(env, ['run', '--bundle', b2, 'web2']);
  const out = r2.stdout.toString();
  assert.equal(r2.status, 0, r2.stderr.toString() + out);
  assert.match(out, new RegExp(`inet ${a2.ip.replace(/\./g, '\\.')}/24`));
  assert.match(out, /default via 10\.214\.0\.1/);
  assert.match(out, /gw-ok/);
  const vethMac = JSON.parse(inNs(a2.netnsPath, 'ip', '-j', 'link', 'show', 'eth0'))[0].address;
  assert.equal(out.split('\n')[0], vethMac, "the guest's NIC has the container interface's MAC (also when cloned)");
  assert.match(out, /hello from web1/);

  // broadcasts the guest would only drop never wake it: ARP for other addresses, IPv6 multicast
  // (it has no IPv6 address); its own ARP and unicast pass (the HTTP above)
  const rx = () => Number(rind(env, ['exec', 'web1', 'cat', '/sys/class/net/eth0/statistics/rx_packets']).stdout.toString().trim());
  const rx0 = rx();
  // UDP to unused addresses: the host ARPs for each (broadcast); UDP to ff02::1 floods the bridge
  const u4 = createSocket('udp4');
  const u6 = createSocket('udp6');
  for (let n = 200; n < 206; n++) u4.send('x', 9, `10.214.0.${n}`);
  for (let n = 0; n < 3; n++) u6.send('x', 9, `ff02::1%${net.bridge}`);
  await new Promise((r) => setTimeout(r, 2500));
  u4.close();
  u6.close();
  const rx1 = rx();
  assert.ok(Number.isFinite(rx0) && rx1 - rx0 < 3, `guest received ${rx1 - rx0} packets for others (rx_packets ${rx0} -> ${rx1})`);

  assert.equal(rind(env, ['delete', '--force', 'web1']).status, 0);
  for (const a of attachments) {
    assert.ok(!/rtap/.test(inNs(a.netnsPath, 'ip', 'link', 'show')), 'tap left behind');
    assert.ok(!/ingress/.test(inNs(a.netnsPath, 'tc', 'qdisc', 'show', 'dev', 'eth0')), 'tc ingress left behind');
  }
});

test('a pathless network namespace is created for the container and removed on delete', async () => {
  const b = makeBundle(env, 'own', ['sleep', '1000']);
  const r = rindDetached(env, ['run', '-d', '--bundle', b, 'own'], 'own');
  env.ids.add('own');
  assert.equal(r.status, 0, r.stderr);
  const ours = () => (existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('rind-') && n.endsWith('-own')) : []);
  assert.equal(ours().length, 1);
  assert.equal(rind(env, ['delete', '--force', 'own']).status, 0);
  assert.deepEqual(ours(), []);
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
});
