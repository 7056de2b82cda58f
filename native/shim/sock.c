/* rind-shim: unix socket helpers for --console-socket (tty.c) and --exec-socket: connect by path
 * (longer than sun_path: via /proc/self/fd, not a chdir), retry a busy server, send an fd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

int unix_connect(const char *path, const char *what, int sock_flags, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char alt[sizeof sa.sun_path];
	int dirfd = -1, e;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		/* too long for sun_path: reach it through /proc/self/fd/<dir fd>/<name> */
		char dir[PATH_MAX];
		const char *slash = strrchr(path, '/');
		size_t dl = slash ? (size_t)(slash - path) : 0;
		if (!slash || dl >= sizeof dir) {
			snprintf(err, errlen, "%s path too long: %s", what, path);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, dl);
		dir[dl ? dl : 1] = '\0';
		if (!dl)
			dir[0] = '/';
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			e = errno;
			snprintf(err, errlen, "%s dir %s: %s", what, dir, strerror(e));
			errno = e;
			return -1;
		}
		int n = snprintf(alt, sizeof alt, "/proc/self/fd/%d/%s", dirfd, slash + 1);
		if (n < 0 || (size_t)n >= sizeof alt) {
			close(dirfd);
			snprintf(err, errlen, "%s path too long: %s", what, path);
			errno = ENAMETOOLONG;
			return -1;
		}
		path = alt;
	}
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | sock_flags, 0);
	e = errno;
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", what, strerror(e));
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = errno;
		snprintf(err, errlen, "connect %s %s: %s", what, path, strerror(e));
		close(fd);
		fd = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	errno = e; /* callers may retry on it */
	return fd;
}

#define CONNECT_RETRY_MS 20

/* exec mode: QEMU's chardev server takes one client at a time; a non-blocking connect gets
 * EAGAIN (not a hang) when its backlog is full, ECONNREFUSED while nobody listens: retry those */
int unix_connect_retry(const char *path, const char *what, int ms, char *err, size_t errlen)
{
	long long end = mono_ms() + ms;
	for (;;) {
		int fd = unix_connect(path, what, SOCK_NONBLOCK, err, errlen);
		if (fd >= 0 || (errno != ECONNREFUSED && errno != EAGAIN) || mono_ms() + CONNECT_RETRY_MS > end)
			return fd;
		nanosleep(&(struct timespec){ 0, CONNECT_RETRY_MS * 1000000L }, NULL);
	}
}

int unix_send_fd(int sock, int fd, const char *name)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg;
	memset(&u, 0, sizeof u);
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof u.buf;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t r;
	while ((r = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return r < 0 ? -1 : 0;
}
