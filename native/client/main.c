/* bin/rind: the runtime binary engines call. A static C client of rindd, the per-root daemon that runs
 * rind's Node CLI (src/daemon): it sends argv, environ and cwd, writes what the daemon prints to its own
 * stdout/stderr and exits with the call's code. When the call starts rind-shim, the daemon asks us to
 * fork it (SPAWN): the shim gets our stdio (the engine's) and session, and descends from the engine as
 * when the Node CLI forked it. A foreground run/exec: we forward signals to it and report its exit.
 *
 * No daemon yet: we take <root>/.rindd-KEY.lock (flock), start one (node dist/src/daemon/main.js, the
 * lock on its fd 3, so it holds it for its whole life) and wait until it listens. KEY covers what a call's
 * meaning depends on besides argv/env/cwd: uid/gid, umask, namespaces, root directory, the build.
 * Anything that keeps us from a daemon before it took the call (ACK) falls back to the Node CLI
 * (bin/rind-node), as does RIND_NO_DAEMON=1; after ACK a lost daemon is one error line and exit 255.
 * Our own failures exit 255 (runc's code for the runtime's errors); 0..255 otherwise is the call's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "limits.h"
#include "proto.h"

#ifndef RIND_REPO
#error "build with -DRIND_REPO=\"/path/to/rind\" (native/client/build.sh)"
#endif
#ifndef RIND_NODE
#define RIND_NODE "/usr/bin/node"
#endif

#define DAEMON_JS RIND_REPO "/dist/src/daemon/main.js"
#define NODE_CLI RIND_REPO "/bin/rind-node"
#define LAUNCH_TIMEOUT_MS 20000
#define CONNECT_TIMEOUT_MS 20000
#define MAX_CHILDREN 16
#define EXIT_RIND_FAILURE 1   /* the runtime failed (not the workload): runc's code, as the Node CLI's RindError */
#define EXIT_EXEC_FAILURE 255 /* the same for `exec`, whose other codes are the process's (runc's too) */

extern char **environ;

static char root[PATH_MAX], sock_path[PATH_MAX], lock_path[PATH_MAX], log_path[PATH_MAX];
static char **g_argv;

static void reset_signals(void);

/* runc's code for the runtime's own failure: 255 for `exec` (its other codes are the process's), else 1.
 * The verb is the first word after the global options (those that take a value skip it). */
static int failure_code(void)
{
	static const char *const valued[] = { "--root", "--log", "--log-format", "--accel", "--criu", "--rootless", NULL };
	for (int i = 1; g_argv[i]; i++) {
		const char *a = g_argv[i];
		if (a[0] != '-')
			return strcmp(a, "exec") ? EXIT_RIND_FAILURE : EXIT_EXEC_FAILURE;
		for (int v = 0; valued[v]; v++)
			if (!strcmp(a, valued[v]) && g_argv[i + 1])
				i++;
	}
	return EXIT_RIND_FAILURE;
}

/* ---------- fallback: the Node CLI ---------- */

static void fallback(void)
{
	int argc = 0;
	while (g_argv[argc])
		argc++;
	char **a = calloc((size_t)argc + 2, sizeof *a);
	reset_signals();
	if (a) {
		a[0] = "node";
		a[1] = NODE_CLI;
		for (int i = 1; i < argc; i++)
			a[i + 1] = g_argv[i];
		execv(RIND_NODE, a);
		execvp("node", a);
	}
	fprintf(stderr, "rind: cannot run the Node CLI (%s, %s): %s\n", RIND_NODE, NODE_CLI, strerror(errno));
	exit(failure_code());
}

/* ---------- small helpers ---------- */

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { .fd = fd, .events = POLLOUT };
				poll(&pf, 1, -1);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
		return -1;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, mode) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static void reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* ---------- the key: one daemon per root and per everything a call inherits from its caller ---------- */

static int daemon_key(char out[17])
{
	static const char *const ns[] = { "mnt", "pid", "net", "user", "cgroup", "ipc", "uts" };
	char buf[2048], link[128], path[64];
	size_t n = 0;
	mode_t mask = umask(0);
	umask(mask);
	n += (size_t)snprintf(buf + n, sizeof buf - n, "v1|%u|%u|%o|", (unsigned)geteuid(), (unsigned)getegid(), (unsigned)mask);
	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
		ssize_t l = readlink(path, link, sizeof link - 1);
		link[l > 0 ? l : 0] = 0;
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s|", link);
	}
	struct stat st;
	if (stat("/", &st) == 0)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "/=%llu:%llu|", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if (stat(DAEMON_JS, &st) < 0)
		return -1; /* not built: the Node CLI will say what is missing */
	n += (size_t)snprintf(buf + n, sizeof buf - n, "%llu:%llu:%lld:%ld.%ld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			      (long long)st.st_size, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (n >= sizeof buf)
		return -1;
	rc_hash_hex(buf, n, out);
	return 0;
}

/* ---------- reaching or starting the daemon ---------- */

static int try_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != geteuid()) {
		close(s);
		errno = EPERM;
		return -1;
	}
	return s;
}

/* Closes every fd from `from` up: the daemon must not hold an engine's pipe (conmon waits for EOF). */
static void close_from(int from)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)from, ~0u, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = from; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		close((int)fd);
}

static int move_high(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	return n < 0 ? fd : n;
}

/* Starts a daemon holding lockfd; 0 once it listens. */
static int launch(int lockfd)
{
	int rp[2];
	if (pipe2(rp, O_CLOEXEC) < 0)
		return -1;
	struct stat st;
	int trunc = stat(log_path, &st) == 0 && st.st_size > (1 << 20) ? O_TRUNC : 0;
	int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | trunc, 0600);
	pid_t pid = fork();
	if (pid < 0) {
		close(rp[0]);
		close(rp[1]);
		if (logfd >= 0)
			close(logfd);
		return -1;
	}
	if (pid == 0) {
		setsid();
		pid_t p2 = fork();
		if (p2 != 0)
			_exit(p2 < 0);
		int lk = move_high(lockfd), w = move_high(rp[1]), lg = logfd >= 0 ? move_high(logfd) : -1;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 0);
		dup2(lg >= 0 ? lg : null, 1);
		dup2(lg >= 0 ? lg : null, 2);
		dup2(lk, 3);
		dup2(w, 4);
		close_from(5);
		if (chdir("/") < 0)
			_exit(126);
		reset_signals();
		static char e_sock[PATH_MAX + 32], e_path[4096], e_idle[64], e_stamp[PATH_MAX + 32];
		const char *path = getenv("PATH"), *idle = getenv("RIND_DAEMON_IDLE_MS");
		snprintf(e_sock, sizeof e_sock, "RIND_DAEMON_SOCKET=%s", sock_path);
		snprintf(e_path, sizeof e_path, "PATH=%s", path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
		snprintf(e_idle, sizeof e_idle, "RIND_DAEMON_IDLE_MS=%s", idle ? idle : "");
		snprintf(e_stamp, sizeof e_stamp, "RIND_DAEMON_STAMP=%s", DAEMON_JS);
		char *env[] = { e_path, e_sock, e_idle, e_stamp, "RIND_DAEMON_LOCK_FD=3", "RIND_DAEMON_READY_FD=4", NULL };
		char *args[] = { "node", DAEMON_JS, NULL };
		execve(RIND_NODE, args, env);
		environ = env;
		execvp("node", args);
		dprintf(2, "rind: cannot start the daemon (%s): %s\n", RIND_NODE, strerror(errno));
		_exit(127);
	}
	close(rp[1]);
	if (logfd >= 0)
		close(logfd);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char buf[8];
	size_t got = 0;
	long long end = now_ms() + LAUNCH_TIMEOUT_MS;
	while (got < 3) {
		struct pollfd pf = { .fd = rp[0], .events = POLLIN };
		long long left = end - now_ms();
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		ssize_t r = read(rp[0], buf + got, sizeof buf - got);
		if (r <= 0 && !(r < 0 && errno == EINTR))
			break;
		if (r > 0)
			got += (size_t)r;
	}
	close(rp[0]);
	return got >= 3 && !memcmp(buf, "ok\n", 3) ? 0 : -1;
}

static int connect_or_launch(void)
{
	long long end = now_ms() + CONNECT_TIMEOUT_MS;
	for (;;) {
		int s = try_connect();
		if (s >= 0)
			return s;
		if (errno != ENOENT && errno != ECONNREFUSED)
			return -1;
		int lk = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lk < 0 && errno == ENOENT && mkdir_p(root, 0711) == 0)
			lk = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lk < 0)
			return -1;
		if (flock(lk, LOCK_EX | LOCK_NB) == 0) {
			/* no daemon holds it: any socket file is stale, ours to replace */
			int ok = launch(lk);
			close(lk);
			return ok == 0 ? try_connect() : -1;
		}
		close(lk);
		if (now_ms() > end)
			return -1;
		usleep(5000);
	}
}

/* ---------- children the daemon asked us to fork ---------- */

struct child {
	uint32_t id;
	pid_t pid;
	int ready_fd;
	int reaped;
	size_t ready_len;
	char ready[RP_MAX_READY];
};

static struct child children[MAX_CHILDREN];
static int nchildren;
static volatile pid_t fwd_pids[MAX_CHILDREN];
static int sig_pipe[2] = { -1, -1 };
static const int fwd_signals[] = RIND_FWD_SIGNALS;

static void on_sigchld(int s)
{
	(void)s;
	int e = errno;
	if (write(sig_pipe[1], "c", 1) < 0) {
		/* full: a wake-up is pending anyway */
	}
	errno = e;
}

static void on_forward(int s)
{
	int e = errno;
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (fwd_pids[i] > 0)
			kill(fwd_pids[i], s);
	errno = e;
}

static void block_forwarded(int how)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof fwd_signals / sizeof *fwd_signals; i++)
		sigaddset(&set, fwd_signals[i]);
	sigaddset(&set, SIGWINCH);
	sigprocmask(how, &set, NULL);
}

static void install_forwarding(void)
{
	struct sigaction sa = { .sa_handler = on_forward, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fwd_signals / sizeof *fwd_signals; i++)
		sigaction(fwd_signals[i], &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
}

static int send_frame(int s, uint8_t type, const void *payload, uint32_t len)
{
	uint8_t h[RP_HEADER];
	rp_put_header(h, type, len);
	if (write_all(s, h, sizeof h) < 0)
		return -1;
	return len ? write_all(s, payload, len) : 0;
}

static int send_id_int(int s, uint8_t type, uint32_t id, int32_t v)
{
	uint8_t p[8];
	rp_put_u32(p, id);
	rp_put_u32(p + 4, (uint32_t)v);
	return send_frame(s, type, p, sizeof p);
}

static void spawn_child(int s, struct rp_spawn *sp)
{
	int rp[2] = { -1, -1 };
	if (nchildren >= MAX_CHILDREN || pipe2(rp, O_CLOEXEC) < 0) {
		send_id_int(s, RP_SPAWNED, sp->id, nchildren >= MAX_CHILDREN ? -EAGAIN : -errno);
		return;
	}
	if (sp->flags & RP_SPAWN_FORWARD)
		block_forwarded(SIG_BLOCK);
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		reset_signals();
		if (rp[1] == 3)
			fcntl(3, F_SETFD, 0);
		else
			dup2(rp[1], 3);
		execve(sp->argv[0], sp->argv, environ);
		dprintf(3, "error: cannot run %s: %s\n", sp->argv[0], strerror(errno));
		_exit(127);
	}
	int e = errno;
	close(rp[1]);
	if (pid < 0) {
		close(rp[0]);
		if (sp->flags & RP_SPAWN_FORWARD)
			block_forwarded(SIG_UNBLOCK);
		send_id_int(s, RP_SPAWNED, sp->id, -e);
		return;
	}
	fcntl(rp[0], F_SETFL, O_NONBLOCK);
	struct child *c = &children[nchildren++];
	c->id = sp->id;
	c->pid = pid;
	c->ready_fd = rp[0];
	c->reaped = 0;
	c->ready_len = 0;
	if (sp->flags & RP_SPAWN_FORWARD) {
		for (int i = 0; i < MAX_CHILDREN; i++)
			if (fwd_pids[i] == 0) {
				fwd_pids[i] = pid;
				break;
			}
		install_forwarding();
		block_forwarded(SIG_UNBLOCK);
	}
	send_id_int(s, RP_SPAWNED, sp->id, pid);
}

static void reap(int s)
{
	block_forwarded(SIG_BLOCK);
	for (int i = 0; i < nchildren; i++) {
		struct child *c = &children[i];
		int st;
		if (c->reaped || waitpid(c->pid, &st, WNOHANG) != c->pid)
			continue;
		c->reaped = 1;
		for (int j = 0; j < MAX_CHILDREN; j++)
			if (fwd_pids[j] == c->pid)
				fwd_pids[j] = 0;
		send_id_int(s, RP_EXITED, c->id, st);
	}
	block_forwarded(SIG_UNBLOCK);
}

static void read_ready(int s, struct child *c)
{
	char buf[1024];
	for (;;) {
		ssize_t r = read(c->ready_fd, buf, sizeof buf);
		if (r > 0) {
			size_t take = (size_t)r < sizeof c->ready - c->ready_len ? (size_t)r : sizeof c->ready - c->ready_len;
			memcpy(c->ready + c->ready_len, buf, take);
			c->ready_len += take;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		break; /* EOF or error: the shim said all it will say */
	}
	close(c->ready_fd);
	c->ready_fd = -1;
	uint8_t p[4 + RP_MAX_READY];
	rp_put_u32(p, c->id);
	memcpy(p + 4, c->ready, c->ready_len);
	send_frame(s, RP_READY, p, (uint32_t)(4 + c->ready_len));
}

/* ---------- one call ---------- */

enum { RETRY = -2 };

static void lost(const char *why)
{
	fprintf(stderr, "rind: lost the rind daemon during the call (%s); its log: %s\n", why, log_path);
	exit(failure_code());
}

/* Runs the call on connection s; returns RETRY when the daemon did not take it, else never returns. */
static int session(int s, const uint8_t *req, size_t req_len)
{
	if (write_all(s, req, req_len) < 0)
		return RETRY;
	int acked = 0;
	size_t cap = 64 << 10, have = 0;
	uint8_t *rx = malloc(cap);
	if (!rx)
		return RETRY;
	for (;;) {
		struct pollfd pf[2 + MAX_CHILDREN];
		struct child *who[2 + MAX_CHILDREN];
		int n = 0;
		pf[n++] = (struct pollfd){ .fd = s, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		for (int i = 0; i < nchildren; i++)
			if (children[i].ready_fd >= 0) {
				who[n] = &children[i];
				pf[n++] = (struct pollfd){ .fd = children[i].ready_fd, .events = POLLIN };
			}
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			lost("poll failed");
		}
		for (int i = 2; i < n; i++)
			if (pf[i].revents)
				read_ready(s, who[i]);
		if (pf[1].revents) {
			char d[64];
			while (read(sig_pipe[0], d, sizeof d) > 0)
				;
			reap(s);
		}
		if (!pf[0].revents)
			continue;
		if (have == cap) {
			free(rx);
			if (!acked)
				return RETRY;
			lost("protocol error");
		}
		ssize_t r = read(s, rx + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(rx);
			if (!acked)
				return RETRY;
			lost(r < 0 ? strerror(errno) : "connection closed");
		}
		have += (size_t)r;
		size_t off = 0;
		while (have - off >= RP_HEADER) {
			uint8_t type;
			uint32_t len;
			if (rp_parse_header(rx + off, &type, &len) < 0) {
				free(rx);
				if (!acked)
					return RETRY;
				lost("protocol error");
			}
			if (RP_HEADER + (size_t)len > cap) {
				size_t ncap = RP_HEADER + (size_t)len;
				uint8_t *nb = malloc(ncap);
				if (!nb)
					lost("out of memory");
				memcpy(nb, rx + off, have - off);
				free(rx);
				rx = nb;
				have -= off;
				off = 0;
				cap = ncap;
			}
			if (have - off < RP_HEADER + (size_t)len)
				break;
			uint8_t *p = rx + off + RP_HEADER;
			off += RP_HEADER + len;
			if (type == RP_FALLBACK) {
				if (acked)
					lost("protocol error");
				fallback();
			}
			if (type == RP_ACK) {
				acked = 1;
				continue;
			}
			if (!acked) {
				free(rx);
				return RETRY;
			}
			switch (type) {
			case RP_STDOUT:
				write_all(1, p, len);
				break;
			case RP_STDERR:
				write_all(2, p, len);
				break;
			case RP_EXIT:
				exit((int)rp_get_u32(p) & 0xff);
			case RP_SPAWN: {
				struct rp_spawn sp;
				if (rp_decode_spawn(p, len, &sp) < 0)
					lost("protocol error in a spawn request");
				spawn_child(s, &sp);
				free(sp.argv);
				break;
			}
			}
		}
		memmove(rx, rx + off, have - off);
		have -= off;
	}
}

int main(int argc, char **argv)
{
	g_argv = argv;
	ensure_std_fds();
	const char *no = getenv("RIND_NO_DAEMON"), *sub = rc_subcommand(argc, argv);
	if ((no && !strcmp(no, "1")) || (sub && !strcmp(sub, "bench")))
		fallback(); /* bench: long-running, its own signal handling and process exit (the daemon refuses it too) */
	char cwd[PATH_MAX], key[17], name[64];
	if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/')
		fallback();
	const char *r = rc_root_arg(argc, argv);
	if (r[0] == '/' ? snprintf(root, sizeof root, "%s", r) >= (int)sizeof root : rc_join(root, sizeof root, cwd, r) < 0)
		fallback();
	if (daemon_key(key) < 0)
		fallback();
	snprintf(name, sizeof name, ".rindd-%s.sock", key);
	if (rc_join(sock_path, sizeof sock_path, root, name) < 0 || strlen(sock_path) >= sizeof((struct sockaddr_un *)0)->sun_path)
		fallback(); /* a root too deep for a socket address: the Node CLI serves it */
	snprintf(name, sizeof name, ".rindd-%s.lock", key);
	rc_join(lock_path, sizeof lock_path, root, name);
	rc_join(log_path, sizeof log_path, root, ".rindd.log");

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		fallback();
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	size_t req_len;
	uint8_t *req = rp_encode_request(argv + 1, argc - 1, environ, cwd, &req_len);
	if (!req)
		fallback();
	for (int attempt = 0; attempt < 4; attempt++) {
		int s = connect_or_launch();
		if (s < 0)
			break;
		session(s, req, req_len); /* returns only when the daemon did not take the call */
		close(s);
	}
	fallback();
}
