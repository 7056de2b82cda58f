/* rind guest agent: declarations shared by the agent's modules.
 * The agent is PID 1 of the microVM; one thread, one poll loop (main.c). */
#ifndef RIND_AGENT_H
#define RIND_AGENT_H
#define _GNU_SOURCE
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../../proto/frame.h"

#define SHARE_DIR "/run/rind/share"
#define ROOT_DIR "/run/rind/root"
#define CTL_MAX (1u << 20)      /* largest ctl message */
#define STDIN_MAX (1u << 20)    /* stdin bytes buffered for a process */
#define NEXEC 8                 /* exec ports rind.exec0 .. rind.exec7 */


/* exit sequence of a session (sess.c) */
#define DRAIN_IDLE_MS 100       /* output quiet this long after the exit: it is all out */
#define DRAIN_MAX_MS 2000       /* stop reading output this long after the exit */
#define ACK_WAIT_MS 5000        /* wait this long for EXIT_ACK */
#define EXEC_FLUSH_MS 30000     /* an exec host that takes no output this long after the exit is given up */
#define EXEC_FIRST_FRAME_MS 30000 /* an exec host that sends no frame this long after `exec` is given up */
#define EXEC_HUP_GRACE_MS 250   /* an exec port seen disconnected this long after its first frame: its host is gone */

/* A process as create/exec describe it. Strings point into the ctl message buffer. */
struct rlim {
	int resource;
	unsigned long long soft, hard;
};
struct proc_spec {
	const char *cwd;
	int terminal;
	uid_t uid;
	gid_t gid;
	mode_t umask;
	gid_t *gids;
	size_t ngids;
	char **argv, **envp;    /* NULL-terminated */
	size_t nargs, nenv;
	struct rlim *rlimits;
	size_t nrlimits;
};
/* A parsed `create` request. */
struct create_req {
	const char *share, *rootfs, *hostname;
	int readonly;
	struct proc_spec proc;
	char **mounts;          /* "dest\x1ftype\x1fsource\x1foptions" */
	size_t nmounts;
	char **netifs, **netaddrs, **netroutes; /* raw values, net.c parses them */
	size_t nnetifs, nnetaddrs, nnetroutes;
	const char *seed, *time; /* NULL: absent */
};
/* A parsed `exec` request. */
struct exec_req {
	int port;
	struct proc_spec proc;
};

/* A virtio-serial port. `on`: in the poll set for reading. A port whose host side is not
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
extern struct port ctl_port;

/* A session: one process and the io channel (a port carrying io frames) it is relayed
 * over. The workload's session `wl` uses rind.io; each exec uses one rind.exec<i>. */
struct sess {
	const char *name;       /* for the log: "io", "exec3" */
	int is_exec;
	/* the process; fds are the agent's ends, -1 when closed */
	pid_t pid;              /* 0: none yet */
	int exited, code, pty;
	int in_fd;              /* stdin pipe, or a dup of the pty master */
	int out_fd, err_fd;     /* stdout/stderr pipes, or the pty master (out only) */
	int start_fd, started;  /* the workload's start barrier (exec: -1, 1) */
	unsigned short rows, cols; /* last WINSIZE, applied when the pty appears */
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
	/* poll bookkeeping: index in the pollfd array and the fd polled, per kind */
	int pi[4], pfd[4];
};
extern struct sess wl;

/* util.c */
extern char err_msg[512];
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void power_off(void);
int64_t now_ms(void);
void port_off(struct port *p);
int parse_num(const char *s, long long min, long long max, long long *v);

/* ctl.c */
void ctl_event(short revents);
int ctl_tick(int64_t now);
int ctl_want_write(void);
void reply_begin(const char *status);
void reply_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void reply_send(void);
void reply_error(const char *msg);

/* request.c */
int parse_create(char **kv, size_t n, struct create_req *r);
int parse_exec(char **kv, size_t n, struct exec_req *r);
void proc_spec_free(struct proc_spec *p);
void create_req_free(struct create_req *r);

/* io.c */
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
int chan_want_input(const struct sess *s);
int stdin_pending(const struct sess *s);
void stdin_event(struct sess *s);
void stdin_close(struct sess *s);

/* sess.c */
void sess_init(struct sess *s, const char *name, int is_exec, int port_fd);
int sess_poll(struct sess *s, struct pollfd *p, int n);
void sess_dispatch(struct sess *s, const struct pollfd *p);
void sess_exited(struct sess *s, int status);
int sess_tick(struct sess *s, int64_t now);
void sess_winsize(struct sess *s, unsigned rows, unsigned cols);
void sess_close_stdio(struct sess *s);

/* mounts.c */
int rootfs_setup(const struct create_req *r);
void rootfs_teardown(void);

/* process.c */
int proc_spawn(const struct proc_spec *p, struct sess *s, int barrier);
int workload_create(const struct create_req *r);
int workload_start(void);
int workload_signal(int signo, int all);

/* exec.c */
void exec_set_port(int i, int fd);
int exec_start(const struct exec_req *r);
struct sess *exec_session(int i);
struct sess *exec_by_pid(pid_t pid);
void exec_end(int i);

/* net.c */
int net_setup(const struct create_req *r);

/* identity.c */
int identity_apply(const char *seed, const char *time);

/* stats.c */
void do_ps(void);
void do_stats(void);

#endif
