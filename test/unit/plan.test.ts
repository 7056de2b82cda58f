// Unit tests for VM sizing and the QEMU command line built from a spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestMemoryMiB, guestVcpus, countCpuset, MIN_MEM_MIB, DEFAULT_MEM_MIB } from '../../src/runtime/sizing.js';
import { planVm } from './linux-plan.js';
import { validateSpec, type RunnableSpec } from '../../src/oci/spec.js';
import { defaultSpec } from '../../src/oci/default-spec.js';

function spec(resources?: object): RunnableSpec {
  const s = defaultSpec() as { linux: Record<string, unknown> };
  if (resources) s.linux.resources = resources;
  return validateSpec(s);
}

test('memory: default, limit rounded up to MiB, minimum', () => {
  assert.equal(guestMemoryMiB(spec()), DEFAULT_MEM_MIB);
  assert.equal(guestMemoryMiB(spec({ memory: { limit: 300 * 1024 * 1024 + 1 } })), 301);
  assert.equal(guestMemoryMiB(spec({ memory: { limit: 1024 * 1024 } })), MIN_MEM_MIB);
});

test('vcpus from quota/period, cpuset, capped by host', () => {
  assert.equal(guestVcpus(spec(), 8), 1);
  assert.equal(guestVcpus(spec({ cpu: { quota: 150000, period: 100000 } }), 8), 2);
  assert.equal(guestVcpus(spec({ cpu: { cpus: '0-2,5' } }), 8), 4);
  assert.equal(guestVcpus(spec({ cpu: { cpus: '0-7' } }), 2), 2);
  assert.equal(countCpuset('3-1'), 0);
});

test('qemu args: accelerator, ports, share, state paths', () => {
  const tcg = planVm({ spec: spec(), accel: 'tcg', kernel: '/k', initramfs: '/i', stateDir: '/run/rind/x', hostCpus: 2 });
  const a = tcg.qemuArgs.join(' ');
  assert.match(a, /-accel tcg,tb-size=8 -cpu max/);
  assert.match(a, /name=rind\.ctl/);
  assert.match(a, /socket,id=io,fd=3/);
  assert.match(a, /path=\/run\/rind\/x\/share,security_model=none/);
  assert.ok(!a.includes('vhost'));
  assert.ok(!tcg.kernelCmdline.includes('tsc'));
  const tsc = planVm({ spec: spec(), accel: 'tcg', kernel: '/k', initramfs: '/i', stateDir: '/s', hostCpus: 2, tscKhz: 2096002 });
  assert.match(tsc.kernelCmdline, /tsc_early_khz=2096002 tsc=reliable/);
  const kvm = planVm({ spec: spec(), accel: 'kvm', kernel: '/k', initramfs: '/i', stateDir: '/s', hostCpus: 2 });
  assert.match(kvm.qemuArgs.join(' '), /-accel kvm -cpu host/);
});

test('qemu args: a clone restores its guest instead of loading kernel and initramfs', () => {
  const base = { spec: spec(), accel: 'tcg' as const, kernel: '/k', initramfs: '/i', stateDir: '/s', hostCpus: 2 };
  const boot = planVm(base).qemuArgs;
  const clone = planVm({ ...base, incoming: true, memoryFile: { path: '/t/ram', share: false } }).qemuArgs;
  assert.ok(boot.includes('-kernel') && boot.includes('-initrd') && boot.includes('-append'));
  assert.ok(!clone.includes('-kernel') && !clone.includes('-initrd') && !clone.includes('-append'));
  assert.deepEqual(clone.slice(-2), ['-incoming', 'defer']);
  assert.ok(clone.join(' ').includes('mem-path=/t/ram,share=off'));
});

test('pod sizing: containerd sandbox annotations, else the configurable default', async () => {
  const { podSize, POD_DEFAULT_MEM_MIB, POD_DEFAULT_VCPUS } = await import('../../src/runtime/sizing.js');
  assert.deepEqual(podSize({}, 8), { memMiB: POD_DEFAULT_MEM_MIB, vcpus: POD_DEFAULT_VCPUS });
  assert.deepEqual(podSize({}, 8, { memMiB: 300, vcpus: 3 }), { memMiB: 300, vcpus: 3 });
  const a = { 'io.kubernetes.cri.sandbox-memory': String(256 * 1024 * 1024), 'io.kubernetes.cri.sandbox-cpu-quota': '250000', 'io.kubernetes.cri.sandbox-cpu-period': '100000' };
  assert.deepEqual(podSize(a, 8), { memMiB: 256 + 64, vcpus: 3 });
  assert.deepEqual(podSize(a, 2), { memMiB: 320, vcpus: 2 }, 'capped by host CPUs');
});
