/* rind-shim: terminal modes: --console-socket (pty pair, master to the engine by SCM_RIGHTS, raw slave as our
 * ctty, its ONLCR mirrored to the guest's) and --tty (inherited fd 0/1, raw, restored): one line discipline, the guest's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "shim.h"

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
	int cs = unix_connect(sock_path, "console socket", 0, err, errlen);
	if (cs < 0)
		goto fail;
	if (unix_send_fd(cs, m, name) < 0) {
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

/* --console-socket: the ONLCR the engine leaves on our pty (1 as made; runc's engines clear it with
 * ClearONLCR). Our pty is raw, so it is only a wish: relay.c sends it to the guest's pty. -1: no console. */
int tty_console_onlcr(void)
{
	struct termios t;
	if (S.mode != MODE_CONSOLE || S.out_fd < 0 || tcgetattr(S.out_fd, &t) < 0)
		return -1;
	return (t.c_oflag & ONLCR) != 0;
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
