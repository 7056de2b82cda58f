// QEMU microvm's command line for a LaunchPlan: machine, accelerator, boot source, one flag group per device.
// Pure (no I/O) so every flag is unit-tested; the only place rind spells QEMU options.
import type { Attach, Device, LaunchPlan } from '../devices.js';

/** QEMU's own seccomp filter: no obsolete syscalls, no set*id, no fork/exec, no scheduler/affinity changes */
export const SANDBOX = 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny';

/** virtio-mmio slots microvm offers (no hotplug) */
export const MMIO_SLOTS = 8;

function chardev(id: string, a: Attach): string {
  return 'fd' in a ? `socket,id=${id},fd=${a.fd}` : `socket,id=${id},path=${a.socket},server=on,wait=off`;
}

/** Chardev id of a port: its name without the `rind.` prefix (rind.exec3 -> exec3). */
function portId(name: string): string {
  return name.replace(/^rind\./, '').replace(/[^A-Za-z0-9_]/g, '_');
}

function machineArgs(p: LaunchPlan): string[] {
  const machine = `microvm,x-option-roms=off,isa-serial=on,rtc=off,acpi=off${p.memoryFile ? ',memory-backend=mem' : ''}`;
  const mem = p.memoryFile
    ? ['-object', `memory-backend-file,id=mem,size=${p.memMiB}M,mem-path=${p.memoryFile.path},share=${p.memoryFile.share ? 'on' : 'off'}`]
    : [];
  return ['-M', machine, ...mem, '-no-reboot', '-nodefaults', '-no-user-config', '-display', 'none', '-sandbox', SANDBOX];
}

function accelArgs(p: LaunchPlan): string[] {
  return p.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', `tcg,tb-size=${p.tbSizeMiB ?? 8}`, '-cpu', 'max'];
}

function bootArgs(p: LaunchPlan): string[] {
  // a restored guest comes from its snapshot: QEMU need not read (and keep a copy of) the kernel
  if (!p.boot || p.incoming) return [];
  return ['-kernel', p.boot.kernel, ...(p.boot.initramfs ? ['-initrd', p.boot.initramfs] : []), '-append', p.boot.cmdline];
}

function deviceArgs(devices: Device[]): string[] {
  const out: string[] = [];
  let serialBus = false;
  let nics = 0;
  for (const d of devices) {
    switch (d.kind) {
      case 'console':
        if (d.fd !== undefined) out.push('-chardev', `socket,id=con,fd=${d.fd}`, '-serial', 'chardev:con');
        else out.push('-serial', d.file ? `file:${d.file}` : 'stdio');
        break;
      case 'port':
        if (!serialBus) out.push('-device', 'virtio-serial-device,max_ports=16');
        serialBus = true;
        out.push('-chardev', chardev(portId(d.name), d.attach), '-device', `virtserialport,chardev=${portId(d.name)},name=${d.name}`);
        break;
      case 'share':
        out.push('-fsdev', `local,id=${d.tag},path=${d.path},security_model=none,multidevs=remap`, '-device', `virtio-9p-device,fsdev=${d.tag},mount_tag=${d.tag}`);
        break;
      case 'rng':
        out.push('-device', 'virtio-rng-device');
        break;
      case 'nic':
        out.push(...nicArgs(d, nics++));
        break;
      case 'exit-port':
        out.push('-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04');
        break;
      case 'config-blob':
        out.push('-fw_cfg', `name=${d.name},string=${d.value.replace(/,/g, ',,')}`);
        break;
    }
  }
  return out;
}

function nicArgs(d: Extract<Device, { kind: 'nic' }>, i: number): string[] {
  return d.tap
    ? ['-netdev', `tap,id=net${i},ifname=${d.tap},script=no,downscript=no`, '-device', `virtio-net-device,netdev=net${i},mac=${d.mac}`]
    : ['-device', `virtio-net-device,mac=${d.mac}`];
}

export function qemuArgv(p: LaunchPlan): string[] {
  const consoleFirst = p.devices.filter((d) => d.kind === 'console');
  const rest = p.devices.filter((d) => d.kind !== 'console');
  return [
    ...machineArgs(p),
    ...deviceArgs(consoleFirst),
    '-m', `${p.memMiB}M`, '-smp', String(p.vcpus),
    ...accelArgs(p),
    ...bootArgs(p),
    '-qmp', `unix:${p.stateDir}/qmp.sock,server=on,wait=off`,
    ...deviceArgs(rest),
    ...(p.incoming ? ['-incoming', 'defer'] : []),
    ...(p.startPaused ? ['-S'] : []),
  ];
}
