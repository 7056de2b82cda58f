/* rind agent unit tests for secspec.c: capability masks, base64, seccomp programs, paths, sysctls, devices,
 * root propagation; valid and hostile. Run by guest/agent/test/run.sh. */
#define _GNU_SOURCE
#include "check.h"
#include "secspec.h"
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64 of n instructions, as the host sends them (8-byte little-endian records); malloc'd */
static char *encode(const struct bpf_insn *f, size_t n)
{
	size_t len = n * 8;
	unsigned char *b = malloc(len + 3);
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char *r = b + 8 * i;
		r[0] = f[i].code, r[1] = f[i].code >> 8, r[2] = f[i].jt, r[3] = f[i].jf;
		r[4] = f[i].k, r[5] = f[i].k >> 8, r[6] = f[i].k >> 16, r[7] = f[i].k >> 24;
	}
	for (size_t i = 0; i < len; i += 3) {
		uint32_t w = b[i] << 16 | (i + 1 < len ? b[i + 1] << 8 : 0) | (i + 2 < len ? b[i + 2] : 0);
		*o++ = B64[w >> 18 & 63], *o++ = B64[w >> 12 & 63];
		*o++ = i + 1 < len ? B64[w >> 6 & 63] : '=';
		*o++ = i + 2 < len ? B64[w & 63] : '=';
	}
	*o = 0;
	free(b);
	return out;
}

/* decodes f[0..n) re-encoded: the return code (err_msg kept) */
static int decode_rc(const struct bpf_insn *f, size_t n)
{
	char *s = encode(f, n);
	struct bpf_insn *got;
	size_t cnt;
	int rc = seccomp_decode(s, &got, &cnt);
	if (rc == 0)
		free(got);
	free(s);
	return rc;
}

#define LD_NR { 0x20, 0, 0, 0 }            /* ld [0] (nr) */
#define RET_ALLOW { 0x06, 0, 0, 0x7fff0000 }

static void test_capmask(void)
{
	uint64_t m;
	CHECK(parse_capmask("0", &m) == 0 && m == 0, "0");
	CHECK(parse_capmask("a80425fb", &m) == 0 && m == 0xa80425fbULL, "docker's default");
	CHECK(parse_capmask("1ffffffffff", &m) == 0 && m == 0x1ffffffffffULL, "41 caps");
	CHECK(parse_capmask("FFFFFFFFFFFFFFFF", &m) == 0 && m == ~0ULL, "16 digits, upper case");
	CHECK(parse_capmask("10000000000000000", &m) == -1, "17 digits (more than 64 bits)");
	CHECK(parse_capmask("", &m) == -1, "empty");
	CHECK(parse_capmask("0x1f", &m) == -1, "0x prefix");
	CHECK(parse_capmask("-1", &m) == -1, "negative");
	CHECK(parse_capmask("12g", &m) == -1, "bad hex");
	CHECK(parse_capmask(" 1", &m) == -1, "blank");
}

static void test_base64(void)
{
	unsigned char b[16];
	size_t n;
	CHECK(base64_decode("", b, sizeof b, &n) == 0 && n == 0, "empty");
	CHECK(base64_decode("TWFu", b, sizeof b, &n) == 0 && n == 3 && !memcmp(b, "Man", 3), "Man");
	CHECK(base64_decode("TWE=", b, sizeof b, &n) == 0 && n == 2 && !memcmp(b, "Ma", 2), "one pad");
	CHECK(base64_decode("TQ==", b, sizeof b, &n) == 0 && n == 1 && b[0] == 'M', "two pads");
	CHECK_ERR(base64_decode("TWF", b, sizeof b, &n), "multiple of 4");
	CHECK_ERR(base64_decode("TW!u", b, sizeof b, &n), "bad base64 character");
	CHECK_ERR(base64_decode("T===", b, sizeof b, &n), "bad base64 character");
	CHECK_ERR(base64_decode("TQ==TWFu", b, sizeof b, &n), "bad base64 character");
	CHECK_ERR(base64_decode("TW=u", b, sizeof b, &n), "bad base64 character");
	CHECK_ERR(base64_decode("TR==", b, sizeof b, &n), "padding");
	CHECK_ERR(base64_decode("TWFuTWFuTWFuTWFuTWFuTWFu", b, sizeof b, &n), "more than 16 bytes");
	CHECK_ERR(base64_decode("TWFu\nTWFu", b, sizeof b, &n), "multiple of 4");
}

static void test_seccomp(void)
{
	/* nr == 83 (mkdir) -> ERRNO(EPERM), else allow */
	const struct bpf_insn prog[] = { LD_NR, { 0x15, 0, 1, 83 }, { 0x06, 0, 0, 0x00050001 }, RET_ALLOW };
	char *s = encode(prog, 4);
	struct bpf_insn *f;
	size_t n;
	CHECK(seccomp_decode(s, &f, &n) == 0 && n == 4, "valid program: %s", err_msg);
	CHECK(f && f[1].code == 0x15 && f[1].jf == 1 && f[1].k == 83 && f[2].k == 0x00050001, "fields decoded little-endian");
	free(f), free(s);
	const struct bpf_insn all_ops[] = {
		{ 0x20, 0, 0, 4 }, { 0x80, 0, 0, 0 }, { 0x81, 0, 0, 0 }, { 0x00, 0, 0, 7 }, { 0x01, 0, 0, 7 },
		{ 0x02, 0, 0, 15 }, { 0x03, 0, 0, 0 }, { 0x60, 0, 0, 15 }, { 0x61, 0, 0, 0 }, { 0x04, 0, 0, 1 },
		{ 0x0c, 0, 0, 0 }, { 0x34, 0, 0, 2 }, { 0x54, 0, 0, 0xff }, { 0x64, 0, 0, 31 }, { 0x84, 0, 0, 0 },
		{ 0xa4, 0, 0, 1 }, { 0x07, 0, 0, 0 }, { 0x87, 0, 0, 0 }, { 0x05, 0, 0, 0 }, { 0x25, 0, 0, 1 },
		{ 0x3d, 0, 0, 0 }, { 0x45, 0, 0, 1 }, { 0x16, 0, 0, 0 },
	};
	CHECK(decode_rc(all_ops, sizeof all_ops / sizeof all_ops[0]) == 0, "every opcode seccomp takes: %s", err_msg);

	struct bpf_insn *big = calloc(SECCOMP_MAX_INSNS + 1, sizeof *big);
	for (size_t i = 0; i <= SECCOMP_MAX_INSNS; i++)
		big[i] = (struct bpf_insn)RET_ALLOW;
	CHECK(decode_rc(big, SECCOMP_MAX_INSNS) == 0, "4096 instructions: %s", err_msg);
	CHECK_ERR(decode_rc(big, SECCOMP_MAX_INSNS + 1), "more than 4096 instructions");
	free(big);
	CHECK_ERR(seccomp_decode("", &f, &n), "bad seccomp: 0 bytes");
	CHECK_ERR(seccomp_decode("AAAAAAAA", &f, &n), "bad seccomp: 6 bytes");
	CHECK_ERR(seccomp_decode("AAAA*AAA", &f, &n), "bad seccomp: bad base64");
	CHECK_ERR(seccomp_decode("AAA", &f, &n), "bad seccomp: base64 length");
	CHECK(f == NULL && n == 0, "nothing kept after an error");

	const struct bpf_insn no_ret[] = { LD_NR, LD_NR };
	CHECK_ERR(decode_rc(no_ret, 2), "the last instruction is not a return");
	const struct bpf_insn far[] = { LD_NR, { 0x15, 0, 2, 83 }, RET_ALLOW };
	CHECK_ERR(decode_rc(far, 3), "instruction 1 (code 0x15): a jump out of the program");
	const struct bpf_insn ja_far[] = { { 0x05, 0, 0, 0xffffffff }, RET_ALLOW };
	CHECK_ERR(decode_rc(ja_far, 2), "a jump out");
	const struct bpf_insn ld_out[] = { { 0x20, 0, 0, 64 }, RET_ALLOW };
	CHECK_ERR(decode_rc(ld_out, 2), "a load outside seccomp_data");
	const struct bpf_insn ld_odd[] = { { 0x20, 0, 0, 2 }, RET_ALLOW };
	CHECK_ERR(decode_rc(ld_odd, 2), "a load outside seccomp_data");
	const struct bpf_insn ld_ind[] = { { 0x40, 0, 0, 0 }, RET_ALLOW };
	CHECK_ERR(decode_rc(ld_ind, 2), "an opcode seccomp does not take");
	const struct bpf_insn ld_byte[] = { { 0x30, 0, 0, 0 }, RET_ALLOW };
	CHECK_ERR(decode_rc(ld_byte, 2), "an opcode seccomp does not take");
	const struct bpf_insn mod[] = { { 0x94, 0, 0, 3 }, RET_ALLOW };
	CHECK_ERR(decode_rc(mod, 2), "an opcode seccomp does not take");
	const struct bpf_insn div0[] = { { 0x34, 0, 0, 0 }, RET_ALLOW };
	CHECK_ERR(decode_rc(div0, 2), "a division by zero");
	const struct bpf_insn shift[] = { { 0x64, 0, 0, 32 }, RET_ALLOW };
	CHECK_ERR(decode_rc(shift, 2), "a shift by 32");
	const struct bpf_insn mem[] = { { 0x02, 0, 0, 16 }, RET_ALLOW };
	CHECK_ERR(decode_rc(mem, 2), "a scratch slot");
	const struct bpf_insn hi[] = { { 0x106, 0, 0, 0 } };
	CHECK_ERR(decode_rc(hi, 1), "an opcode seccomp does not take");
	const struct bpf_insn retx[] = { { 0x0e, 0, 0, 0 } };
	CHECK_ERR(decode_rc(retx, 1), "an opcode seccomp does not take");
}

static void test_paths(void)
{
	CHECK(sec_path_valid("/proc/kcore") && sec_path_valid("/") && sec_path_valid("/a/..b/c.."), "valid paths");
	CHECK(!sec_path_valid("proc/kcore") && !sec_path_valid(""), "relative or empty");
	CHECK(!sec_path_valid("/proc/../etc") && !sec_path_valid("/..") && !sec_path_valid("/a/.."), "..");
	char big[SEC_PATH_MAX + 2];
	memset(big, 'a', sizeof big - 1), big[0] = '/', big[sizeof big - 1] = 0;
	CHECK(!sec_path_valid(big), "too long");
	big[SEC_PATH_MAX] = 0;
	CHECK(sec_path_valid(big), "the longest");
}

static void test_sysctl(void)
{
	struct sysctl_kv s;
	char a[] = "net.ipv4.ip_forward\x1f" "1", b[] = "kernel.shm_rmid_forced\x1f", c[] = "net.ipv4.conf.eth-0.forwarding\x1f" "0 1";
	CHECK(sysctl_parse(a, &s) == 0 && !strcmp(s.name, "net.ipv4.ip_forward") && !strcmp(s.value, "1"), "valid");
	CHECK(sysctl_parse(b, &s) == 0 && !strcmp(s.value, ""), "empty value");
	CHECK(sysctl_parse(c, &s) == 0 && !strcmp(s.value, "0 1"), "dashes, blanks in the value");
	char path[64];
	CHECK(sysctl_path("net.ipv4.ip_forward", path, sizeof path) == 0 && !strcmp(path, "/proc/sys/net/ipv4/ip_forward"), ". -> /");
	CHECK(sysctl_path("net.ipv4.ip_forward", path, 20) == -1, "too long for the buffer");
	const char *bad[] = { "net\x1f" "1", "net.ipv4..x\x1f" "1", ".net.x\x1f" "1", "net.x.\x1f" "1", "net/../x.y\x1f" "1",
			      "net.ipv4.ip_forward", "net.a\x1f" "1\x1f" "2", "net.-x\x1f" "1", "\x1f" "1", "net.a b\x1f" "1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *d = strdup(bad[i]);
		CHECK(sysctl_parse(d, &s) == -1, "bad sysctl %zu", i);
		free(d);
	}
	char *huge = malloc(SYSCTL_VALUE_MAX + 16);
	strcpy(huge, "a.b\x1f");
	memset(huge + 4, '1', SYSCTL_VALUE_MAX + 1), huge[SYSCTL_VALUE_MAX + 5] = 0;
	CHECK(sysctl_parse(huge, &s) == -1, "a value too long");
	free(huge);
}

static void test_device(void)
{
	struct dev_node d;
	char a[] = "/dev/fuse\x1f" "c\x1f" "10\x1f" "229\x1f" "666\x1f" "0\x1f" "0";
	CHECK(device_parse(a, &d) == 0 && !strcmp(d.path, "/dev/fuse") && d.type == 'c' && d.major == 10 && d.minor == 229 &&
	      d.mode == 0666 && d.uid == 0 && d.gid == 0, "fuse");
	char b[] = "/dev/x/y/sda\x1f" "b\x1f" "8\x1f" "0\x1f" "4660\x1f" "1000\x1f" "6";
	CHECK(device_parse(b, &d) == 0 && d.type == 'b' && d.mode == 04660 && d.uid == 1000 && d.gid == 6, "nested block");
	char c[] = "/dev/fifo\x1f" "p\x1f" "0\x1f" "0\x1f" "600\x1f" "0\x1f" "0";
	CHECK(device_parse(c, &d) == 0 && d.type == 'p', "fifo");
	const char *bad[] = {
		"/dev/x\x1f" "u\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",       /* u: the host sends c */
		"/dev/x\x1f" "cc\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"/dev/x\x1f" "\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"/etc/x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",       /* not under /dev */
		"/dev/../etc/shadow\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"/dev/\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"/dev/x/\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"/dev/x/.\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"/dev/x\x1f" "c\x1f" "4096\x1f" "1\x1f" "666\x1f" "0\x1f" "0",    /* major > 12 bits */
		"/dev/x\x1f" "c\x1f" "1\x1f" "1048576\x1f" "666\x1f" "0\x1f" "0", /* minor > 20 bits */
		"/dev/x\x1f" "c\x1f" "-1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
		"/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "888\x1f" "0\x1f" "0",       /* not octal */
		"/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "17777\x1f" "0\x1f" "0",     /* beyond 07777 */
		"/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "\x1f" "0\x1f" "0",
		"/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "4294967295\x1f" "0",
		"/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "x",
		"/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0",               /* 6 fields */
		"/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0\x1f" "0",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *v = strdup(bad[i]);
		CHECK(device_parse(v, &d) == -1, "bad device %zu", i);
		free(v);
	}
}

static void test_propagation(void)
{
	unsigned long f;
	CHECK(propagation_parse("private", &f) == 0 && f == MS_PRIVATE, "private");
	CHECK(propagation_parse("rslave", &f) == 0 && f == (MS_SLAVE | MS_REC), "rslave");
	CHECK(propagation_parse("rshared", &f) == 0 && f == (MS_SHARED | MS_REC), "rshared");
	CHECK(propagation_parse("runbindable", &f) == 0 && f == (MS_UNBINDABLE | MS_REC), "runbindable");
	CHECK(propagation_parse("rr", &f) == -1 && propagation_parse("", &f) == -1 && propagation_parse("Private", &f) == -1 &&
	      propagation_parse("rprivatex", &f) == -1, "bad ones");
}

static void test_devprog(void)
{
	unsigned char *p;
	size_t n;
	CHECK(devprog_decode("AQIDBAUGBwgJCgsMDQ4PEA==", &p, &n) == 0 && n == 2 && p[0] == 1 && p[15] == 16, "two instructions: %s", err_msg);
	free(p);
	CHECK_ERR(devprog_decode("", &p, &n), "bad devices_bpf: not a whole number");
	CHECK(p == NULL, "nothing allocated on error");
	CHECK_ERR(devprog_decode("AQID", &p, &n), "not a whole number of 8-byte");
	CHECK_ERR(devprog_decode("AQ!D", &p, &n), "bad devices_bpf: bad base64");
	size_t big = (DEVPROG_MAX_INSNS + 1) * 8 / 3 * 4 + 8;
	char *b = malloc(big + 1);
	memset(b, 'A', big), b[big] = 0;
	CHECK_ERR(devprog_decode(b, &p, &n), "more than 4096 instructions");
	free(b);
}

int main(void)
{
	test_devprog();
	test_capmask();
	test_base64();
	test_seccomp();
	test_paths();
	test_sysctl();
	test_device();
	test_propagation();
	return result("test_secspec");
}
