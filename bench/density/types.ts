// The benchmark's result shapes: what --json writes and the table and HTML pages read.
// Field names follow the issue (allServingSeconds, startLatencyMs, firstAnswerMs, ...).

export interface RuntimeResult {
  runtime: string;
  version: string;
  count: number;
  parallel: number;
  /** first create → last service answered (null when none answered) */
  allServingSeconds: number | null;
  startLatencyMs: { p50: number | null; p95: number | null; max: number | null };
  /** per service, from the start of its create to its first correct HTTP answer */
  firstAnswerMs: { p50: number | null; p95: number | null };
  /**
   * available: MemAvailable drop / N; pss: summed PSS of the per-service processes / N;
   * cgroup: memory charged to the runtime's cgroup subtree (containers, and rind's shim+QEMU) / N
   */
  memoryPerServiceMiB: { available: number | null; pss: number | null; cgroup: number | null };
  /**
   * noise of memoryPerServiceMiB.available: the range of MemAvailable over 1 s before the first create and
   * over 1 s after the settle, / N; belowNoise: the drop is within it (table and page say "< noise", no ratio)
   */
  memoryNoise?: { noiseMiB: number; belowNoise: boolean };
  cpuSeconds: number | null;
  /**
   * cpuSeconds per service, split (ms): cli = the runtime's CLI calls (create+start; rind: its client,
   * its daemon and the helpers they wait for), shim = rind-shim, vmm = QEMU less guest time, guest = KVM
   * guest time (null under TCG, whose guest runs inside the VMM's threads), rest = the rest of cpuSeconds
   * (runc/crun: the containers; rind: processes that ended before the measurement, rounding)
   */
  cpuPerServiceMs?: { total: number | null; cli: number | null; shim: number | null; vmm: number | null; guest: number | null; rest: number | null };
  /** services that were not created/started or never answered within the bound */
  failures: number;
  failureReasons: string[];
  served: number;
  servingAfterSettle: number;
  /** seconds since the first create at which each service first answered, sorted */
  servingTimeline: number[];
  processesPerService: number | null;
  deadlineSeconds: number;
  deadlineHit: boolean;
  loadAverageBefore: [number, number, number];
  phaseSeconds: { network: number; run: number; settle: number; teardown: number };
  /** the benchmark's own event-loop delay while it created and polled: large values mean its timings are late */
  harnessLoopDelayMs: { p50: number | null; p99: number | null; max: number | null };
  /** what teardown could not remove; non-empty is an error */
  leftovers: string[];
  error?: string;
}

export interface DensityReport {
  metadata: {
    benchmark: 'density';
    date: string;
    N: number;
    P: number;
    /** services are pods of 2 containers */
    pods?: boolean;
    runtimes: string[];
    loadAverage: [number, number, number];
    accelerator: string;
    host: { kernel: string; cpus: number; memTotalMiB: number };
    subnet: string;
    bridge: string;
    settleSeconds: number;
    memoryLimitMiB: number;
    cgroups: string;
    /** RIND_* variables the runtimes inherited (e.g. RIND_TEMPLATES=0) */
    rindEnvironment?: Record<string, string>;
    neighbourThresholds?: { before: number[]; during: number[] };
    wallSeconds: number;
    interrupted?: boolean;
  };
  results: Record<string, RuntimeResult>;
  leftovers: string[];
}
