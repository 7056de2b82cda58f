// IPv4 CIDR arithmetic and the "does the benchmark subnet collide with this host's routes" check.
// Pure (parses `ip -o route`/`ip -o addr` text handed in); the benchmark refuses to run on a collision.

export interface Cidr {
  base: number; // network address as an unsigned 32-bit integer
  prefix: number;
}

export function parseIpv4(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) throw new Error(`not an IPv4 address: ${s}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new Error(`not an IPv4 address: ${s}`);
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.213.0.0/16" → {base, prefix}; a bare address is a /32. Host bits must be zero when strict. */
export function parseCidr(s: string, strict = false): Cidr {
  const [addr, pfx] = s.trim().split('/');
  const prefix = pfx === undefined ? 32 : Number(pfx);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length in ${s}`);
  const ip = parseIpv4(addr);
  const base = (ip & mask(prefix)) >>> 0;
  if (strict && base !== ip) throw new Error(`${s} has host bits set (network is ${formatIpv4(base)}/${prefix})`);
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

/** The i-th address of the network (i=1 is the usual gateway). */
export function nthAddress(c: Cidr, i: number): string {
  if (i < 0 || i >= size(c)) throw new Error(`address #${i} is outside ${formatCidr(c)}`);
  return formatIpv4((c.base + i) >>> 0);
}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);

/** Destinations of `ip -4 -o route show table all` lines; default routes are skipped (they cover everything by design). */
export function routeDestinations(text: string): { dst: Cidr; line: string }[] {
  const out: { dst: Cidr; line: string }[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const tokens = line.split(/\s+/);
    let dst = tokens[0];
    if (ROUTE_TYPES.has(dst)) dst = tokens[1] ?? '';
    if (!dst || dst === 'default' || dst.includes(':')) continue;
    try {
      out.push({ dst: parseCidr(dst), line });
    } catch {
      /* not an IPv4 destination */
    }
  }
  return out;
}

/** Networks of `ip -4 -o addr show` lines ("2: eth0    inet 192.0.2.2/24 brd ... scope global eth0"). */
export function addressNetworks(text: string): { net: Cidr; line: string }[] {
  const out: { net: Cidr; line: string }[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /\binet\s+(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)/.exec(line);
    if (m) out.push({ net: parseCidr(m[1]), line });
  }
  return out;
}

/** Everything on the host that overlaps the subnet, as human-readable lines; empty means safe to use. */
export function collisions(subnet: Cidr, routesText: string, addrsText: string): string[] {
  const hits = new Set<string>();
  for (const r of routeDestinations(routesText)) if (overlaps(r.dst, subnet)) hits.add(`route: ${r.line}`);
  for (const a of addressNetworks(addrsText)) if (overlaps(a.net, subnet)) hits.add(`address: ${a.line.replace(/\s+/g, ' ')}`);
  return [...hits];
}
