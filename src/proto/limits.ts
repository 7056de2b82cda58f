// The TypeScript side of proto/limits.h: limits the host, the shim and the guest agent must agree on.
// test/unit/proto-constants.test.ts reads the C header and fails when the two drift apart.
export const RIND_CTL_MAX = 1 << 20;
export const RIND_EXEC_PORTS = 8;
/** what a foreground `run`/`exec` passes on to its shim; the shim forwards all but SIGWINCH as SIGNAL frames */
export const RIND_FWD_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** rind-shim's control signal: kill the VMM, reap it, exit 137 (never forwarded to the guest) */
export const RIND_SHIM_STOP_SIGNAL = 40;
