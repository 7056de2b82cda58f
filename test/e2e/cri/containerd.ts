// A private containerd with its CRI plugin, for driving pods the way kubelet does. Everything of an
// instance lives under one temp dir (/tmp/rcri-XXXXXX): config, root, state, sockets, runc state,
// CNI config and IPAM, pod logs, image archives. The system containerd (if any) and /etc are never
// touched. Verified with Debian's containerd 1.6.20, runc 1.1.5 and containernetworking-plugins on a
// hybrid cgroup v1 host where root lacks CAP_SYS_RESOURCE.
//
// The generated config.toml (see containerdConfig()):
//
//   version = 2
//   root  = "<dir>/root"                 # private content store, snapshots, bolt db
//   state = "<dir>/state"                # private task bundles, CRI fifos, netns mounts
//   disabled_plugins = [opt, aufs, btrfs, zfs, devmapper, tracing...]
//                                        # opt would create /opt/containerd; the others only probe
//   [grpc]  address = "<dir>/containerd.sock"
//   [ttrpc] address = "<dir>/containerd.sock.ttrpc"
//   [debug] address = ""  /  [metrics] address = ""   # no extra sockets or TCP listeners
//   [plugins."io.containerd.grpc.v1.cri"]
//     sandbox_image = "rind.test/pause:1"  # imported locally (catatonit -P), never pulled
//     disable_apparmor = true              # not needed in this VM (no AppArmor), but on a host with
//                                          # it CRI would apply its default profile, which a nested
//                                          # or unprivileged host usually cannot load
//     restrict_oom_score_adj = true        # we are root WITHOUT CAP_SYS_RESOURCE: runc cannot set
//                                          # the sandbox's default oom_score_adj -998 ("failed to
//                                          # update /proc/self/oom_score_adj: Permission denied",
//                                          # surfacing as "can't get final child's PID from pipe");
//                                          # restricted, CRI clamps it to containerd's own score
//     netns_mounts_under_state_dir = true  # pod netns under <state>/io.containerd.grpc.v1.cri/netns,
//                                          # not /var/run/netns
//     stream_server_address = "127.0.0.1"  # (the 1.6 defaults, pinned: the exec/attach streaming
//     stream_server_port = "0"             #  server gets a random loopback port, never a fixed one)
//     [...cri.containerd]
//       snapshotter = "overlayfs"          # (default) works on this ext4 root; "native" works too
//                                          # (a full copy of the image per container)
//       default_runtime_name = "runc"
//       [...cri.containerd.runtimes.runc]
//         runtime_type = "io.containerd.runc.v2"
//         [...runtimes.runc.options]
//           Root = "<dir>/r/runc"   # runc --root; the default /run/containerd/runc/<ns>
//                                          # is the system containerd's
//       [...cri.containerd.runtimes.rind]  # only with rindHandler(): same shim, rind as the binary
//         runtime_type = "io.containerd.runc.v2"
//         [...runtimes.rind.options]
//           BinaryName = "<repo>/bin/rind"
//           Root = "<dir>/r/rind"
//     [...cri.cni]
//       bin_dir  = "/usr/lib/cni"          # Debian's plugins
//       conf_dir = "<dir>/net.d"           # one conflist: bridge + host-local
//       max_conf_num = 1                   # (default)
//
// CNI (cniConflist()): bridge "rcri-<id>" (isGateway, no ipMasq: nothing is added to iptables),
// host-local on a private subnet (default 10.231.0.0/24, RIND_CRI_SUBNET overrides; refused when it
// overlaps a route or address here) with its dataDir under <dir>. No portmap: hostPort through it
// did not answer here (iptables-nft), and it leaves CNI-HOSTPORT-* chains in the host's nat table.
// The host reaches pods on their IP through the bridge, which is what tests need.
//
// Pod cgroups: give pods cgroup_parent = podCgroupParent(uid) ("/rind-cri-<id>/pod<uid>", like
// kubelet's cgroupfs "/kubepods/.../pod<uid>"): runc creates it in every v1 hierarchy and in the
// hybrid "unified" one; cleanup removes the tree.
//
// What is still written outside <dir> (unavoidable in 1.6, all removed by cleanup when ours):
// shim sockets /run/containerd/s/<hash> (the shim removes its own; cleanup removes leftovers of
// killed shims) and libcni's cache /var/lib/cni/results/{<net>-<id>-eth0,cni-loopback-<id>-lo}
// (deleted on CNI DEL); those directories are removed if this instance created them and they are
// empty.
//
// Clean-up (stopContainerd) works from whatever is on disk, so it also works after a crash: every
// start first sweeps instances whose owning process is gone (sweepStale()).
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { RIND } from '../harness.js';
import { CriClient } from './client.js';
import { busyboxImage, pauseImage, writeOciArchive, BUSYBOX_IMAGE, PAUSE_IMAGE } from './image.js';

export const CNI_BIN_DIR = '/usr/lib/cni';
export const DEFAULT_SUBNET = '10.231.0.0/24';
const PREFIX = 'rcri-'; // short: rind's unix sockets live under <runtime root>/k8s.io/<64-hex id>/ (sun_path: 107 bytes)
const NS = 'k8s.io';
const CNI_CACHE = '/var/lib/cni/results'; // libcni's default cacheDir; containerd 1.6 has no setting for it

/** A CRI runtime handler (RuntimeClass handler): a [plugins.cri.containerd.runtimes.<name>] table. */
export interface RuntimeHandler {
  name: string;
  /** containerd shim, default io.containerd.runc.v2. */
  runtimeType?: string;
  /** options.BinaryName: the OCI runtime the runc shim runs instead of runc. */
  binaryName?: string;
  /** Further options.* entries (TOML scalars). Root is always set, to <dir>/r/<name>. */
  options?: Record<string, string | number | boolean>;
  /** pod_annotations passed through to the OCI spec (e.g. ["io.rind.*"]). */
  podAnnotations?: string[];
}

/** The handler for rind: containerd's runc shim with rind's binary in place of runc. */
export function rindHandler(binary: string = RIND, name = 'rind'): RuntimeHandler {
  return { name, runtimeType: 'io.containerd.runc.v2', binaryName: binary };
}

export interface ContainerdOptions {
  /** Handlers besides the default `runc` one, e.g. [rindHandler()]. */
  handlers?: RuntimeHandler[];
  /** Private IPv4 subnet of the pod bridge; default RIND_CRI_SUBNET or 10.231.0.0/24. */
  subnet?: string;
  /** overlayfs (default) or native; both work here. */
  snapshotter?: 'overlayfs' | 'native';
  /** Import rind.test/busybox:1 and rind.test/pause:1 (default true). */
  images?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  startTimeoutMs?: number;
}

export interface CniNet {
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipamDir: string;
}

export interface Containerd {
  id: string;
  dir: string;
  socket: string;
  config: string;
  root: string;
  state: string;
  log: string;
  pid: number;
  snapshotter: string;
  handlers: RuntimeHandler[];
  net: CniNet;
  /** Top cgroup of this instance's pods, e.g. /rind-cri-Ab12Cd. */
  cgroupRoot: string;
  client: CriClient;
}

/** What cleanup needs, written next to the instance so a later run can clean up after a crash. */
interface InstanceRecord {
  ownerPid: number;
  containerdPid: number;
  dir: string;
  socket: string;
  config: string;
  bridge: string;
  netName: string;
  cgroupRoot: string;
  handlers: { name: string; binary: string; root: string }[];
  createdDirs: string[];
}

// ---------- pure config ----------

const q = (s: string): string => JSON.stringify(s); // TOML basic strings accept JSON string escapes

function tomlValue(v: string | number | boolean): string {
  return typeof v === 'string' ? q(v) : String(v);
}

export function runtimeRoot(dir: string, handler: string): string {
  return join(dir, 'r', handler);
}

/** The containerd config.toml of an instance (documented in the header of this file). */
export function containerdConfig(dir: string, handlers: RuntimeHandler[], snapshotter = 'overlayfs'): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const lines = [
    'version = 2',
    `root = ${q(join(dir, 'root'))}`,
    `state = ${q(join(dir, 'state'))}`,
    'disabled_plugins = [' +
      ['io.containerd.internal.v1.opt', 'io.containerd.snapshotter.v1.aufs', 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs',
        'io.containerd.snapshotter.v1.devmapper', 'io.containerd.tracing.processor.v1.otlp', 'io.containerd.internal.v1.tracing']
        .map(q).join(', ') + ']',
    '',
    '[grpc]',
    `  address = ${q(join(dir, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${q(join(dir, 'containerd.sock.ttrpc'))}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '',
    `[${cri}]`,
    `  sandbox_image = ${q(PAUSE_IMAGE)}`,
    '  disable_apparmor = true',
    '  restrict_oom_score_adj = true',
    '  netns_mounts_under_state_dir = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `  [${cri}.containerd]`,
    `    snapshotter = ${q(snapshotter)}`,
    '    default_runtime_name = "runc"',
  ];
  for (const h of handlers) {
    lines.push(`    [${cri}.containerd.runtimes.${h.name}]`, `      runtime_type = ${q(h.runtimeType ?? 'io.containerd.runc.v2')}`);
    if (h.podAnnotations?.length) lines.push(`      pod_annotations = [${h.podAnnotations.map(q).join(', ')}]`);
    lines.push(`      [${cri}.containerd.runtimes.${h.name}.options]`);
    const opts: Record<string, string | number | boolean> = { ...h.options, Root: runtimeRoot(dir, h.name) };
    if (h.binaryName) opts.BinaryName = h.binaryName;
    for (const [k, v] of Object.entries(opts)) lines.push(`        ${k} = ${tomlValue(v)}`);
  }
  lines.push(`  [${cri}.cni]`, `    bin_dir = ${q(CNI_BIN_DIR)}`, `    conf_dir = ${q(join(dir, 'net.d'))}`, '    max_conf_num = 1', '');
  return lines.join('\n');
}

/** The CNI network list: bridge (the gateway address on it; no masquerading) + host-local IPAM. */
export function cniConflist(net: CniNet): object {
  const bridge = {
    type: 'bridge',
    bridge: net.bridge,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: { type: 'host-local', ranges: [[{ subnet: net.subnet, gateway: net.gateway }]], dataDir: net.ipamDir },
  };
  return { cniVersion: '1.0.0', name: net.name, plugins: [bridge] };
}

// ---------- IPv4 subnet checks ----------

function ipv4(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address: ${s}`);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function cidr(s: string): { base: number; prefix: number } {
  const [a, p = '32'] = s.split('/');
  const prefix = Number(p);
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`bad subnet ${s}`);
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipv4(a) & mask) >>> 0, prefix };
}

function overlaps(a: { base: number; prefix: number }, b: { base: number; prefix: number }): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** Routes and addresses of this host the subnet overlaps (non-empty: refuse to use it). */
export function subnetCollisions(subnet: string): string[] {
  const net = cidr(subnet);
  const out: string[] = [];
  const types = new Set(['local', 'broadcast', 'unicast', 'multicast', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat']);
  for (const line of run('ip', ['-o', '-4', 'route', 'show', 'table', 'all']).stdout.toString().split('\n')) {
    const words = line.trim().split(/\s+/);
    const dst = types.has(words[0]) ? words[1] : words[0];
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(dst ?? '');
    if (!m || m[2] === '0') continue; // default routes overlap everything and are no collision
    if (overlaps(net, { base: ipv4(m[1]), prefix: Number(m[2] ?? 32) })) out.push(`route: ${line.trim()}`);
  }
  for (const line of run('ip', ['-o', '-4', 'addr', 'show']).stdout.toString().split('\n')) {
    const m = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line);
    if (m && overlaps(net, { base: ipv4(m[1]), prefix: 32 })) out.push(`address: ${line.trim()}`);
  }
  return out;
}

// ---------- helpers ----------

function run(cmd: string, args: string[], timeoutMs = 30_000): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e: any) {
    return e.code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

function cmdline(pid: string | number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** Live (non-zombie) processes whose command line contains needle. */
function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const cmd = cmdline(p);
    if (cmd.includes(needle) && alive(Number(p))) out.push({ pid: Number(p), cmd });
  }
  return out;
}

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Each cgroup hierarchy root once (v1 controllers, named v1, unified; or the v2 root). */
function cgroupHierarchies(): string[] {
  const roots = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2')) roots.add(f[4]);
  }
  return [...roots];
}

/** Cgroup directories of this root in any hierarchy, deepest first. */
function cgroupDirs(cgroupRoot: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    out.push(d);
  };
  for (const h of cgroupHierarchies()) {
    const d = join(h, cgroupRoot);
    if (existsSync(d)) walk(d);
  }
  return out;
}

/** Mount points at or below dir, deepest first. */
function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\040/g, ' ');
    if (mp && (mp === dir || mp.startsWith(dir + '/'))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

function mkdirTracked(path: string, created: string[]): void {
  const missing: string[] = [];
  for (let p = path; !existsSync(p); p = dirname(p)) missing.unshift(p);
  mkdirSync(path, { recursive: true });
  created.push(...missing.reverse()); // deepest first, for rmdir
}

function record(dir: string): InstanceRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'instance.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

// ---------- start ----------

/** Starts a private containerd with CRI, CNI and the test images; resolves once CRI reports ready. */
export async function startContainerd(opts: ContainerdOptions = {}): Promise<Containerd> {
  await sweepStale();
  const subnet = opts.subnet ?? process.env.RIND_CRI_SUBNET ?? DEFAULT_SUBNET;
  const hits = subnetCollisions(subnet);
  if (hits.length) throw new Error(`CRI pod subnet ${subnet} collides with this host (set RIND_CRI_SUBNET):\n  ${hits.join('\n  ')}`);
  const c = cidr(subnet);
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  const id = basename(dir).slice(PREFIX.length);
  const handlers: RuntimeHandler[] = [{ name: 'runc', runtimeType: 'io.containerd.runc.v2' }, ...(opts.handlers ?? [])];
  const net: CniNet = {
    name: `${PREFIX}${id}`,
    bridge: `rcri-${id}`,
    subnet: `${[c.base >>> 24, (c.base >>> 16) & 255, (c.base >>> 8) & 255, c.base & 255].join('.')}/${c.prefix}`,
    gateway: [c.base >>> 24, (c.base >>> 16) & 255, (c.base >>> 8) & 255, (c.base & 255) + 1].join('.'),
    ipamDir: join(dir, 'cni-ipam'),
  };
  const snapshotter = opts.snapshotter ?? 'overlayfs';
  const cd: Containerd = {
    id,
    dir,
    socket: join(dir, 'containerd.sock'),
    config: join(dir, 'config.toml'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    log: join(dir, 'containerd.log'),
    pid: 0,
    snapshotter,
    handlers,
    net,
    cgroupRoot: `/${PREFIX}${id}`,
    client: undefined as unknown as CriClient,
  };
  const rec: InstanceRecord = {
    ownerPid: process.pid,
    containerdPid: 0,
    dir,
    socket: cd.socket,
    config: cd.config,
    bridge: net.bridge,
    netName: net.name,
    cgroupRoot: cd.cgroupRoot,
    handlers: handlers.map((h) => ({ name: h.name, binary: h.binaryName ?? 'runc', root: runtimeRoot(dir, h.name) })),
    createdDirs: [],
  };
  const save = () => writeFileSync(join(dir, 'instance.json'), JSON.stringify(rec, null, 1));
  try {
    for (const d of ['net.d', 'cni-ipam', 'pods', 'images', ...handlers.map((h) => join('r', h.name))]) mkdirSync(join(dir, d), { recursive: true });
    // directories containerd and libcni create outside dir: remember which ones we brought into being
    mkdirTracked(CNI_CACHE, rec.createdDirs);
    mkdirTracked('/run/containerd/s', rec.createdDirs);
    save();
    writeFileSync(cd.config, containerdConfig(dir, handlers, snapshotter));
    writeFileSync(join(dir, 'net.d', '10-rind-cri.conflist'), JSON.stringify(cniConflist(net), null, 1));

    const logFd = openSync(cd.log, 'a');
    const child = spawn('containerd', ['--config', cd.config, '--log-level', opts.logLevel ?? 'info'], { stdio: ['ignore', logFd, logFd], detached: true });
    closeSync(logFd);
    child.unref();
    cd.pid = rec.containerdPid = child.pid ?? 0;
    save();
    cd.client = new CriClient(cd.socket, 30_000);

    await waitReady(cd, opts.startTimeoutMs ?? 30_000);
    if (opts.images !== false) {
      importImage(cd, writeOciArchive(pauseImage(), join(dir, 'images', 'pause.tar')));
      importImage(cd, writeOciArchive(busyboxImage(), join(dir, 'images', 'busybox.tar')));
      for (const img of [PAUSE_IMAGE, BUSYBOX_IMAGE]) if (!(await cd.client.imageStatus(img))) throw new Error(`CRI does not see imported image ${img}`);
    }
    return cd;
  } catch (e) {
    await stopContainerd(cd).catch(() => undefined);
    throw e;
  }
}

/** Until CRI reports RuntimeReady and NetworkReady (the CNI conflist loaded). */
async function waitReady(cd: Containerd, timeoutMs: number): Promise<void> {
  const probe = new CriClient(cd.socket, 2000);
  const end = Date.now() + timeoutMs;
  let last = '';
  try {
    for (;;) {
      if (!alive(cd.pid)) throw new Error(`containerd exited during start-up; log ${cd.log}:\n${tail(cd.log)}`);
      if (existsSync(cd.socket)) {
        try {
          const st = await probe.status();
          const cond = Object.fromEntries(st.status.conditions.map((x) => [x.type, x]));
          if (cond.RuntimeReady?.status && cond.NetworkReady?.status) return;
          last = JSON.stringify(st.status.conditions);
        } catch (e) {
          last = String(e);
        }
      }
      if (Date.now() > end) throw new Error(`containerd CRI not ready: ${last}; log ${cd.log}:\n${tail(cd.log)}`);
      await sleep(100);
    }
  } finally {
    probe.close();
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** `ctr images import` of an OCI/docker archive into the CRI namespace, unpacked for CRI's snapshotter. */
export function importImage(cd: Containerd, archive: string): void {
  const r = run('ctr', ['--address', cd.socket, '--namespace', NS, 'images', 'import', '--snapshotter', cd.snapshotter, archive], 60_000);
  if (r.status !== 0) throw new Error(`ctr images import ${archive}: ${r.stderr}`);
}

/** Kubelet-style pod cgroup parent under this instance's cgroup root. */
export function podCgroupParent(cd: Containerd, uid: string): string {
  return `${cd.cgroupRoot}/pod${uid}`;
}

/** Kubelet-style pod log directory (<dir>/pods/<ns>_<name>_<uid>), created. */
export function podLogDirectory(cd: Containerd, namespace: string, name: string, uid: string): string {
  const d = join(cd.dir, 'pods', `${namespace}_${name}_${uid}`);
  mkdirSync(d, { recursive: true });
  return d;
}

// ---------- inspection ----------

/** libcni cache entries of this network or of these pod sandboxes (loopback is cached per sandbox). */
function cniCacheFiles(netName: string, sandboxIds: Iterable<string>): string[] {
  if (!existsSync(CNI_CACHE)) return [];
  const ids = [...sandboxIds];
  return readdirSync(CNI_CACHE)
    .filter((f) => f.startsWith(`${netName}-`) || ids.some((id) => f === `cni-loopback-${id}-lo`))
    .map((f) => join(CNI_CACHE, f));
}

/** Pod sandbox IDs containerd's CRI still has on disk (task bundles and CRI sandbox dirs). */
function sandboxIdsOnDisk(dir: string): string[] {
  const ids = new Set(bundles(join(dir, 'state')).map((b) => basename(b)));
  for (const d of [join(dir, 'root', 'io.containerd.grpc.v1.cri', 'sandboxes'), join(dir, 'state', 'io.containerd.grpc.v1.cri', 'sandboxes')])
    if (existsSync(d)) for (const id of readdirSync(d)) ids.add(id);
  return [...ids];
}

/** The running shims of this containerd (containerd-shim-runc-v2 -address <our socket> ...). */
export function shims(cd: Containerd): { pid: number; cmd: string }[] {
  return processesMentioning(`-address ${cd.socket}`);
}

/** Task bundles of this instance (state/io.containerd.runtime.v2.task/<ns>/<id>). */
function bundles(state: string): string[] {
  const base = join(state, 'io.containerd.runtime.v2.task');
  const out: string[] = [];
  if (!existsSync(base)) return out;
  for (const ns of readdirSync(base)) for (const id of readdirSync(join(base, ns))) out.push(join(base, ns, id));
  return out;
}

function netnsFiles(state: string): string[] {
  const d = join(state, 'io.containerd.grpc.v1.cri', 'netns');
  return existsSync(d) ? readdirSync(d).map((n) => join(d, n)) : [];
}

/**
 * What pods of this instance still hold while containerd runs: shims, processes in the pods'
 * cgroups, task bundles, CRI sandbox dirs, netns, bridge ports, IP reservations, mounts, CNI cache
 * entries (also those of the given, already removed, pod sandboxes). Empty once every pod is removed.
 */
export function podLeftovers(cd: Containerd, podSandboxIds: string[] = []): string[] {
  const out: string[] = [];
  for (const p of shims(cd)) out.push(`shim ${p.pid}: ${p.cmd.slice(0, 160)}`);
  for (const d of cgroupDirs(cd.cgroupRoot)) {
    try {
      const procs = readFileSync(join(d, 'cgroup.procs'), 'utf8').trim();
      if (procs) out.push(`processes in cgroup ${d}: ${procs.replace(/\n/g, ' ')}`);
    } catch {
      /* gone */
    }
  }
  for (const b of bundles(cd.state)) out.push(`task bundle ${b}`);
  for (const id of sandboxIdsOnDisk(cd.dir)) out.push(`CRI sandbox ${id} on disk`);
  for (const n of netnsFiles(cd.state)) out.push(`netns ${n}`);
  const brif = `/sys/class/net/${cd.net.bridge}/brif`;
  if (existsSync(brif)) for (const port of readdirSync(brif)) out.push(`bridge port ${port}`);
  if (existsSync(cd.net.ipamDir))
    for (const n of readdirSync(cd.net.ipamDir)) {
      for (const f of statSync(join(cd.net.ipamDir, n)).isDirectory() ? readdirSync(join(cd.net.ipamDir, n)) : [])
        if (/^\d+\.\d+\.\d+\.\d+$/.test(f)) out.push(`IP reservation ${n}/${f}`);
    }
  for (const m of mountsUnder(cd.dir)) out.push(`mount ${m}`);
  for (const f of cniCacheFiles(cd.net.name, [...podSandboxIds, ...sandboxIdsOnDisk(cd.dir)])) out.push(`CNI cache ${f}`);
  return out;
}

/** Anything of this instance (and of the given pod sandboxes) left on the host after stopContainerd. */
export function instanceLeftovers(cd: { dir: string; net: { bridge: string; name: string }; cgroupRoot: string }, podSandboxIds: string[] = []): string[] {
  const out: string[] = [];
  for (const p of processesMentioning(cd.dir)) out.push(`process ${p.pid}: ${p.cmd.slice(0, 160)}`);
  if (existsSync(cd.dir)) out.push(`directory ${cd.dir}`);
  for (const m of mountsUnder(cd.dir)) out.push(`mount ${m}`);
  if (linkExists(cd.net.bridge)) out.push(`bridge ${cd.net.bridge}`);
  for (const d of cgroupDirs(cd.cgroupRoot)) out.push(`cgroup ${d}`);
  for (const f of cniCacheFiles(cd.net.name, podSandboxIds)) out.push(`CNI cache ${f}`);
  return out;
}

// ---------- stop / clean up ----------

/**
 * Stops the instance and removes everything it made: pods (through CRI while containerd answers),
 * containerd, containers (runtime delete --force), shims, processes left in the pods' cgroups,
 * mounts (rootfs, shm, netns), shim sockets, the bridge, CNI cache entries, cgroups, the temp dir.
 * Idempotent; works from instance.json and the state on disk, so also for a crashed run.
 */
export async function stopContainerd(cd: Containerd): Promise<void> {
  if (existsSync(cd.socket) && cd.pid && alive(cd.pid)) {
    const c = new CriClient(cd.socket, 15_000);
    try {
      for (const p of await c.listPodSandbox()) {
        await c.stopPodSandbox(p.id).catch(() => undefined);
        await c.removePodSandbox(p.id).catch(() => undefined);
      }
    } catch {
      /* containerd not answering: the on-disk clean-up below handles it */
    } finally {
      c.close();
    }
  }
  cd.client?.close();
  const rec = record(cd.dir);
  if (rec) await cleanupInstance(rec);
  else if (existsSync(cd.dir)) rmSync(cd.dir, { recursive: true, force: true });
}

async function cleanupInstance(rec: InstanceRecord): Promise<void> {
  const errors: string[] = [];
  // containerd: only the process running our config
  if (rec.containerdPid && alive(rec.containerdPid) && cmdline(rec.containerdPid).includes(rec.config)) {
    process.kill(rec.containerdPid, 'SIGTERM');
    if (!(await waitGone([rec.containerdPid], 10_000))) {
      process.kill(rec.containerdPid, 'SIGKILL');
      await waitGone([rec.containerdPid], 5000);
    }
  }
  const state = join(rec.dir, 'state');
  const sandboxIds = sandboxIdsOnDisk(rec.dir);
  const shimSockets = bundles(state).flatMap((b) => {
    try {
      return [readFileSync(join(b, 'address'), 'utf8').trim().replace(/^unix:\/\//, '')];
    } catch {
      return [];
    }
  });
  // containers, through their runtime (rind's VMs are not in the pod cgroups)
  for (const h of rec.handlers) {
    if (!existsSync(h.root)) continue;
    for (const ns of readdirSync(h.root)) {
      const nsRoot = join(h.root, ns);
      if (!statSync(nsRoot).isDirectory()) continue;
      for (const id of readdirSync(nsRoot)) {
        const r = run(h.binary, ['--root', nsRoot, 'delete', '--force', id], 60_000);
        if (r.status !== 0 && existsSync(join(nsRoot, id))) errors.push(`${h.binary} delete --force ${id}: ${r.stderr.toString().trim()}`);
      }
    }
  }
  // shims of this containerd, then anything still in the pods' cgroups
  const shims = processesMentioning(`-address ${rec.socket}`).map((p) => p.pid);
  for (const pid of shims) process.kill(pid, 'SIGKILL');
  await waitGone(shims, 5000);
  for (let round = 0; round < 3; round++) {
    const pids: number[] = [];
    for (const d of cgroupDirs(rec.cgroupRoot)) {
      try {
        pids.push(...readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
      } catch {
        /* gone */
      }
    }
    const uniq = [...new Set(pids)].filter((p) => p !== process.pid);
    if (!uniq.length) break;
    for (const pid of uniq) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await waitGone(uniq, 5000);
  }
  // mounts: rootfs overlays, sandbox shm, netns bind mounts (the netns dies with its last user,
  // taking the veth pair with it)
  for (const m of mountsUnder(rec.dir)) {
    if (run('umount', [m]).status !== 0 && run('umount', ['-l', m]).status !== 0) errors.push(`umount ${m} failed`);
  }
  for (const s of shimSockets) if (s.startsWith('/run/containerd/s/')) rmSync(s, { force: true });
  if (linkExists(rec.bridge)) {
    const r = run('ip', ['link', 'del', rec.bridge]);
    if (r.status !== 0) errors.push(`ip link del ${rec.bridge}: ${r.stderr.toString().trim()}`);
  }
  for (const f of cniCacheFiles(rec.netName, sandboxIds)) rmSync(f, { force: true });
  for (const d of rec.createdDirs) {
    try {
      rmdirSync(d); // only if empty: someone else may use it by now
    } catch {
      /* not empty or gone */
    }
  }
  for (let i = 0; i < 20; i++) {
    const left = cgroupDirs(rec.cgroupRoot).filter((d) => {
      try {
        rmdirSync(d);
        return false;
      } catch (e: any) {
        return e.code !== 'ENOENT';
      }
    });
    if (!left.length) break;
    if (i === 19) errors.push(`cgroups not removable: ${left.join(' ')}`);
    await sleep(50);
  }
  if (!mountsUnder(rec.dir).length) rmSync(rec.dir, { recursive: true, force: true });
  else errors.push(`mounts remain under ${rec.dir}; directory kept`);
  if (errors.length) throw new Error(`CRI harness clean-up of ${rec.dir}:\n  ${errors.join('\n  ')}`);
}

/** Cleans up instances left by test processes that are gone (killed before their clean-up ran). */
export async function sweepStale(): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const rec = record(dir);
    if (!rec || alive(rec.ownerPid)) continue;
    await cleanupInstance(rec).catch((e) => console.error(String(e)));
  }
}
