/* Test tool for the seccomp compiler (src/guest/linux/seccomp.ts): installs a compiled classic BPF program the way
 * the agent does (no_new_privs, then seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)) and execs a command.
 *
 *   seccomp-run PROGRAM.bin|- FLAGS -- COMMAND [ARGS...]
 *
 * PROGRAM.bin holds struct sock_filter records (8 bytes each, little-endian); "-" installs nothing, for baselines.
 * FLAGS is the SECCOMP_FILTER_FLAG_* bits (decimal or 0x...). Instead of a path, COMMAND may be a built-in that runs
 * in this process under the filter, prints "ret N" or "errno N" on stdout and exits 0:
 *   @syscall NR [ARG...]   raw x86_64 system call; NR and the up to 6 args are uint64 (decimal or 0x...)
 *   @int80 NR [ARG...]     i386 ABI system call through int $0x80 (up to 6 args, 32-bit)
 * The built-ins only use write(2) and exit_group(2) besides the call itself. Exit 2 means the tool failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* musl ships no Linux uapi headers: the few kernel ABI definitions needed, from linux/filter.h and linux/seccomp.h. */
struct sock_filter {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};
struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};
#define SECCOMP_SET_MODE_FILTER 1
#define BPF_MAXINSNS 4096

static struct sock_filter insns[BPF_MAXINSNS + 1];

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static size_t load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, (char *)insns + got, sizeof(insns) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror(path);
			exit(2);
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == sizeof(insns))
			break;
	}
	close(fd);
	if (got == 0 || got % sizeof(struct sock_filter) || got / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		fprintf(stderr, "seccomp-run: %s: %zu bytes is not 1..%d sock_filter records\n", path, got, BPF_MAXINSNS);
		exit(2);
	}
	return got / sizeof(struct sock_filter);
}

/* Writes "ret N\n" or "errno N\n" with nothing but write(2). */
static void report(long r)
{
	char buf[40];
	int n = r < 0 && r > -4096 ? snprintf(buf, sizeof(buf), "errno %ld\n", -r) : snprintf(buf, sizeof(buf), "ret %ld\n", r);
	if (write(1, buf, (size_t)n) != n)
		_exit(2);
	_exit(0);
}

static long raw_syscall64(uint64_t nr, const uint64_t a[6])
{
	long r;
	register uint64_t r10 __asm__("r10") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

static long raw_int80(uint64_t nr, const uint64_t a[6])
{
	/* ebp is the 6th argument and may be the frame pointer: it is saved and loaded around the call. */
	register uint64_t r12 __asm__("r12") = (uint32_t)a[5];
	uint32_t r;
	__asm__ volatile("push %%rbp\n\t"
			 "mov %%r12d, %%ebp\n\t"
			 "int $0x80\n\t"
			 "pop %%rbp"
			 : "=a"(r)
			 : "a"((uint32_t)nr), "b"((uint32_t)a[0]), "c"((uint32_t)a[1]), "d"((uint32_t)a[2]),
			   "S"((uint32_t)a[3]), "D"((uint32_t)a[4]), "r"(r12)
			 : "memory", "r8", "r9", "r10", "r11");
	return (long)(int32_t)r;
}

static void builtin(char **argv)
{
	uint64_t nr, a[6] = { 0 };
	int i;
	if (!argv[1] || parse_u64(argv[1], &nr) != 0) {
		fprintf(stderr, "seccomp-run: %s: bad system call number\n", argv[0]);
		exit(2);
	}
	for (i = 0; argv[2 + i]; i++) {
		if (i == 6 || parse_u64(argv[2 + i], &a[i]) != 0) {
			fprintf(stderr, "seccomp-run: %s: bad argument %s\n", argv[0], argv[2 + i]);
			exit(2);
		}
	}
	if (strcmp(argv[0], "@syscall") == 0)
		report(raw_syscall64(nr, a));
	if (strcmp(argv[0], "@int80") == 0)
		report(raw_int80(nr, a));
	fprintf(stderr, "seccomp-run: unknown built-in %s\n", argv[0]);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t flags;
	if (argc < 5 || strcmp(argv[3], "--") != 0 || parse_u64(argv[2], &flags) != 0 || flags > 0xffffffffu) {
		fprintf(stderr, "usage: seccomp-run PROGRAM.bin|- FLAGS -- COMMAND [ARGS...]\n");
		return 2;
	}
	char **cmd = &argv[4];
	if (cmd[0][0] == '@' && strcmp(cmd[0], "@syscall") != 0 && strcmp(cmd[0], "@int80") != 0) {
		fprintf(stderr, "seccomp-run: unknown built-in %s\n", cmd[0]);
		return 2;
	}
	if (strcmp(argv[1], "-") != 0) {
		struct sock_fprog prog = { .len = (unsigned short)load(argv[1]), .filter = insns };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
			perror("seccomp-run: prctl(PR_SET_NO_NEW_PRIVS)");
			return 2;
		}
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)flags, &prog) != 0) {
			perror("seccomp-run: seccomp(SECCOMP_SET_MODE_FILTER)");
			return 2;
		}
	}
	if (cmd[0][0] == '@')
		builtin(cmd);
	execv(cmd[0], cmd);
	perror(cmd[0]);
	return 127;
}
