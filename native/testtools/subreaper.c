/* Test tool that waits on a runtime's --pid-file pid the way conmon and containerd's shim do:
 * it becomes a child subreaper, runs the create command, then reaps the pid and prints its status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: subreaper PIDFILE -- COMMAND [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		perror("prctl");
		return 2;
	}
	pid_t cmd = fork();
	if (cmd < 0)
		return 2;
	if (cmd == 0) {
		execvp(argv[3], &argv[3]);
		perror("exec");
		_exit(127);
	}
	int status;
	while (waitpid(cmd, &status, 0) < 0)
		if (errno != EINTR)
			return 2;
	if (code_of(status) != 0) {
		printf("create-failed=%d\n", code_of(status));
		return 1;
	}
	FILE *f = fopen(argv[1], "r");
	long target = 0;
	if (!f || fscanf(f, "%ld", &target) != 1 || target <= 0) {
		printf("no-pid-file\n");
		return 1;
	}
	fclose(f);
	printf("pid=%ld\n", target);
	fflush(stdout);
	for (;;) {
		pid_t p = waitpid(-1, &status, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			printf("not-a-child\n");
			return 1;
		}
		if (p == target) {
			printf("exit=%d\n", code_of(status));
			return 0;
		}
	}
}
