/* rind guest agent: declarations of the modules that touch the system (the agent is PID 1 of the VM).
 * The pure parsers have headers of their own (request.h, mountspec.h, resolve.h, netparse.h, fields.h). */
#ifndef RIND_AGENT_H
#define RIND_AGENT_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../../proto/frame.h"
#include "../../proto/limits.h"
#include "cgspec.h"
#include "ctable.h"
#include "err.h"
#include "fields.h"
#include "request.h"

#define RUN_DIR "/run/rind"     /* the share at RUN_DIR/share; a container's root is built at RUN_DIR/root in its own mount namespace */
#define STDIN_MAX (1u << 20)    /* stdin bytes buffered for a process */
#define MAX_SESSIONS (1 + RIND_EXEC_PORTS) /* rind.io and the exec ports */
#define FREEZE_WAIT_MS 5000     /* pause/resume: wait this long for cgroup.events to say frozen/thawed */
#define DELETE_WAIT_MS 10000    /* delete: wait this long for the cgroup to empty after SIGKILL */

/* exit sequence of a session (sess.c) */
#define DRAIN_IDLE_MS 100       /* output quiet this long after the exit: it is all out */
#define DRAIN_MAX_MS 2000       /* stop reading output this long after the exit */
#define ACK_WAIT_MS 5000        /* wait this long for EXIT_ACK */
#define EXEC_FLUSH_MS 30000     /* an exec host that takes no output this long after the exit is given up */
#define EXEC_FIRST_FRAME_MS 30000 /* an exec host that sends no frame this long after `exec` is given up */
#define EXEC_HUP_GRACE_MS 250   /* an exec port seen disconnected this long after its first frame: its host is gone */

/* ---- sys.c: console log, fatal errors, power-off, the clock, small-file reads ---- */
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void power_off(void);
int64_t now_ms(void);
int tmin(int a, int b);         /* the sooner of two poll timeouts (-1: none) */
int ms_until(int64_t deadline, int64_t now);
/* Reads a small file (relative to dirfd, or AT_FDCWD) whole, NUL-terminated, up to len - 1 bytes; its length or -1. */
ssize_t read_small(int dirfd, const char *path, char *b, size_t len);

/* ---- transport.c: the virtio-serial ports ---- */

/* A port. `on`: in the poll set for reading. A port whose host side is not connected reports
 * POLLHUP forever, so it is taken out until SIGIO says the host (re)connected; as a fallback
 * it is re-polled after rearm_ms (1 s, doubling to 60 s: an idle VM, whose ctl is hung up
 * between CLI calls, must not wake up every second). */
struct port {
	int fd;
	int on;
	int64_t off_since;
	int rearm_ms;
};
#define REARM_MIN_MS 1000
#define REARM_MAX_MS 60000
/* The fds of the ports found at boot, -1: absent. */
struct ports {
	int ctl, io, exec[RIND_EXEC_PORTS];
};
void transport_open(struct ports *p);
void port_off(struct port *p);
void port_wake(struct port *p);
int port_rearm(struct port *p, int64_t now);

/* ---- a session: one process and the io channel (a port carrying io frames) it is relayed
 * over. rind.io carries the first container's init process; each exec uses one rind.exec<i>. ---- */
struct sess {
	const char *name;       /* for the log: "io", "exec3" */
	int is_exec;
	/* the process (spawn.c, stdio.c); fds are the agent's ends, -1 when closed */
	pid_t pid;              /* 0: none yet */
	int exited, code, pty;
	int in_fd;              /* stdin pipe, or a dup of the pty master */
	int out_fd, err_fd;     /* stdout/stderr pipes, or the pty master (out only) */
	int start_fd;           /* an init process's start barrier (-1: none, or released) */
	unsigned short rows, cols; /* last WINSIZE, applied when the pty appears */
	unsigned char onlcr;    /* last ONLCR frame: 0 none, 1 clear, 2 set; applied when the pty appears */
	/* the channel (io.c); buffers are allocated by chan_alloc */
	struct port port;
	int host_seen;          /* a frame of this session's host was read: output may flow */
	int64_t born;           /* exec: when it started */
	int64_t hup_since;      /* exec: disconnected since then, after host_seen (0: no) */
	int broken;             /* the host side is gone: output is dropped */
	int acked;              /* EXIT_ACK seen */
	unsigned char *in;      /* frames from the host, 8 + RIND_FRAME_MAX */
	size_t in_len;
	int stalled;            /* a STDIN frame waits for room in sbuf */
	unsigned char *sbuf;    /* stdin bytes not yet taken by the process, STDIN_MAX */
	size_t s_off, s_len;
	int stdin_eof;          /* STDIN_EOF seen: close stdin once sbuf is flushed */
	int stdin_gone;         /* stdin is closed: STDIN frames are dropped */
	unsigned char *out;     /* the frame being written to the port, 8 + RIND_FRAME_MAX */
	size_t out_off, out_len;
	/* the exit sequence (sess.c) */
	int64_t exited_at, drain_idle_until, drain_until, ack_until;
	int exit_queued, exit_sent, done;
	int *done_out;          /* set to 1 when the session is done (its owner's flag), or NULL */
	/* poll bookkeeping: index in the pollfd array and the fd polled, per kind */
	int pi[4], pfd[4];
};

/* ---- stdio.c: the process's end of a session ---- */
int stdin_pending(const struct sess *s);
int stdin_put(struct sess *s, const unsigned char *b, size_t len);
void stdin_event(struct sess *s);
void stdin_close(struct sess *s);
void stdio_close(struct sess *s);
void stdio_winsize(struct sess *s, unsigned rows, unsigned cols);
void pty_onlcr(struct sess *s, int on); /* spawn.c */

/* ---- io.c: the channel of a session ---- */
int chan_alloc(struct sess *s);
void chan_release(struct sess *s);
int chan_pending(const struct sess *s);
void chan_flush(struct sess *s);
void chan_broken(struct sess *s, const char *why);
int chan_pump(struct sess *s, int *fd, int type);
void chan_send_exit(struct sess *s);
void chan_send_open(struct sess *s);
void chan_port_event(struct sess *s, short revents);
void chan_host_gone(struct sess *s, const char *why);
void chan_catch_up(struct sess *s);
void chan_resume(struct sess *s);
int chan_want_input(const struct sess *s);

/* ---- sess.c: a session in the poll loop ---- */
void sess_init(struct sess *s, const char *name, int is_exec, int port_fd);
int sess_poll(struct sess *s, struct pollfd *p, int n);
void sess_dispatch(struct sess *s, const struct pollfd *p);
void sess_exited(struct sess *s, int status);
int sess_tick(struct sess *s, int64_t now);

/* ---- spawn.c, child.c: a process started in a container ---- */

/* What a new process enters. create: a new mount namespace (and those of its own that `fresh`
 * names) whose root is built (rootfs.c) from `create` and pivoted into, and the namespaces of other
 * containers in `ns`; exec: the init's namespaces in `ns`. Both join the container's cgroup first. */
struct launch {
	const struct proc_spec *proc;
	int barrier;            /* wait for start (create) */
	const struct create_req *create; /* create: the root to build; NULL for exec */
	int fresh;              /* create: bit 1<<NS_*: namespaces of its own (nsspec.h) */
	int cg_fd;              /* the container's cgroup directory */
	int ns[NS_KINDS];       /* namespaces to join by NS_* (-1: none) */
};
#define REPORT_PTY 1     /* the child's report message that carries the pty master (SCM_RIGHTS) */
#define REPORT_USERNS 2  /* the child is in its new user namespace: the agent writes its id maps, then answers one byte */
int proc_spawn(const struct launch *l, struct sess *s);
_Noreturn void child_run(const struct launch *l, int stdio[3], int report, int go);

/* ---- security.c: a process's security settings, in the child (README.md "Security": the order) ---- */
int sec_oom(const struct proc_sec *s);
int sec_sysctls(const struct create_req *r);
int sec_bounding(const struct proc_sec *s);
int sec_keepcaps(const struct proc_sec *s, int on);
int sec_caps(const struct proc_sec *s);
int sec_nnp(const struct proc_sec *s);
int sec_seccomp(const struct proc_sec *s);

/* ---- rootfs.c: a container's filesystem ---- */
int share_mount(const char *tag);
int rootfs_enter(const struct create_req *r); /* in the child, in its new mount namespace */

/* ---- cgroup.c: cgroup v2 in the guest, one cgroup per container ---- */
void cgroup_boot(void);
const char *cgroup_controllers(void);
int cgroup_create(int slot, const struct cg_spec *s);
int cgroup_update(int fd, const struct cg_spec *s);
int cgroup_remove(int slot);
int cgroup_join(int fd);
long cgroup_procs(int fd, void (*fn)(pid_t pid, void *arg), void *arg);
int cgroup_signal(int fd, int signo);
int cgroup_populated(int fd);
int cgroup_freeze(int fd, int on, int wait_ms);
int cgroup_value(int fd, const char *file, const char *key, unsigned long long *v);
int cgroup_devices(int fd, const unsigned char *prog, size_t ninsns); /* devices_bpf=: the device program */

/* ---- net.c, identity.c: what create sets up for the whole VM ---- */
int net_setup(const struct create_req *r);
int identity_apply(const char *seed, const char *time);

/* ---- container.c: the container table ---- */
struct container;
struct container_info {
	const char *status;     /* "created", "running", "paused", "stopped" */
	pid_t pid;              /* its init process */
	int exited, exit_code, killed; /* killed: the init died of SIGKILL */
	int cg_fd;              /* its cgroup */
};
void container_boot(int io_fd);
struct container *container_get(const char *cid);
int container_create(const struct create_req *r);
int container_start(struct container *c);
int container_signal(struct container *c, int signo, int all);
int container_pause(struct container *c, int on);
int container_update(struct container *c, const struct cg_spec *s);
int container_delete(struct container *c);
int container_exec_check(const struct container *c);
int container_exec(struct container *c, const struct proc_spec *p, struct sess *s);
void container_info(const struct container *c, struct container_info *i);
void container_reap(void);
int container_poll(struct pollfd *p, int n);
void container_dispatch(const struct pollfd *p);
void container_wake(void);
int container_tick(int64_t now, int *vm_over);

/* ---- portsess.c: the sessions on the exec ports ---- */
void portsess_boot(const int fds[RIND_EXEC_PORTS]);
struct sess *portsess_claim(int port);
void portsess_abandon(struct sess *s);
void portsess_open(struct sess *s);
int portsess_reaped(pid_t pid, int status);
int portsess_poll(struct pollfd *p, int n);
void portsess_dispatch(const struct pollfd *p);
void portsess_wake(void);
int portsess_tick(int64_t now);

/* ---- exec.c: the exec verb ---- */
int exec_start(const struct exec_req *r, struct container *c);

/* ---- procs.c: the guest's user processes ---- */
long procs_each(void (*fn)(pid_t pid, void *arg), void *arg);
int procs_describe(pid_t pid, char *b, size_t len);
unsigned long long procs_uptime_ticks(void);

/* ---- reply.c, ctl.c, verbs.c, stats.c: the ctl channel ---- */
void reply_begin(const char *status);
void reply_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void reply_error(const char *msg);
void reply_take(const char **buf, size_t *len);
extern struct port ctl_port;
void ctl_event(short revents);
int ctl_tick(int64_t now);
int ctl_want_write(void);
void verbs_handle(char *msg, size_t len);
void stats_ps(const struct container *c);
void stats_stats(const struct container *c);
void stats_events(const struct container *c);

/* ---- boot.c ---- */
void boot(void);

#endif
