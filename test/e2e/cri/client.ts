// A small typed CRI (runtime.v1) client over a unix socket, calling containerd's CRI plugin the way
// kubelet does. The .proto is loaded at run time from the source tree (dist/ holds only JS).
// Messages use the proto field names (snake_case); int64 fields arrive as decimal strings (ns
// timestamps exceed 2^53), enums as their names, bytes as Buffers; absent fields as defaults.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO } from '../harness.js';

export const CRI_PROTO = join(REPO, 'test', 'e2e', 'cri', 'api.proto');

type StrMap = Record<string, string>;
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface NamespaceOption { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode; target_id?: string }
export interface SecurityProfile { profile_type?: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhost_ref?: string }
export interface Int64Value { value: number | string }
export interface LinuxContainerResources {
  cpu_period?: number; cpu_quota?: number; cpu_shares?: number; memory_limit_in_bytes?: number; oom_score_adj?: number;
  cpuset_cpus?: string; cpuset_mems?: string; unified?: StrMap; memory_swap_limit_in_bytes?: number;
}
export interface PortMapping { protocol?: 'TCP' | 'UDP' | 'SCTP'; container_port?: number; host_port?: number; host_ip?: string }
export interface Mount { container_path: string; host_path: string; readonly?: boolean; propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL' }

export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt?: number }
export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  log_directory?: string;
  dns_config?: { servers?: string[]; searches?: string[]; options?: string[] };
  port_mappings?: PortMapping[];
  labels?: StrMap;
  annotations?: StrMap;
  linux?: {
    cgroup_parent?: string;
    security_context?: {
      namespace_options?: NamespaceOption; run_as_user?: Int64Value; run_as_group?: Int64Value; readonly_rootfs?: boolean;
      supplemental_groups?: number[]; privileged?: boolean; seccomp?: SecurityProfile; apparmor?: SecurityProfile;
    };
    sysctls?: StrMap;
    overhead?: LinuxContainerResources;
    resources?: LinuxContainerResources;
  };
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string; annotations?: StrMap };
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: { key: string; value: string }[];
  mounts?: Mount[];
  labels?: StrMap;
  annotations?: StrMap;
  log_path?: string;
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    security_context?: {
      capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] };
      privileged?: boolean; namespace_options?: NamespaceOption; run_as_user?: Int64Value; run_as_username?: string;
      readonly_rootfs?: boolean; no_new_privs?: boolean; run_as_group?: Int64Value; seccomp?: SecurityProfile; apparmor?: SecurityProfile;
    };
  };
}

export interface VersionResponse { version: string; runtime_name: string; runtime_version: string; runtime_api_version: string }
export interface StatusResponse { status: { conditions: { type: string; status: boolean; reason: string; message: string }[] }; info: StrMap }

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  created_at: string;
  network: { ip: string; additional_ips: { ip: string }[] } | null;
  linux: { namespaces: { options: NamespaceOption | null } | null } | null;
  labels: StrMap;
  annotations: StrMap;
  runtime_handler: string;
}
export interface PodSandboxStatusResponse { status: PodSandboxStatus; info: StrMap }
export interface PodSandbox { id: string; metadata: PodSandboxMetadata; state: PodSandboxState; created_at: string; labels: StrMap; annotations: StrMap; runtime_handler: string }
export interface PodSandboxFilter { id?: string; state?: { state: PodSandboxState }; label_selector?: StrMap }

export interface Container {
  id: string; pod_sandbox_id: string; metadata: { name: string; attempt: number }; image: { image: string } | null; image_ref: string;
  state: ContainerState; created_at: string; labels: StrMap; annotations: StrMap;
}
export interface ContainerFilter { id?: string; state?: { state: ContainerState }; pod_sandbox_id?: string; label_selector?: StrMap }
export interface ContainerStatus {
  id: string; metadata: { name: string; attempt: number }; state: ContainerState;
  created_at: string; started_at: string; finished_at: string; exit_code: number;
  image: { image: string } | null; image_ref: string; reason: string; message: string;
  labels: StrMap; annotations: StrMap; mounts: Mount[]; log_path: string;
}
export interface ContainerStatusResponse { status: ContainerStatus; info: StrMap }
export interface ExecSyncResponse { stdout: Buffer; stderr: Buffer; exit_code: number }
export interface Image { id: string; repo_tags: string[]; repo_digests: string[]; size: string; username: string; pinned: boolean }

let packageCache: grpc.GrpcObject | undefined;
function criPackage(): any {
  packageCache ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(CRI_PROTO, { keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true, arrays: true, objects: false }),
  );
  return (packageCache as any).runtime.v1;
}

/** A CRI call failure, with the gRPC status code and details (e.g. NOT_FOUND = 5). */
export class CriError extends Error {
  constructor(readonly method: string, readonly code: number, readonly details: string) {
    super(`CRI ${method}: ${grpc.status[code] ?? code}: ${details}`);
  }
}

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;

  /** socket: path of containerd's gRPC unix socket. timeoutMs: default deadline of each call. */
  constructor(readonly socket: string, private readonly timeoutMs = 60_000) {
    const pkg = criPackage();
    const creds = grpc.credentials.createInsecure();
    const target = `unix://${socket}`;
    this.runtime = new pkg.RuntimeService(target, creds);
    this.images = new pkg.ImageService(target, creds, {});
  }

  private call<T>(client: grpc.Client, method: string, req: object, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise((resolve, reject) => {
      (client as any)[method](req, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: T) => {
        if (err) reject(new CriError(method, err.code, err.details));
        else resolve(res);
      });
    });
  }

  version(): Promise<VersionResponse> {
    return this.call(this.runtime, 'Version', { version: 'v1' });
  }

  status(verbose = false): Promise<StatusResponse> {
    return this.call(this.runtime, 'Status', { verbose });
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    return (await this.call<{ pod_sandbox_id: string }>(this.runtime, 'RunPodSandbox', { config, runtime_handler: runtimeHandler })).pod_sandbox_id;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { pod_sandbox_id: podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { pod_sandbox_id: podSandboxId });
  }

  podSandboxStatus(podSandboxId: string, verbose = false): Promise<PodSandboxStatusResponse> {
    return this.call(this.runtime, 'PodSandboxStatus', { pod_sandbox_id: podSandboxId, verbose });
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    return (await this.call<{ items: PodSandbox[] }>(this.runtime, 'ListPodSandbox', filter ? { filter } : {})).items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const req = { pod_sandbox_id: podSandboxId, config, sandbox_config: sandboxConfig };
    return (await this.call<{ container_id: string }>(this.runtime, 'CreateContainer', req)).container_id;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { container_id: containerId });
  }

  /** timeoutSec: grace period before SIGKILL (0 = kill at once), as kubelet passes it. */
  async stopContainer(containerId: string, timeoutSec = 0): Promise<void> {
    await this.call(this.runtime, 'StopContainer', { container_id: containerId, timeout: timeoutSec }, this.timeoutMs + timeoutSec * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { container_id: containerId });
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    return (await this.call<{ containers: Container[] }>(this.runtime, 'ListContainers', filter ? { filter } : {})).containers;
  }

  containerStatus(containerId: string, verbose = false): Promise<ContainerStatusResponse> {
    return this.call(this.runtime, 'ContainerStatus', { container_id: containerId, verbose });
  }

  /** timeoutSec: the command's own timeout (0 = none); the call's deadline is that plus the default. */
  execSync(containerId: string, cmd: string[], timeoutSec = 0): Promise<ExecSyncResponse> {
    return this.call(this.runtime, 'ExecSync', { container_id: containerId, cmd, timeout: timeoutSec }, this.timeoutMs + timeoutSec * 1000);
  }

  async listImages(): Promise<Image[]> {
    return (await this.call<{ images: Image[] }>(this.images, 'ListImages', {})).images;
  }

  /** null when the image is not present. */
  async imageStatus(image: string): Promise<Image | null> {
    return (await this.call<{ image: Image | null }>(this.images, 'ImageStatus', { image: { image } })).image;
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }
}
