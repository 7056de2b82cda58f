/* rind guest agent: the guest's user processes (not PID 1, not kernel threads): what ps lists before any container exists.
 * Reads /proc only; a container's processes are its cgroup's (cgroup.c). */
#include "agent.h"
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000

/* 1: a kernel thread, 0: not, -1: gone. */
static int is_kthread(const char *pid)
{
	char path[64], b[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	char *p = strrchr(b, ')'); /* comm may hold anything, up to the last ')' */
	unsigned long flags = 0;
	/* after comm: state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -1;
	return !!(flags & PF_KTHREAD);
}

/* Calls fn for every user process; returns how many there are. */
long procs_each(void (*fn)(pid_t pid, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long n = 0;
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]) || !strcmp(e->d_name, "1"))
			continue;
		if (is_kthread(e->d_name) != 0)
			continue;
		n++;
		if (fn)
			fn(atoi(e->d_name), arg);
	}
	if (d)
		closedir(d);
	return n;
}
