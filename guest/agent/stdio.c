/* rind guest agent: the process's end of a session: stdin buffered for it, its stdio fds, its pty size.
 * Knows nothing of frames or ports (io.c), so it calls no channel code; callers resume a stalled channel. */
#include "agent.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int stdin_pending(const struct sess *s)
{
	return s->s_len || s->stdin_eof;
}

/* Buffers STDIN bytes for the process; -1 if they do not fit now (the caller stalls). */
int stdin_put(struct sess *s, const unsigned char *b, size_t len)
{
	if (s->s_len + len > STDIN_MAX)
		return -1;
	if (s->s_off + s->s_len + len > STDIN_MAX) {
		memmove(s->sbuf, s->sbuf + s->s_off, s->s_len);
		s->s_off = 0;
	}
	memcpy(s->sbuf + s->s_off + s->s_len, b, len);
	s->s_len += len;
	return 0;
}

/* Closes the process's stdin and drops whatever it did not take. */
void stdin_close(struct sess *s)
{
	if (s->in_fd >= 0)
		close(s->in_fd);
	s->in_fd = -1;
	s->stdin_gone = 1;
	s->s_off = s->s_len = 0;
}

/* STDIN_EOF once the buffer is flushed. A pty has no EOF of its own: type the EOF character,
 * as a user would. */
static void stdin_finish(struct sess *s)
{
	struct termios t;
	if (s->pty && tcgetattr(s->in_fd, &t) == 0 && write(s->in_fd, &t.c_cc[VEOF], 1) < 0)
		logmsg("%s: cannot send EOF to the pty: %s", s->name, strerror(errno));
	s->stdin_eof = 0;
	stdin_close(s);
}

/* s->in_fd is writable (or stdin must be closed). */
void stdin_event(struct sess *s)
{
	while (s->s_len) {
		ssize_t n = write(s->in_fd, s->sbuf + s->s_off, s->s_len);
		if (n > 0) {
			s->s_off += n;
			s->s_len -= n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else { /* EPIPE: the process closed its stdin */
			stdin_close(s);
			return;
		}
	}
	s->s_off = 0;
	if (s->stdin_eof)
		stdin_finish(s);
}

/* Closes the agent's ends of the process's stdio: pipes break, a pty hangs up. */
void stdio_close(struct sess *s)
{
	stdin_close(s);
	if (s->out_fd >= 0)
		close(s->out_fd), s->out_fd = -1;
	if (s->err_fd >= 0)
		close(s->err_fd), s->err_fd = -1;
}

void stdio_winsize(struct sess *s, unsigned rows, unsigned cols)
{
	s->rows = rows;
	s->cols = cols;
	int fd = s->out_fd >= 0 ? s->out_fd : s->in_fd;
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	if (s->pty && fd >= 0)
		ioctl(fd, TIOCSWINSZ, &ws);
}
