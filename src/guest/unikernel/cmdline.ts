// Kernel command lines of each unikernel type, built from the app's arguments and the container's network
// the way that unikernel documents it. Pure, unit-tested against those conventions.
import type { NetConfig } from '../../net/discover.js';
import type { UnikernelImage } from './image.js';

export interface Ipv4Setup {
  address: string;
  prefix: number;
  netmask: string;
  gateway?: string;
}

export function prefixToMask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/** The first interface's first IPv4 address and the IPv4 default route, if the engine gave them. */
export function ipv4Setup(net: NetConfig): Ipv4Setup | undefined {
  const itf = net.interfaces[0];
  const addr = itf?.addrs.find((a) => !a.includes(':'));
  if (!itf || !addr) return undefined;
  const [address, p] = addr.split('/');
  const prefix = Number(p);
  const gateway = net.routes.find((r) => !r.v6 && r.dst === 'default' && r.dev === itf.name)?.gateway;
  return { address, prefix, netmask: prefixToMask(prefix), gateway };
}

/** Quotes a word for a shell-words style command line (Hermit splits it like a POSIX shell). */
export function shellQuote(w: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** Hermit: kernel options (-ip, -mask, -gateway), then `--`, then the app's arguments. */
export function hermitCmdline(args: string[], ip?: Ipv4Setup): string {
  const kernel = ip ? ['-ip', ip.address, '-mask', ip.netmask, ...(ip.gateway ? ['-gateway', ip.gateway] : [])] : [];
  return [...kernel, '--', ...args.map(shellQuote)].join(' ');
}

/** Unikraft: library parameters (netdev.ip=ADDR/PREFIX:GW), then `--`, then the app's arguments. */
export function unikraftCmdline(args: string[], ip?: Ipv4Setup): string {
  const params = ip ? [`netdev.ip=${ip.address}/${ip.prefix}${ip.gateway ? `:${ip.gateway}` : ''}`] : [];
  const quoted = args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a));
  return [...params, '--', ...quoted].join(' ');
}

/** The PVH kernel's command line: exactly its arguments joined by spaces (network goes by fw_cfg). */
export function pvhCmdline(args: string[]): string {
  return args.join(' ');
}

export function unikernelCmdline(img: UnikernelImage, net: NetConfig): string {
  const ip = ipv4Setup(net);
  if (img.type === 'hermit') return hermitCmdline(img.args, ip);
  if (img.type === 'unikraft') return unikraftCmdline(img.args, ip);
  return pvhCmdline(img.args);
}

/** rind's network hint for PVH unikernels, in fw_cfg file opt/io.rind/net: "ip=ADDR/PREFIX gw=GW mac=MAC". */
export function pvhNetHint(net: NetConfig): string | undefined {
  const ip = ipv4Setup(net);
  if (!ip) return undefined;
  return [`ip=${ip.address}/${ip.prefix}`, ...(ip.gateway ? [`gw=${ip.gateway}`] : []), `mac=${net.interfaces[0].mac}`].join(' ');
}
