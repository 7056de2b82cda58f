/* rind-shim: terminal modes: --console-socket (pty pair, master sent to the engine with
 * SCM_RIGHTS, slave is our raw controlling tty) and --tty (inherited fd 0/1, raw, restored). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "shim.h"

static int connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char alt[sizeof sa.sun_path];
	int dirfd = -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		/* too long for sun_path: reach it through /proc/self/fd/<dir fd>/<name> */
		char dir[PATH_MAX];
		const char *slash = strrchr(path, '/');
		size_t dl = slash ? (size_t)(slash - path) : 0;
		if (!slash || dl >= sizeof dir) {
			snprintf(err, errlen, "console socket path too long: %s", path);
			return -1;
		}
		memcpy(dir, path, dl);
		dir[dl ? dl : 1] = '\0';
		if (!dl)
			dir[0] = '/';
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			snprintf(err, errlen, "console socket dir %s: %s", dir, strerror(errno));
			return -1;
		}
		int n = snprintf(alt, sizeof alt, "/proc/self/fd/%d/%s", dirfd, slash + 1);
		if (n < 0 || (size_t)n >= sizeof alt) {
			close(dirfd);
			snprintf(err, errlen, "console socket path too long: %s", path);
			return -1;
		}
		path = alt;
	}
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "console socket: socket: %s", strerror(errno));
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		snprintf(err, errlen, "connect console socket %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

static int send_fd(int sock, int fd, const char *name)
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

int tty_console_setup(const char *sock_path, char *err, size_t errlen)
{
	char name[64];
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0) {
		snprintf(err, errlen, "posix_openpt: %s", strerror(errno));
		return -1;
	}
	int e;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || (errno = ptsname_r(m, name, sizeof name)) != 0) {
		snprintf(err, errlen, "pty setup: %s", strerror(errno));
		close(m);
		return -1;
	}
	int sl = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sl < 0) {
		snprintf(err, errlen, "open %s: %s", name, strerror(errno));
		close(m);
		return -1;
	}
	/* the real line discipline is the guest's pty: ours only passes bytes through */
	if (tcgetattr(sl, &t) < 0 || (cfmakeraw(&t), tcsetattr(sl, TCSANOW, &t)) < 0) {
		snprintf(err, errlen, "raw mode on %s: %s", name, strerror(errno));
		goto fail;
	}
	int cs = connect_unix(sock_path, err, errlen);
	if (cs < 0)
		goto fail;
	if (send_fd(cs, m, name) < 0) {
		snprintf(err, errlen, "send pty master to %s: %s", sock_path, strerror(errno));
		close(cs);
		goto fail;
	}
	close(cs);
	close(m);
	/* become its controlling process: SIGWINCH on resize, SIGHUP when the master closes */
	if (getsid(0) != getpid() && setsid() < 0)
		shim_log("setsid: %s (no controlling terminal: no SIGWINCH)", strerror(errno));
	else if (ioctl(sl, TIOCSCTTY, 0) < 0)
		shim_log("TIOCSCTTY %s: %s (no SIGWINCH)", name, strerror(errno));
	S.in_fd = S.out_fd = S.err_fd = S.winsz_fd = sl;
	return 0;
fail:
	e = errno;
	close(sl);
	close(m);
	errno = e;
	return -1;
}

int tty_inherit_setup(char *err, size_t errlen)
{
	S.in_fd = 0;
	S.out_fd = S.err_fd = 1;
	if (isatty(0)) {
		struct termios raw;
		if (tcgetattr(0, &S.raw_saved) < 0) {
			snprintf(err, errlen, "tcgetattr stdin: %s", strerror(errno));
			return -1;
		}
		raw = S.raw_saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSANOW, &raw) < 0) {
			snprintf(err, errlen, "raw mode on stdin: %s", strerror(errno));
			return -1;
		}
		S.raw_fd = 0;
		S.winsz_fd = 0;
	} else if (isatty(1)) {
		S.winsz_fd = 1;
	}
	return 0;
}

void tty_restore(void)
{
	if (S.raw_fd < 0)
		return;
	tcsetattr(S.raw_fd, TCSANOW, &S.raw_saved);
	S.raw_fd = -1;
}

int tty_winsize(unsigned short *rows, unsigned short *cols)
{
	struct winsize ws;
	if (S.winsz_fd < 0 || ioctl(S.winsz_fd, TIOCGWINSZ, &ws) < 0)
		return -1;
	if (ws.ws_row == 0 && ws.ws_col == 0)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}
