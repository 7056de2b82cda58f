/* rind-shim: state shared by main.c (args, setup, exit), relay.c (poll loop) and tty.c.
 * One shim per container: everything is static, no heap. */
#ifndef RIND_SHIM_H
#define RIND_SHIM_H
#include <sys/types.h>
#include <termios.h>

enum shim_mode { MODE_PLAIN, MODE_TTY, MODE_CONSOLE };

struct shim {
	int statefd;      /* O_DIRECTORY fd of --state */
	int logfd;        /* <state>/shim.log, -1 before it is open (then stderr) */
	int readyfd;      /* --ready-fd, -1 when none or already answered */
	int sigfd;        /* signalfd: forwarded signals, SIGCHLD, SIGWINCH */
	int sock;         /* our end of the io socketpair, or the exec socket (non-blocking) */
	int exec;         /* exec mode: sock is a connection to QEMU's exec port, no QEMU child */
	pid_t qemu;       /* QEMU's pid, 0 before spawn */
	int qemu_reaped;
	int qemu_status;  /* waitpid status once reaped */
	int mode;         /* enum shim_mode */
	int in_fd;        /* where STDIN frames come from (0, the pty slave), -1: none */
	int out_fd;       /* STDOUT frames go here */
	int err_fd;       /* STDERR frames go here (== out_fd with a terminal) */
	int winsz_fd;     /* terminal to read the window size of, -1: none */
	int raw_fd;       /* terminal put in raw mode that must be restored, -1: none */
	struct termios raw_saved;
	int exit_seen;    /* an EXIT frame arrived */
	int exit_code;    /* its code */
	int exit_written; /* <state>/exit has been written */
};

extern struct shim S;

/* main.c */
long long mono_ms(void);
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void shim_finish(int code) __attribute__((noreturn));
void kill_qemu(void);
void reap_children(int block);
void write_exit_file(int code);

/* relay.c */
void relay_run(void) __attribute__((noreturn));

/* sock.c */
int unix_connect(const char *path, const char *what, int sock_flags, char *err, size_t errlen);
int unix_send_fd(int sock, int fd, const char *name);

/* tty.c */
int tty_console_setup(const char *sock_path, char *err, size_t errlen);
int tty_inherit_setup(char *err, size_t errlen);
void tty_restore(void);
int tty_winsize(unsigned short *rows, unsigned short *cols);

#endif
