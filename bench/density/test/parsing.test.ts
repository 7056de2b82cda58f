// Unit tests for the benchmark's host-facing parsers: CNI config/result, mountinfo and /proc/cgroups,
// /proc/PID/stat and process trees, and the per-service OCI spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cniConfig, parseCniResult } from '../cni.js';
import { cgroupMounts, v1MountOptions, cgroupCounts } from '../mountns.js';
import { withDescendants } from '../measure.js';
import { parseStat, type ProcInfo } from '../../../src/host/proc.js';
import { serviceSpec, pageFor } from '../bundle.js';
import { serviceId, netnsPrefix, pool } from '../runner.js';
import { parseCidr } from '../subnet.js';

test('CNI config: bridge + host-local in the run subnet, gateway .1, private data dir, no masquerade', () => {
  const c = cniConfig({ name: 'rind-density-ab12', bridge: 'rindbench0', subnet: parseCidr('10.213.0.0/16'), dataDir: '/tmp/w/ipam' }) as any;
  assert.equal(c.type, 'bridge');
  assert.equal(c.cniVersion, '1.0.0');
  assert.equal(c.bridge, 'rindbench0');
  assert.equal(c.isGateway, true);
  assert.equal(c.ipMasq, false);
  assert.deepEqual(c.ipam, { type: 'host-local', ranges: [[{ subnet: '10.213.0.0/16', gateway: '10.213.0.1' }]], dataDir: '/tmp/w/ipam' });
});

test('CNI result: the container IPv4 and the host-side veth', () => {
  const result = {
    cniVersion: '1.0.0',
    interfaces: [
      { name: 'rindbench0', mac: 'aa:aa:aa:aa:aa:aa' },
      { name: 'veth1234abcd', mac: 'bb:bb:bb:bb:bb:bb' },
      { name: 'eth0', mac: 'cc:cc:cc:cc:cc:cc', sandbox: '/run/netns/x' },
    ],
    ips: [{ interface: 2, address: '10.213.0.7/16', gateway: '10.213.0.1' }],
  };
  assert.deepEqual(parseCniResult(result, 'rindbench0'), { ip: '10.213.0.7', hostVeth: 'veth1234abcd' });
  assert.throws(() => parseCniResult({ ips: [{ address: 'fd00::2/64' }] }, 'rindbench0'), /no IPv4/);
});

const MOUNTINFO = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
41 22 0:38 / /proc rw - proc proc rw`;

test('mountinfo: cgroup mounts and the options to mount each hierarchy again', () => {
  const m = cgroupMounts(MOUNTINFO);
  assert.deepEqual(m.map((x) => [x.mountPoint, x.fsType]), [['/sys/fs/cgroup/cpu', 'cgroup'], ['/sys/fs/cgroup/systemd', 'cgroup'], ['/sys/fs/cgroup/unified', 'cgroup2']]);
  assert.equal(v1MountOptions('rw,cpu'), 'cpu');
  assert.equal(v1MountOptions('rw,cpu,cpuacct'), 'cpu,cpuacct');
  assert.equal(v1MountOptions('rw,name=systemd'), 'none,name=systemd');
  assert.equal(v1MountOptions('rw,nosuid,nodev,noexec,relatime,memory'), 'memory');
});

test('/proc/cgroups counts', () => {
  const c = cgroupCounts('#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t5\t1\nhugetlb\t0\t1\t1\n');
  assert.equal(c.get('cpu'), 5);
  assert.equal(c.get('hugetlb'), 1);
  assert.equal(c.has('#subsys_name'), false);
});

test('/proc/PID/stat with a hostile comm', () => {
  const p = parseStat('4242 (qemu) x (evil)) S 4200 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0');
  assert.equal(p.pid, 4242);
  assert.equal(p.comm, 'qemu) x (evil)');
  assert.equal(p.state, 'S');
  assert.equal(p.ppid, 4200);
  assert.equal(p.startTime, 987654);
});

test('process tree: roots and descendants only', () => {
  const t = new Map<number, ProcInfo>();
  const add = (pid: number, ppid: number) => t.set(pid, { pid, ppid, startTime: pid, state: 'S', comm: 'x' });
  add(1, 0);
  add(10, 1); // shim
  add(11, 10); // qemu
  add(12, 11); // qemu thread-ish child
  add(20, 1); // unrelated
  add(30, 1); // second shim
  assert.deepEqual(withDescendants([10, 30, 99], t).sort((a, b) => a - b), [10, 11, 12, 30]);
});

test('service spec: httpd on 8080, read-only root, the given netns, cgroup and memory', () => {
  const s = serviceSpec({ id: 'runc-ab12-0001', netnsPath: '/run/netns/n1', cgroupsPath: '/rind-density-ab12/runc/runc-ab12-0001', memoryMiB: 64 });
  assert.deepEqual(s.process.args, ['/bin/httpd', '-f', '-p', '8080', '-h', '/www']);
  assert.equal(s.process.terminal, false);
  assert.deepEqual(s.root, { path: 'rootfs', readonly: true });
  assert.deepEqual(s.linux.namespaces.find((n: any) => n.type === 'network'), { type: 'network', path: '/run/netns/n1' });
  assert.equal(s.linux.namespaces.length, 5);
  assert.equal(s.linux.cgroupsPath, '/rind-density-ab12/runc/runc-ab12-0001');
  assert.equal(s.linux.resources.memory.limit, 64 * 1024 * 1024);
  assert.match(pageFor('x'), /x is serving/);
});

test('ids are fixed-width and the netns prefix is per run', () => {
  assert.equal(serviceId('crun', 'ab12', 7), 'crun-ab12-0007');
  assert.equal(netnsPrefix('ab12'), 'rindbench-ab12-');
});

test('pool keeps at most `limit` in flight and visits every item once', async () => {
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  await pool([1, 2, 3, 4, 5, 6, 7], 3, async (i) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5 + (i % 3)));
    seen.push(i);
    inFlight--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
});
