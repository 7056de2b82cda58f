// Turns the agent's `stats` reply into the runtime's stats shape (runc's events --stats fields).
// The reply is untrusted: every number is bounded to a finite non-negative value.
import type { Fields } from './ctl-codec.js';
import type { GuestStats } from '../guest.js';

export function parseStats(reply: Fields): GuestStats {
  const nets = reply.all('net');
  const num = (k: string) => {
    const n = Number(reply.get(k));
    return Number.isFinite(n) && n >= 0 ? n : 0;
  };
  const user = num('cpu_user');
  const kernel = num('cpu_system');
  return {
    cpu: { usage: { total: user + kernel, user, kernel } },
    memory: { usage: { usage: num('mem_used'), limit: num('mem_total') } },
    pids: { current: num('pids') },
    network_interfaces: nets.map((line) => {
      const [name, ...v] = line.split('\x1f');
      const n = v.map((x) => Math.max(0, Number(x) || 0));
      return { name: name.slice(0, 15), rx_bytes: n[0], rx_packets: n[1], rx_errors: n[2], rx_dropped: n[3], tx_bytes: n[4], tx_packets: n[5], tx_errors: n[6], tx_dropped: n[7] };
    }),
  };
}
