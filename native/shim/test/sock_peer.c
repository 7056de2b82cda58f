/* A stand-in for the far end of the shim's unix sockets (test_shimroot.sh): the engine's console
 * socket or a QEMU exec port. `sock_peer PATH`: listens on PATH, writes "listening" on stdout,
 * accepts one client, reads it to EOF keeping every fd it sends (a pty master stays open), prints
 * "got N fds" and "eof", then waits for a signal. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (argc != 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: sock_peer PATH\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0) {
		perror("sock_peer: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("sock_peer: accept");
		return 1;
	}
	int fds = 0;
	for (;;) {
		char data[4096];
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int) * 4)];
		} u;
		struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				    .msg_controllen = sizeof u.buf };
		ssize_t r = recvmsg(c, &m, 0);
		if (r <= 0)
			break;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
				fds += (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int)); /* kept open */
		if (fds) {
			printf("got %d fds\n", fds);
			fflush(stdout);
		}
	}
	printf("eof\n");
	fflush(stdout);
	for (;;)
		pause();
}
