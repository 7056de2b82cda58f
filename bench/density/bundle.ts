// One OCI bundle per web service: a tiny busybox rootfs (hard links, no copies) serving a page that
// names the service, and a config.json joining the network namespace the benchmark made.
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { repoRoot } from '../../src/util/paths.js';
import { join } from 'node:path';
import { defaultSpec } from '../../src/oci/default-spec.js';

export const PORT = 8080;
const APPLETS = ['httpd', 'sh', 'sleep'];

export interface ServiceSpecInput {
  id: string;
  netnsPath: string;
  cgroupsPath: string;
  memoryMiB: number;
}

/** The page a service serves; the poller checks the body, so an answer from the wrong service does not count. */
export function pageFor(id: string): string {
  return `rind bench: ${id} is serving\n`;
}

/** config.json for a service: httpd in the foreground, read-only root, the given netns, cgroup and memory. */
export function serviceSpec(s: ServiceSpecInput): any {
  const spec = defaultSpec() as any;
  spec.process.terminal = false;
  spec.process.args = ['/bin/httpd', '-f', '-p', String(PORT), '-h', '/www'];
  spec.root = { path: 'rootfs', readonly: true };
  spec.hostname = s.id;
  spec.linux.namespaces = spec.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: s.netnsPath } : n));
  spec.linux.cgroupsPath = s.cgroupsPath;
  spec.linux.resources = { ...spec.linux.resources, memory: { limit: s.memoryMiB * 1024 * 1024 } };
  return spec;
}

/** Copies static busybox once per run; every rootfs hard-links it (same inode: shared page cache, fair memory). */
export function prepareBusybox(work: string): string {
  const path = join(work, 'busybox');
  copyFileSync('/bin/busybox', path);
  return path;
}

/**
 * The same service as rind's web unikernel (guest/unikernels): no OS, its page given by body=,
 * its address by rind's fw_cfg network hint. The image is hard-linked like busybox.
 */
export function makeUnikernelBundle(dir: string, web: string, s: ServiceSpecInput): string {
  if (!web) throw new Error('build/unikernels/web is missing: run `npm run setup`');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  linkSync(web, join(rootfs, 'web'));
  const spec = serviceSpec({ ...s, memoryMiB: Math.min(s.memoryMiB, 32) });
  spec.process.args = ['/web', `port=${PORT}`, `"body=${pageFor(s.id).trimEnd()}"`];
  spec.annotations = { ...spec.annotations, 'io.rind.guest': 'unikernel' };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 1));
  return dir;
}

/** Copies rind's web unikernel (build/unikernels/web, made by the set-up) once per run; empty when absent. */
export function prepareWebUnikernel(work: string): string {
  const src = join(repoRoot(), 'build', 'unikernels', 'web');
  if (!existsSync(src)) return '';
  const path = join(work, 'web-unikernel');
  copyFileSync(src, path);
  return path;
}

/** CRI's annotations (containerd): the pod's sandbox, or a member of the pod named `sandbox` (pure). */
export function podAnnotations(role: 'sandbox' | 'container', sandbox?: string): Record<string, string> {
  return { 'io.kubernetes.cri.container-type': role, ...(sandbox ? { 'io.kubernetes.cri.sandbox-id': sandbox } : {}) };
}

/** A pod's second container: a sidecar that sleeps, in the pod's netns, its own rootfs and cgroup. */
export function makeSidecarBundle(dir: string, busybox: string, s: ServiceSpecInput, sandbox: string): string {
  makeBundle(dir, busybox, s);
  const spec = serviceSpec(s);
  spec.process.args = ['/bin/sleep', '1000000'];
  spec.annotations = { ...spec.annotations, ...podAnnotations('container', sandbox) };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 1));
  return dir;
}

/** The pod's first container (httpd) marked as its sandbox. */
export function markSandbox(dir: string): void {
  const file = join(dir, 'config.json');
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  spec.annotations = { ...spec.annotations, ...podAnnotations('sandbox') };
  writeFileSync(file, JSON.stringify(spec, null, 1));
}

export function makeBundle(dir: string, busybox: string, s: ServiceSpecInput): string {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'www', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  linkSync(busybox, join(rootfs, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(join(rootfs, 'www', 'index.html'), pageFor(s.id));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(serviceSpec(s), null, 1));
  return dir;
}
