// JSON Schema (TypeBox) of the parts of the OCI runtime-spec config.json that rind reads.
// Unknown fields are allowed, as the spec requires; the static types come from the schema.
import { Type, type Static } from '@sinclair/typebox';

const Uint32 = Type.Integer({ minimum: 0, maximum: 0xffffffff });
const Int64 = Type.Integer();
const AbsPath = Type.String({ minLength: 1, pattern: '^/' });
const NoNul = Type.String({ pattern: '^[^\\u0000]*$' });

export const UserSchema = Type.Object({
  uid: Uint32,
  gid: Uint32,
  umask: Type.Optional(Uint32),
  additionalGids: Type.Optional(Type.Array(Uint32)),
});

export const RlimitSchema = Type.Object({
  type: Type.String({ pattern: '^RLIMIT_[A-Z]+$' }),
  soft: Type.Integer({ minimum: 0 }),
  hard: Type.Integer({ minimum: 0 }),
});

export const ProcessSchema = Type.Object({
  terminal: Type.Optional(Type.Boolean()),
  consoleSize: Type.Optional(Type.Object({ height: Uint32, width: Uint32 })),
  user: UserSchema,
  args: Type.Array(NoNul, { minItems: 1 }),
  env: Type.Optional(Type.Array(Type.String({ pattern: '^[^=\\u0000]+=[^\\u0000]*$' }))),
  cwd: AbsPath,
  rlimits: Type.Optional(Type.Array(RlimitSchema)),
  noNewPrivileges: Type.Optional(Type.Boolean()),
  capabilities: Type.Optional(
    Type.Object({
      bounding: Type.Optional(Type.Array(Type.String())),
      effective: Type.Optional(Type.Array(Type.String())),
      permitted: Type.Optional(Type.Array(Type.String())),
      inheritable: Type.Optional(Type.Array(Type.String())),
      ambient: Type.Optional(Type.Array(Type.String())),
    }),
  ),
  oomScoreAdj: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
});

export const MountSchema = Type.Object({
  destination: AbsPath,
  type: Type.Optional(Type.String()),
  source: Type.Optional(NoNul),
  options: Type.Optional(Type.Array(Type.String({ pattern: '^[^,\\u0000\\u001f]*$' }))),
});

export const NamespaceSchema = Type.Object({
  type: Type.Union(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'].map((t) => Type.Literal(t))),
  path: Type.Optional(AbsPath),
});

export const ResourcesSchema = Type.Object({
  memory: Type.Optional(Type.Object({ limit: Type.Optional(Int64), reservation: Type.Optional(Int64), swap: Type.Optional(Int64) })),
  cpu: Type.Optional(
    Type.Object({
      shares: Type.Optional(Type.Integer({ minimum: 0 })),
      quota: Type.Optional(Int64),
      period: Type.Optional(Type.Integer({ minimum: 0 })),
      cpus: Type.Optional(Type.String({ pattern: '^[0-9,\\-]*$' })),
      mems: Type.Optional(Type.String({ pattern: '^[0-9,\\-]*$' })),
    }),
  ),
  pids: Type.Optional(Type.Object({ limit: Int64 })),
});

export const HookSchema = Type.Object({
  path: AbsPath,
  args: Type.Optional(Type.Array(NoNul)),
  env: Type.Optional(Type.Array(Type.String({ pattern: '^[^=\\u0000]+=[^\\u0000]*$' }))),
  timeout: Type.Optional(Type.Integer({ minimum: 1 })),
});

const Hooks = Type.Optional(Type.Array(HookSchema));
export const HooksSchema = Type.Object({
  prestart: Hooks,
  createRuntime: Hooks,
  createContainer: Hooks,
  startContainer: Hooks,
  poststart: Hooks,
  poststop: Hooks,
});

export const SpecSchema = Type.Object({
  ociVersion: Type.String({ pattern: '^1\\.' }),
  process: Type.Optional(ProcessSchema),
  root: Type.Optional(Type.Object({ path: Type.String({ minLength: 1 }), readonly: Type.Optional(Type.Boolean()) })),
  hostname: Type.Optional(Type.String({ pattern: '^[^\\u0000]{0,64}$' })),
  mounts: Type.Optional(Type.Array(MountSchema)),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  hooks: Type.Optional(HooksSchema),
  linux: Type.Optional(
    Type.Object({
      namespaces: Type.Optional(Type.Array(NamespaceSchema)),
      resources: Type.Optional(ResourcesSchema),
      cgroupsPath: Type.Optional(Type.String()),
      maskedPaths: Type.Optional(Type.Array(AbsPath)),
      readonlyPaths: Type.Optional(Type.Array(AbsPath)),
      sysctl: Type.Optional(Type.Record(Type.String(), Type.String())),
      devices: Type.Optional(Type.Array(Type.Object({ path: AbsPath, type: Type.String(), major: Type.Optional(Type.Integer()), minor: Type.Optional(Type.Integer()), fileMode: Type.Optional(Uint32), uid: Type.Optional(Uint32), gid: Type.Optional(Uint32) }))),
      rootfsPropagation: Type.Optional(Type.String()),
      seccomp: Type.Optional(Type.Object({ defaultAction: Type.String() })),
    }),
  ),
});

export type Spec = Static<typeof SpecSchema>;
export type ProcessSpec = Static<typeof ProcessSchema>;
export type MountSpec = Static<typeof MountSchema>;
export type HookSpec = Static<typeof HookSchema>;
export type HooksSpec = Static<typeof HooksSchema>;
