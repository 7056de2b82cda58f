// Network namespaces and CNI: a veth on the benchmark bridge per service, done the way Podman and
// Kubernetes do it (Debian's bridge + host-local plugins, CNI_* env, config JSON on stdin).
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { run, describeFailure } from './proc-run.js';
import { formatCidr, nthAddress, type Cidr } from './subnet.js';

export const CNI_PATH = '/usr/lib/cni';

export interface CniNetwork {
  name: string;
  bridge: string;
  subnet: Cidr;
  /** host-local's allocation store: private to the run, removed afterwards */
  dataDir: string;
}

export interface Attachment {
  containerId: string;
  netns: string; // name under /run/netns
  netnsPath: string;
  ip: string;
  hostVeth?: string;
  result: unknown;
}

export function gateway(net: CniNetwork): string {
  return nthAddress(net.subnet, 1);
}

/** The network configuration handed to the bridge plugin (CNI spec 1.0.0). */
export function cniConfig(net: CniNetwork): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: net.name,
    type: 'bridge',
    bridge: net.bridge,
    isGateway: true,
    ipMasq: false,
    hairpinMode: false,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: formatCidr(net.subnet), gateway: gateway(net) }]],
      dataDir: net.dataDir,
    },
  };
}

export interface CniResultSummary {
  ip: string;
  hostVeth?: string;
}

/** The container's IPv4 address and the host-side veth from a CNI 1.0 result. */
export function parseCniResult(result: any, bridge: string): CniResultSummary {
  const ipEntry = (result?.ips ?? []).find((i: any) => typeof i?.address === 'string' && !i.address.includes(':'));
  if (!ipEntry) throw new Error(`CNI result has no IPv4 address: ${JSON.stringify(result).slice(0, 200)}`);
  const ifaces: any[] = result?.interfaces ?? [];
  const host = ifaces.find((i) => !i.sandbox && i.name !== undefined && i.name !== bridge);
  return { ip: String(ipEntry.address).split('/')[0], hostVeth: host?.name };
}

function env(command: 'ADD' | 'DEL', containerId: string, netnsPath: string): Record<string, string> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netnsPath, CNI_IFNAME: 'eth0', CNI_PATH };
}

export async function addNetns(name: string): Promise<void> {
  const r = await run('ip', ['netns', 'add', name], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(describeFailure(`ip netns add ${name}`, r));
}

export async function delNetns(name: string): Promise<void> {
  if (!existsSync(`/run/netns/${name}`)) return;
  const r = await run('ip', ['netns', 'del', name], { timeoutMs: 30_000 });
  if (r.code !== 0 && existsSync(`/run/netns/${name}`)) throw new Error(describeFailure(`ip netns del ${name}`, r));
}

/** netns + CNI ADD: returns the attachment (with the container's IP). */
export async function attach(net: CniNetwork, containerId: string, netns: string): Promise<Attachment> {
  await addNetns(netns);
  const netnsPath = `/run/netns/${netns}`;
  const conf = cniConfig(net);
  const r = await run(`${CNI_PATH}/bridge`, [], { input: JSON.stringify(conf), env: env('ADD', containerId, netnsPath), timeoutMs: 60_000 });
  if (r.code !== 0) {
    await delNetns(netns).catch(() => {});
    throw new Error(describeFailure(`CNI ADD ${containerId}`, r));
  }
  const result = JSON.parse(r.stdout);
  const { ip, hostVeth } = parseCniResult(result, net.bridge);
  return { containerId, netns, netnsPath, ip, hostVeth, result };
}

/** CNI DEL (with prevResult, as libcni sends it) then the netns; the veth pair dies with the netns. */
export async function detach(net: CniNetwork, a: Attachment): Promise<void> {
  const conf = { ...cniConfig(net), prevResult: a.result };
  const r = await run(`${CNI_PATH}/bridge`, [], { input: JSON.stringify(conf), env: env('DEL', a.containerId, a.netnsPath), timeoutMs: 60_000 });
  const err = r.code !== 0 ? describeFailure(`CNI DEL ${a.containerId}`, r) : undefined;
  await delNetns(a.netns);
  if (err) throw new Error(err);
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export function deleteBridge(name: string): void {
  if (!linkExists(name)) return;
  execFileSync('ip', ['link', 'del', name], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Links enslaved to the bridge (veths still plugged in). */
export function bridgePorts(bridge: string): string[] {
  const dir = `/sys/class/net/${bridge}/brif`;
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Netns names under /run/netns with the prefix. */
export function netnsWithPrefix(prefix: string): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(prefix)) : [];
}

/** Addresses host-local still holds in its store (one file per address). */
export function ipamReservations(net: CniNetwork): string[] {
  const dir = `${net.dataDir}/${net.name}`;
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
}
