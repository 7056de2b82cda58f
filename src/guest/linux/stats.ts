// Turns the agent's `stats` reply into the runtime's stats shape (runc's events --stats fields): the
// container's own cgroup where the agent reports it (cg_*), else the VM's figures. Untrusted: every number bounded.
import type { Fields } from './ctl-codec.js';
import type { GuestStats } from '../guest.js';

export function parseStats(reply: Fields): GuestStats {
  const nets = reply.all('net');
  const has = (k: string) => reply.get(k) !== undefined;
  const num = (k: string) => {
    const n = Number(reply.get(k));
    return Number.isFinite(n) && n >= 0 ? n : 0;
  };
  // the container's cgroup: cpu.stat (ns), memory.current/max, pids.current; `max` means no limit: the VM's RAM
  const cg = has('cg_cpu_usage');
  const user = cg ? num('cg_cpu_user') : num('cpu_user');
  const kernel = cg ? num('cg_cpu_system') : num('cpu_system');
  const memLimit = has('cg_mem_max') && reply.get('cg_mem_max') !== 'max' ? Math.min(num('cg_mem_max'), num('mem_total')) : num('mem_total');
  return {
    cpu: { usage: { total: cg ? num('cg_cpu_usage') : user + kernel, user, kernel } },
    memory: { usage: { usage: has('cg_mem_current') ? num('cg_mem_current') : num('mem_used'), limit: memLimit }, ...(has('oom_kill') ? { oom_kill: num('oom_kill') } : {}) },
    pids: { current: has('cg_pids') ? num('cg_pids') : num('pids') },
    network_interfaces: nets.map((line) => {
      const [name, ...v] = line.split('\x1f');
      const n = v.map((x) => Math.max(0, Number(x) || 0));
      return { name: name.slice(0, 15), rx_bytes: n[0], rx_packets: n[1], rx_errors: n[2], rx_dropped: n[3], tx_bytes: n[4], tx_packets: n[5], tx_errors: n[6], tx_dropped: n[7] };
    }),
  };
}
