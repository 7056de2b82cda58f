/* rind-shim: orchestration only: the order of the set-up steps of the four modes (normal, --vmm-only,
 * --serial-console, --exec-socket) and who answers the ready fd, or the one-shot --bind-into /
 * --unbind-in (nsbind.c); the steps live elsewhere, so none is done twice. */
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include "args.h"
#include "shim.h"

#define EXEC_CONNECT_MS 2000 /* how long to retry a refused/busy exec socket */

struct shim S = {
	.statefd = -1, .logfd = -1, .readyfd = -1, .sigfd = -1, .sock = -1,
	.in_fd = -1, .out_fd = 1, .err_fd = 2, .winsz_fd = -1, .raw_fd = -1, .nullfd = -1,
};

static void terminal_setup(const struct shim_args *a)
{
	char err[256];
	S.in_fd = 0;
	if (a->console) {
		S.mode = MODE_CONSOLE;
		if (tty_console_setup(a->console, err, sizeof err) < 0)
			setup_fail("%s", err);
	} else if (a->tty) {
		S.mode = MODE_TTY;
		if (tty_inherit_setup(err, sizeof err) < 0)
			setup_fail("%s", err);
	}
}

static const char *how(void)
{
	return S.mode == MODE_CONSOLE ? "console socket" : S.mode == MODE_TTY ? "tty" : "plain stdio";
}

static void run_exec(const struct shim_args *a)
{
	char err[256];
	S.exec = 1;
	S.sock = unix_connect_retry(a->exec_sock, "exec socket", EXEC_CONNECT_MS, err, sizeof err);
	if (S.sock < 0)
		setup_fail("%s", err);
	terminal_setup(a);
	shim_root_enter(a->shim_root);
	ready_ok();
	shim_log("exec: connected to %s (%s)%s%s", a->exec_sock, how(), a->shim_root ? ", root " : "",
		 a->shim_root ? a->shim_root : "");
	if (S.mode == MODE_CONSOLE)
		proc_stdio_to_null();
	relay_run();
}

static void run_vmm(char **argv, const struct shim_args *a)
{
	jail_join_cgroups(argv, a);
	if (!a->vmm_only)
		terminal_setup(a);
	vmm_spawn(argv, a);
	shim_root_enter(a->shim_root); /* from here on, the shim uses only fds it holds */
	ready_ok();
	shim_log("started %s, pid %d (%s%s%s%s)", argv[a->dashdash + 1], (int)S.qemu,
		 a->vmm_only ? "vmm only" : how(), a->serial ? ", serial console" : "",
		 a->shim_root ? ", shim root " : "", a->shim_root ? a->shim_root : "");
	if (a->vmm_only)
		vmm_wait();
	if (S.mode == MODE_CONSOLE)
		proc_stdio_to_null();
	if (a->serial)
		serial_run(a->exit_map);
	relay_run();
}

int main(int argc, char **argv)
{
	struct shim_args a;
	char err[1024];

	proc_std_fds();
	if (shim_is_nsbind(argc, argv))
		nsbind_main(argc, argv);
	signal(SIGPIPE, SIG_IGN); /* a vanished ready-fd reader must not kill us */
	S.readyfd = proc_find_ready_fd(argc, argv);
	proc_close_inherited(S.readyfd);
	if (shim_parse_args(argc, argv, S.readyfd, &a, err, sizeof err) < 0)
		setup_fail("%s", err);
	state_open(a.state);
	proc_signals();
	if (a.exec_sock)
		run_exec(&a);
	run_vmm(argv, &a);
}
