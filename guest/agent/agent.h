/* rind guest agent: declarations shared by the agent's modules.
 * The agent is PID 1 of the microVM; one thread, one poll loop (main.c). */
#ifndef RIND_AGENT_H
#define RIND_AGENT_H
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../../native/common/frame.h"

#define SHARE_DIR "/run/rind/share"
#define ROOT_DIR "/run/rind/root"
#define CTL_MAX (1u << 20)      /* largest ctl message */
#define STDIN_MAX (1u << 20)    /* stdin bytes buffered for the workload */

/* A parsed `create` request. Strings point into the ctl message buffer. */
struct rlim {
	int resource;
	unsigned long long soft, hard;
};
struct create_req {
	const char *share, *rootfs, *hostname, *cwd;
	int readonly, terminal;
	uid_t uid;
	gid_t gid;
	mode_t umask;
	gid_t *gids;
	size_t ngids;
	char **argv, **envp;    /* NULL-terminated */
	struct rlim *rlimits;
	size_t nrlimits;
	char **mounts;          /* "dest\x1ftype\x1fsource\x1foptions" */
	size_t nmounts;
};

/* The one workload process of this VM. Fds are the agent's ends, -1 when closed. */
struct workload {
	pid_t pid;              /* 0: not created */
	int started, exited, code;
	int start_fd;           /* write end of the start pipe, until `start` */
	int in_fd;              /* stdin pipe, or a dup of the pty master */
	int out_fd, err_fd;     /* stdout/stderr pipes, or the pty master (out only) */
	int pty;
};
extern struct workload wl;

/* A virtio-serial port. `on`: in the poll set. A port whose host side is not
 * connected reports POLLHUP forever, so it is taken out until SIGIO says the host
 * (re)connected; as a fallback it is re-polled after rearm_ms (1 s, doubling to 60 s). */
struct port {
	int fd;
	int on;
	int64_t off_since;
	int rearm_ms;
};
/* The fallback backs off because an idle VM (ctl is hung up between CLI calls)
 * must not wake up every second; SIGIO is what normally re-arms a port. */
#define REARM_MIN_MS 1000
#define REARM_MAX_MS 60000
extern struct port ctl_port, io_port;

/* util.c */
extern char err_msg[512];
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void power_off(void);
int64_t now_ms(void);
int write_full(int fd, const void *buf, size_t len, int timeout_ms);
void port_off(struct port *p);

/* ctl.c */
void ctl_event(short revents);
int ctl_tick(int64_t now);

/* io.c */
extern int io_acked;
int io_want_read(void);
int io_stdin_pending(void);
void io_event(short revents);
void io_catch_up(void);
void io_stdin_event(void);
void io_stdin_close(void);
int io_pump(int *fd, int type);
void io_send(int type, const void *payload, uint32_t len);

/* mounts.c */
int rootfs_setup(const struct create_req *r);
void rootfs_teardown(void);

/* process.c */
int workload_create(const struct create_req *r);
int workload_start(void);
int workload_signal(int signo, int all);
void workload_winsize(unsigned rows, unsigned cols);

#endif
