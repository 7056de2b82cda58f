// What kubelet puts into CRI requests for a plain pod (cgroupfs driver, default pod spec), and the
// CRI container log format it reads back. Enough for tests to talk to a runtime like a node does.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { ContainerConfig, NamespaceOption, PodSandboxConfig } from './client.js';
import { podCgroupParent, podLogDirectory, type Containerd } from './containerd.js';

/** kubelet's namespaces for a pod without hostNetwork/hostPID/shareProcessNamespace. */
export const POD_NAMESPACES: NamespaceOption = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };

export interface PodOptions {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function podSandboxConfig(cd: Containerd, o: PodOptions): PodSandboxConfig {
  const namespace = o.namespace ?? 'default';
  const uid = o.uid ?? randomUUID();
  return {
    metadata: { name: o.name, uid, namespace, attempt: 0 },
    hostname: o.name,
    log_directory: podLogDirectory(cd, namespace, o.name, uid),
    port_mappings: [],
    labels: { 'io.kubernetes.pod.name': o.name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid, ...o.labels },
    annotations: { 'kubernetes.io/config.source': 'api', ...o.annotations },
    linux: {
      cgroup_parent: podCgroupParent(cd, uid),
      security_context: { namespace_options: POD_NAMESPACES, seccomp: { profile_type: 'Unconfined' } },
      sysctls: {},
    },
  };
}

export interface ContainerOptions {
  name: string;
  image: string;
  command: string[];
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  restartCount?: number;
}

export function containerConfig(pod: PodSandboxConfig, o: ContainerOptions): ContainerConfig {
  const attempt = o.restartCount ?? 0;
  return {
    metadata: { name: o.name, attempt },
    image: { image: o.image },
    command: o.command,
    args: o.args ?? [],
    working_dir: o.workingDir ?? '',
    envs: Object.entries(o.env ?? {}).map(([key, value]) => ({ key, value })),
    labels: {
      'io.kubernetes.container.name': o.name,
      'io.kubernetes.pod.name': pod.metadata.name,
      'io.kubernetes.pod.namespace': pod.metadata.namespace,
      'io.kubernetes.pod.uid': pod.metadata.uid,
    },
    annotations: { 'io.kubernetes.container.restartCount': String(attempt), 'io.kubernetes.container.terminationMessagePath': '/dev/termination-log' },
    log_path: `${o.name}/${attempt}.log`, // relative to the pod's log_directory, as kubelet sets it
    linux: { security_context: { namespace_options: POD_NAMESPACES, seccomp: { profile_type: 'Unconfined' } } },
  };
}

export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** P: partial (continued on the next line of the stream), F: full. */
  tag: 'P' | 'F';
  text: string;
}

const LOG_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) (.*)$/;

/** Parses a CRI log file (`<RFC3339Nano> <stream> <P|F> <text>` per line); throws on a malformed line. */
export function parseCriLog(text: string): CriLogLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = LOG_LINE.exec(l);
      if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(l)}`);
      return { time: m[1], stream: m[2] as 'stdout' | 'stderr', tag: m[3] as 'P' | 'F', text: m[4] };
    });
}

/** The stream's text as the container wrote it (partial lines joined, full lines end in \n). */
export function criLogText(path: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return parseCriLog(readFileSync(path, 'utf8'))
    .filter((l) => l.stream === stream)
    .map((l) => (l.tag === 'F' ? `${l.text}\n` : l.text))
    .join('');
}
