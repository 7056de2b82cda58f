/* rind-shim: state and prototypes shared by every file of the shim (main, state, proc, jail, vmm, nsbind,
 * shimroot, relay, serial, tty, sock). One shim per container: everything is static, no heap, no threads. */
#ifndef RIND_SHIM_H
#define RIND_SHIM_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>
#include "args.h"
#include "limits.h" /* proto/limits.h (-iquote proto): RIND_SHIM_STOP_SIGNAL */

enum shim_mode { MODE_PLAIN, MODE_TTY, MODE_CONSOLE };

/* Control signal (shim-only, never forwarded to the guest): "SIGKILL the VMM now, reap it, exit".
 * A fixed number, not SIGRTMIN+n: musl, glibc and the kernel disagree on SIGRTMIN (35/34/32). */
#define SHIM_SIG_KILL_VMM RIND_SHIM_STOP_SIGNAL

struct shim {
	int statefd;      /* O_DIRECTORY fd of --state */
	int logfd;        /* <state>/shim.log, -1 before it is open (then stderr) */
	int readyfd;      /* --ready-fd, -1 when none or already answered */
	int sigfd;        /* signalfd: forwarded signals, SIGCHLD, SIGWINCH, SHIM_SIG_KILL_VMM */
	int sock;         /* our end of the io (or serial console) socketpair, or the exec socket (non-blocking) */
	int exec;         /* exec mode: sock is a connection to QEMU's exec port, no QEMU child */
	pid_t qemu;       /* QEMU's pid, 0 before spawn */
	int qemu_reaped;
	int qemu_status;  /* waitpid status once reaped */
	int mode;         /* enum shim_mode */
	int in_fd;        /* where STDIN frames come from (0, the pty slave), -1: none */
	int out_fd;       /* STDOUT frames go here */
	int err_fd;       /* STDERR frames go here (== out_fd with a terminal) */
	int winsz_fd;     /* terminal to read the window size of, -1: none */
	int raw_fd;       /* terminal put in raw mode that must be restored, -1: none */
	int nullfd;       /* /dev/null opened before --shim-root (the host's, not the rootfs's), -1: none */
	struct termios raw_saved;
	int exit_seen;    /* an EXIT frame arrived */
	int exit_code;    /* its code */
	int exit_written; /* <state>/exit has been written */
};

extern struct shim S;

/* state.c: log, state files, ready fd, the end */
long long mono_ms(void);
void write_all_fd(int fd, const char *b, size_t n);
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void state_open(const char *dir);
int write_state_file(const char *name, const char *content);
void write_exit_file(int code);
void ready_ok(void);
void shim_finish(int code) __attribute__((noreturn));

/* proc.c: the shim's own fds and signal dispositions, and their reset for the VMM */
void proc_std_fds(void);
int proc_find_ready_fd(int argc, char **argv);
void proc_close_inherited(int keep);
void proc_stdio_to_null(void);
void proc_signals(void);
void proc_child_reset(void);
int proc_close_from(int lowfd);

/* mount_setattr(2): struct mount_attr and the MOUNT_ATTR_* bits rind uses */
#define RIND_MOUNT_ATTR_RDONLY 0x1ULL
#define RIND_MOUNT_ATTR_NOSUID 0x2ULL
#define RIND_MOUNT_ATTR_NODEV 0x4ULL
#define RIND_MOUNT_ATTR_NOEXEC 0x8ULL
struct rind_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* jail.c: what confines the VMM */
void jail_join_cgroups(char **argv, const struct shim_args *a);
int jail_apply(char **argv, const struct shim_args *a, char *err, size_t errlen);
void jail_before_fork(const struct shim_args *a);
/* attrs (RIND_MOUNT_ATTR_*) on dst's mount tree (mount_setattr, else a remount of the top one) */
int mount_set_attrs(const char *dst, uint64_t attrs, const char *what, char *err, size_t errlen);

/* nsbind.c: the one-shot --bind-into / --unbind-in (exits) */
void nsbind_main(int argc, char **argv) __attribute__((noreturn));

/* shimroot.c: --shim-root, the shim's own mount namespace rooted in the container's rootfs */
void shim_root_enter(const char *dir);

/* vmm.c: the VMM child */
void vmm_spawn(char **argv, const struct shim_args *a);
void vmm_wait(void) __attribute__((noreturn));
void kill_qemu(void);
void reap_children(int block);
void drain_signals(void (*on)(int signo, unsigned from));

/* relay.c */
void relay_run(void) __attribute__((noreturn));

/* serial.c: --serial-console (map: enum shim_exit_map) */
void serial_run(int map) __attribute__((noreturn));

/* sock.c */
int unix_connect(const char *path, const char *what, int sock_flags, char *err, size_t errlen);
int unix_connect_retry(const char *path, const char *what, int ms, char *err, size_t errlen);
int unix_send_fd(int sock, int fd, const char *name);

/* tty.c */
int tty_console_setup(const char *sock_path, char *err, size_t errlen);
int tty_inherit_setup(char *err, size_t errlen);
void tty_restore(void);
int tty_winsize(unsigned short *rows, unsigned short *cols);
int tty_console_onlcr(void);

#endif
