// Puts a VM on the network its engine gave the container: a tap per interface inside the
// container's netns, mirrored to/from the engine's veth with tc (ingress + mirred redirect).
import { execFileSync } from 'node:child_process';
import { RindError } from '../util/errors.js';
import { parseInterfaces, parseRoutes, type NetConfig } from './discover.js';

export const TAP_PREFIX = 'rtap';
export const MAX_NICS = 5; // 8 virtio-mmio slots minus serial, 9p, rng

/** Runs a command inside the network namespace at `netns` (any path, e.g. /proc/PID/ns/net). */
export function inNetns(netns: string, cmd: string[], input?: string): string {
  try {
    return execFileSync('nsenter', [`--net=${netns}`, ...cmd], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const why = (err.stderr || err.message).trim().split('\n')[0];
    const hint = /reassociate .*Invalid argument/.test(why) ? ` (${netns} is not a network namespace)` : '';
    throw new RindError(`network: ${cmd.slice(0, 3).join(' ')} in ${netns} failed: ${why}${hint}`);
  }
}

export function tapName(index: number): string {
  return `${TAP_PREFIX}${index}`;
}

export function discover(netns: string): NetConfig {
  const interfaces = parseInterfaces(inNetns(netns, ['ip', '-json', 'addr', 'show']), TAP_PREFIX).slice(0, MAX_NICS);
  const devs = new Set(interfaces.map((i) => i.name));
  const routes = [
    ...parseRoutes(inNetns(netns, ['ip', '-json', '-4', 'route', 'show', 'table', 'main']), false, devs),
    ...parseRoutes(inNetns(netns, ['ip', '-json', '-6', 'route', 'show', 'table', 'main']), true, devs),
  ];
  return { interfaces, routes };
}

/** An IPv4 address as the u32 value `tc ... u32 match u32 VALUE 0xffffffff` compares. */
export function ipv4Hex(addr: string): string {
  const o = addr.split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new RindError(`network: bad IPv4 address ${addr}`);
  return '0x' + o.map((x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * `tc -batch` lines for the bridge→guest direction of one interface. Only what the guest can use
 * is mirrored to the tap: ARP whose target is one of its IPv4 addresses (ARP sits at the network
 * header, the target address at +24), IPv4, and IPv6 if the engine gave it an IPv6 address.
 * Everything else — ARP for other hosts, IPv6 for an IPv4-only guest (router solicitations, MLD
 * of every other namespace), RARP announcements, LLDP, STP — matches no filter and goes on to
 * the container namespace's own stack, which discards it at native cost. On a bridge every
 * broadcast reaches every port: waking each emulated guest for each of them made idle VMs'
 * CPU grow with N (N² in all).
 */
function toGuestFilters(itf: NetConfig['interfaces'][number], tap: string): string[] {
  const f = `filter add dev ${itf.name} parent ffff:`;
  const redirect = `action mirred egress redirect dev ${tap}`;
  const v4 = itf.addrs.filter((a) => !a.includes(':')).map((a) => a.split('/')[0]);
  const lines = v4.map((a) => `${f} prio 1 protocol arp u32 match u32 ${ipv4Hex(a)} 0xffffffff at 24 ${redirect}`);
  lines.push(`${f} prio 2 protocol ip u32 match u8 0 0 ${redirect}`);
  if (itf.addrs.some((a) => a.includes(':'))) lines.push(`${f} prio 3 protocol ipv6 u32 match u8 0 0 ${redirect}`);
  return lines;
}

/** `ip -batch` lines creating the taps and `tc -batch` lines mirroring veth <-> tap. Pure. */
export function wiringScripts(cfg: NetConfig): { ip: string; tc: string } {
  const ip: string[] = [];
  const tc: string[] = [];
  cfg.interfaces.forEach((itf, i) => {
    const tap = tapName(i);
    ip.push(`tuntap add dev ${tap} mode tap`, `link set dev ${tap} mtu ${itf.mtu} up`);
    tc.push(`qdisc add dev ${itf.name} ingress`, ...toGuestFilters(itf, tap));
    tc.push(`qdisc add dev ${tap} ingress`, `filter add dev ${tap} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${itf.name}`);
  });
  return { ip: ip.join('\n') + '\n', tc: tc.join('\n') + '\n' };
}

/**
 * Refuses a netns another VM already serves (our taps exist, or an engine interface already has an
 * ingress qdisc), before anything is changed: a failed wiring must never undo a neighbour's.
 */
export function assertUnwired(netns: string, cfg: NetConfig): void {
  const links = JSON.parse(inNetns(netns, ['ip', '-json', 'link', 'show'])) as { ifname: string }[];
  const tap = links.find((l) => l.ifname.startsWith(TAP_PREFIX));
  if (tap) throw new RindError(`network namespace ${netns} is already served by another VM (its tap ${tap.ifname} exists)`);
  for (const itf of cfg.interfaces) {
    if (/\bingress\b/.test(inNetns(netns, ['tc', 'qdisc', 'show', 'dev', itf.name])))
      throw new RindError(`network namespace ${netns}: ${itf.name} already has an ingress qdisc (another VM or tool mirrors it)`);
  }
}

export function wire(netns: string, cfg: NetConfig): void {
  if (!cfg.interfaces.length) return;
  const s = wiringScripts(cfg);
  try {
    inNetns(netns, ['ip', '-batch', '-'], s.ip);
    inNetns(netns, ['tc', '-batch', '-'], s.tc);
  } catch (e) {
    unwire(netns, cfg.interfaces.map((i) => i.name));
    throw e;
  }
}

/** Removes every tap rind made in the netns and the ingress qdiscs (with their filters). */
export function unwire(netns: string, engineIfs: string[]): void {
  let links: { ifname: string }[] = [];
  try {
    links = JSON.parse(inNetns(netns, ['ip', '-json', 'link', 'show'])) as { ifname: string }[];
  } catch {
    return; // netns already gone: nothing of ours can remain in it
  }
  const cmds: string[] = [];
  for (const l of links) {
    if (l.ifname.startsWith(TAP_PREFIX)) cmds.push(`link del dev ${l.ifname}`);
  }
  if (cmds.length) {
    try {
      inNetns(netns, ['ip', '-force', '-batch', '-'], cmds.join('\n') + '\n');
    } catch {
      /* best effort, verified by tests */
    }
  }
  for (const name of engineIfs) {
    try {
      inNetns(netns, ['tc', 'qdisc', 'del', 'dev', name, 'ingress']);
    } catch {
      /* no qdisc: fine */
    }
  }
}

/** The VM's NICs, in guest order, each backed by its tap. */
export function vmNics(cfg: NetConfig): { mac: string; tap: string }[] {
  return cfg.interfaces.map((itf, i) => ({ mac: itf.mac, tap: tapName(i) }));
}

/** The agent's create-message fields describing the guest's interfaces, addresses and routes. */
export function agentNetFields(cfg: NetConfig): string[] {
  const f: string[] = [];
  for (const itf of cfg.interfaces) {
    f.push(`netif=${[itf.name, itf.mac, itf.mtu].join('\x1f')}`);
    for (const a of itf.addrs) f.push(`netaddr=${[itf.name, a].join('\x1f')}`);
  }
  for (const r of cfg.routes) f.push(`netroute=${[r.dst, r.gateway ?? '', r.dev, r.metric ?? 0].join('\x1f')}`);
  return f;
}
