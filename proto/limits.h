/* rind limits the host (TypeScript), the shim and the guest agent must agree on.
 * test/unit/proto-constants.test.ts reads this file and checks the TypeScript side against it. */
#ifndef RIND_LIMITS_H
#define RIND_LIMITS_H

#define RIND_CTL_MAX (1u << 20) /* largest ctl message body, bytes */
#define RIND_EXEC_PORTS 8       /* exec ports rind.exec0 .. rind.exec7 */
/* signals a shim forwards to the guest as SIGNAL frames (SIGWINCH becomes WINSIZE) */
#define RIND_FWD_SIGNALS { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 }

/* the shim's control signal: kill the VMM, reap it, exit 137 (a fixed number: libcs disagree on SIGRTMIN) */
#define RIND_SHIM_STOP_SIGNAL 40

#endif
