// Reads what the engine configured in a network namespace (links, addresses, routes) from
// `ip -json` output. The parsing is pure and unit-tested; running ip is left to the caller.

export interface NetInterface {
  name: string;
  mac: string;
  mtu: number;
  addrs: string[]; // "10.1.2.3/24", "fd00::5/64"
}

export interface NetRoute {
  dst: string; // "default" or a CIDR
  gateway?: string;
  dev: string;
  scope?: string;
  metric?: number;
  v6: boolean;
}

export interface NetConfig {
  interfaces: NetInterface[];
  routes: NetRoute[];
}

interface IpLink {
  ifname: string;
  address?: string;
  mtu?: number;
  link_type?: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  type?: string;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const NAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/** Interfaces worth wiring: ethernet links with a MAC, excluding loopback and our own taps. */
export function parseInterfaces(addrJson: string, tapPrefix: string): NetInterface[] {
  const links = JSON.parse(addrJson) as IpLink[];
  return links
    .filter((l) => l.link_type === 'ether' && l.address && MAC_RE.test(l.address) && NAME_RE.test(l.ifname) && !l.ifname.startsWith(tapPrefix))
    .map((l) => ({
      name: l.ifname,
      mac: l.address!,
      mtu: l.mtu ?? 1500,
      addrs: (l.addr_info ?? [])
        .filter((a) => (a.family === 'inet' || a.family === 'inet6') && (a.scope === 'global' || a.scope === 'site'))
        .map((a) => `${a.local}/${a.prefixlen}`),
    }));
}

/** Routes the guest must re-create: not the ones the kernel derives from addresses. */
export function parseRoutes(routeJson: string, v6: boolean, devs: Set<string>): NetRoute[] {
  const routes = JSON.parse(routeJson) as IpRoute[];
  return routes
    .filter((r) => r.dev && devs.has(r.dev) && r.protocol !== 'kernel' && (r.type === undefined || r.type === 'unicast'))
    .filter((r) => !(v6 && (r.dst.startsWith('fe80:') || r.dst.startsWith('ff00:'))))
    .map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev!, scope: r.scope, metric: r.metric, v6 }))
    .sort((a, b) => Number(Boolean(a.gateway)) - Number(Boolean(b.gateway)));
}
