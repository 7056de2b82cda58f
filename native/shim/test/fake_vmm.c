/* A stand-in VMM for test_serial.sh: talks on fd 3 as QEMU's serial chardev would.
 *   fake_vmm echo N CODE   read N bytes from fd 3, write them back, exit CODE
 *   fake_vmm spew N CODE   write N bytes (every byte value, in a pattern) to fd 3, exit CODE at once
 *   fake_vmm sleep         print "up" on fd 3, then wait for a signal (the default action ends it)
 *   fake_vmm raise SIG     kill itself with SIG
 *   fake_vmm pattern N     write spew's N bytes to stdout (the expected output)
 *   fake_vmm inspect PATH...  what the jail made of it, on fd 3: pid, ids, capabilities,
 *                             no_new_privs, RLIMIT_NOFILE, then "PATH yes|no" (does it exist) */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char buf[1 << 16];

static int out = 3;

static void put(const unsigned char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(out, b, n);
		if (w <= 0)
			exit(90);
		b += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "echo")) {
		size_t want = strtoul(argv[2], NULL, 10), got = 0;
		static unsigned char all[1 << 20];
		if (want > sizeof all)
			return 91;
		while (got < want) {
			ssize_t r = read(3, all + got, want - got);
			if (r <= 0)
				return 92;
			got += (size_t)r;
		}
		put(all, want);
		return atoi(argv[3]);
	}
	if ((argc == 4 && !strcmp(argv[1], "spew")) || (argc == 3 && !strcmp(argv[1], "pattern"))) {
		if (argc == 3)
			out = 1;
		size_t left = strtoul(argv[2], NULL, 10), k = 0;
		while (left > 0) {
			size_t n = left < sizeof buf ? left : sizeof buf;
			for (size_t i = 0; i < n; i++, k++)
				buf[i] = (unsigned char)(k * 7 + k / 251);
			put(buf, n);
			left -= n;
		}
		return argc == 4 ? atoi(argv[3]) : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "sleep")) {
		put((const unsigned char *)"up\n", 3);
		for (;;)
			pause();
	}
	if (argc == 3 && !strcmp(argv[1], "raise")) {
		signal(atoi(argv[2]), SIG_DFL);
		raise(atoi(argv[2]));
		return 93;
	}
	if (argc >= 2 && !strcmp(argv[1], "inspect")) {
		char line[256];
		struct rlimit rl;
		FILE *o = fdopen(3, "w"), *st = fopen("/proc/self/status", "r");
		if (!o)
			return 95;
		getrlimit(RLIMIT_NOFILE, &rl);
		fprintf(o, "pid=%d uid=%d gid=%d nofile=%llu\n", (int)getpid(), (int)getuid(), (int)getgid(),
			(unsigned long long)rl.rlim_cur);
		while (st && fgets(line, sizeof line, st))
			if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10))
				fputs(line, o);
		for (int i = 2; i < argc; i++)
			fprintf(o, "%s %s\n", argv[i], access(argv[i], F_OK) == 0 ? "yes" : "no");
		return fclose(o) == 0 ? 0 : 96;
	}
	fprintf(stderr, "fake_vmm: bad usage\n");
	return 94;
}
