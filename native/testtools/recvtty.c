/* Test tool standing in for an engine's console socket (like runc's recvtty): receives the pty
 * master over SCM_RIGHTS, sets a window size (with RECVTTY_CLEAR_ONLCR=1 also clears ONLCR, as
 * runc's recvtty and `runc run` do), then copies the terminal's output to stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: recvtty SOCKET [INPUT]\n");
		return 2;
	}
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (ls < 0 || strlen(argv[1]) >= sizeof a.sun_path)
		return 2;
	strcpy(a.sun_path, argv[1]);
	unlink(argv[1]);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0) {
		perror("bind/listen");
		return 2;
	}
	printf("listening\n");
	fflush(stdout);
	int c = accept(ls, NULL, NULL);
	if (c < 0)
		return 2;
	char buf[4096], ctrl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl };
	if (recvmsg(c, &m, 0) < 0) {
		perror("recvmsg");
		return 2;
	}
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "no fd received\n");
		return 2;
	}
	int master;
	memcpy(&master, CMSG_DATA(cm), sizeof master);
	struct winsize ws = { .ws_row = 33, .ws_col = 111 };
	if (!getenv("RECVTTY_NO_WINSIZE")) /* set: leave the pty unsized, as an engine that never resizes */
		ioctl(master, TIOCSWINSZ, &ws);
	const char *clear = getenv("RECVTTY_CLEAR_ONLCR");
	if (clear && !strcmp(clear, "1")) {
		struct termios t;
		if (tcgetattr(master, &t) < 0)
			return 2;
		t.c_oflag &= ~(tcflag_t)ONLCR;
		if (tcsetattr(master, TCSANOW, &t) < 0)
			return 2;
	}
	if (argc > 2) {
		size_t n = strlen(argv[2]);
		if (write(master, argv[2], n) != (ssize_t)n)
			return 2;
	}
	for (;;) {
		ssize_t n = read(master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(1, buf, (size_t)n) != n)
			break;
	}
	return 0;
}
