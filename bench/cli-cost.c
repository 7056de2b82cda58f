/* bench/cli-cost.ts's call runner: runs a command, waits for it, writes "STATUS CPU_US" to RESULT_FILE,
 * where CPU_US is the user+sys CPU of the command and of every descendant it (recursively) waited for,
 * from wait4's rusage. Live descendants (QEMU, a detached rind-shim, `runc init`) are not in it; the
 * benchmark reads those from /proc. (perf stat would count live descendants too: QEMU's CPU.)
 * Usage: cli-cost RESULT_FILE CMD [ARGS...] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s RESULT_FILE CMD [ARGS...]\n", argv[0]);
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid)
		return 2;
	long long us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "%d %lld\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), us);
	return fclose(f) ? 2 : 0;
}
