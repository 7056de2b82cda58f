// Every RIND_* environment variable rind reads, in one place (the README lists them).
// Values are read when asked for, never cached at import, so tests can set them per call.
const positive = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

export const rindEnv = {
  /** cache of builds, templates and the accelerator verdict */
  cache: (): string => process.env.RIND_CACHE ?? '/var/cache/rind',
  /** kvm | tcg | auto (the --accel flag wins) */
  accel: (): string | undefined => process.env.RIND_ACCEL,
  kernel: (): string | undefined => process.env.RIND_KERNEL,
  initramfs: (): string | undefined => process.env.RIND_INITRAMFS,
  shim: (): string | undefined => process.env.RIND_SHIM,
  qemu: (): string | undefined => process.env.RIND_QEMU,
  /** how long a plain boot may take until the agent answers */
  bootTimeoutMs: (): number | undefined => positive(process.env.RIND_BOOT_TIMEOUT_MS),
  /** how long a live guest may take to answer a request */
  agentTimeoutMs: (): number | undefined => positive(process.env.RIND_AGENT_TIMEOUT_MS),
  /** TCG translation cache per VM, MiB */
  tbSizeMiB: (): number | undefined => positive(process.env.RIND_TB_SIZE_MIB),
  /** RIND_TEMPLATES=0 boots every VM instead of cloning it from a template */
  templates: (): boolean => process.env.RIND_TEMPLATES !== '0',
  /** `run` appends one JSON line of phase timings here (benchmarks) */
  timingsFile: (): string | undefined => process.env.RIND_TIMINGS_FILE,
};
