/* rind guest agent: the security keys' values (secspec.h): capability masks, base64 seccomp programs, paths,
 * sysctls, device nodes, root propagation. Pure: no state, no system calls. */
#include "secspec.h"
#include "err.h"
#include "fields.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

const char *const cap_set_keys[CAP_SETS] = { "cap_bounding", "cap_effective", "cap_permitted", "cap_inheritable",
					     "cap_ambient" };

int parse_capmask(const char *s, uint64_t *m)
{
	size_t n = strlen(s);
	if (n < 1 || n > 16 || strspn(s, "0123456789abcdefABCDEF") != n)
		return -1;
	*m = strtoull(s, NULL, 16);
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int base64_decode(const char *s, unsigned char *out, size_t outmax, size_t *outlen)
{
	size_t n = strlen(s), o = 0;
	if (n % 4)
		return fail("base64 length %zu is not a multiple of 4", n);
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			char c = s[i + j];
			if (c == '=' && i + 4 == n && j >= 2 && (j == 3 || s[i + 3] == '=')) {
				v[j] = 0, pad++;
				continue;
			}
			if ((v[j] = b64_value(c)) < 0 || pad)
				return fail("bad base64 character at %zu", i + j);
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return fail("bad base64 padding");
		for (int j = 0; j < 3 - pad; j++) {
			if (o >= outmax)
				return fail("more than %zu bytes", outmax);
			out[o++] = w >> (16 - 8 * j);
		}
	}
	*outlen = o;
	return 0;
}

/* classic BPF opcodes (linux/bpf_common.h, linux/filter.h) */
enum {
	C_LD = 0x00, C_LDX = 0x01, C_ST = 0x02, C_STX = 0x03, C_ALU = 0x04, C_JMP = 0x05, C_RET = 0x06, C_MISC = 0x07,
	M_IMM = 0x00, M_ABS = 0x20, M_MEM = 0x60, M_LEN = 0x80,
	A_DIV = 0x30, A_LSH = 0x60, A_RSH = 0x70, A_NEG = 0x80, A_MOD = 0x90, A_XOR = 0xa0,
	J_JA = 0x00, J_JSET = 0x40, S_X = 0x08, R_A = 0x10, MISC_TXA = 0x80,
	SECCOMP_DATA_SIZE = 64, BPF_MEMWORDS = 16,
};

/* What the kernel's seccomp_check_filter and bpf_check_classic would refuse, as a message; NULL: fine. */
static const char *insn_problem(const struct bpf_insn *f, size_t i, size_t n)
{
	unsigned c = f[i].code, cls = c & 7, op = c & 0xf0;
	switch (cls) {
	case C_LD:
	case C_LDX:
		if (c == (C_LD | M_ABS))
			return f[i].k >= SECCOMP_DATA_SIZE || f[i].k & 3 ? "a load outside seccomp_data" : NULL;
		if (c == (cls | M_LEN) || c == (cls | M_IMM))
			return NULL;
		if (c == (cls | M_MEM))
			return f[i].k >= BPF_MEMWORDS ? "a scratch slot out of range" : NULL;
		return "an opcode seccomp does not take";
	case C_ST:
	case C_STX:
		if (c != cls)
			return "an opcode seccomp does not take";
		return f[i].k >= BPF_MEMWORDS ? "a scratch slot out of range" : NULL;
	case C_ALU:
		if (c > 0xff || op == A_MOD || op > A_XOR || (op == A_NEG && c != (C_ALU | A_NEG)))
			return "an opcode seccomp does not take";
		if (!(c & S_X) && op == A_DIV && f[i].k == 0)
			return "a division by zero";
		if (!(c & S_X) && (op == A_LSH || op == A_RSH) && f[i].k >= 32)
			return "a shift by 32 or more";
		return NULL;
	case C_JMP:
		if (c > 0xff || op > J_JSET || (op == J_JA && c != C_JMP))
			return "an opcode seccomp does not take";
		if (op == J_JA)
			return f[i].k >= n - i - 1 ? "a jump out of the program" : NULL;
		return f[i].jt >= n - i - 1 || f[i].jf >= n - i - 1 ? "a jump out of the program" : NULL;
	case C_RET:
		return c == C_RET || c == (C_RET | R_A) ? NULL : "an opcode seccomp does not take";
	default: /* C_MISC */
		return c == C_MISC || c == (C_MISC | MISC_TXA) ? NULL : "an opcode seccomp does not take";
	}
}

int devprog_decode(const char *b64, unsigned char **prog, size_t *ninsns)
{
	enum { MAXB = DEVPROG_MAX_INSNS * 8 };
	size_t len;
	*prog = NULL, *ninsns = 0;
	if (strlen(b64) > (MAXB + 2) / 3 * 4)
		return fail("bad devices_bpf: more than %d instructions", DEVPROG_MAX_INSNS);
	unsigned char *b = malloc(MAXB);
	if (!b)
		return fail("out of memory");
	int bad = base64_decode(b64, b, MAXB, &len) < 0;
	if (bad || len == 0 || len % 8) {
		char why[ERR_MAX];
		strcpy(why, bad ? err_msg : "not a whole number of 8-byte instructions");
		free(b);
		return fail("bad devices_bpf: %s", why);
	}
	*prog = b, *ninsns = len / 8;
	return 0;
}

int seccomp_decode(const char *b64, struct bpf_insn **insns, size_t *n)
{
	enum { MAXB = SECCOMP_MAX_INSNS * 8 };
	*insns = NULL, *n = 0;
	if (strlen(b64) > (MAXB + 2) / 3 * 4)
		return fail("bad seccomp: more than %d instructions", SECCOMP_MAX_INSNS);
	unsigned char *b = malloc(MAXB);
	size_t len;
	if (!b)
		return fail("out of memory");
	if (base64_decode(b64, b, MAXB, &len) < 0) {
		free(b);
		char why[ERR_MAX];
		strcpy(why, err_msg);
		return fail("bad seccomp: %s", why);
	}
	if (len == 0 || len % 8) {
		free(b);
		return fail("bad seccomp: %zu bytes is not a whole number (1..%d) of 8-byte instructions", len, SECCOMP_MAX_INSNS);
	}
	size_t cnt = len / 8;
	struct bpf_insn *f = calloc(cnt, sizeof *f);
	if (!f) {
		free(b);
		return fail("out of memory");
	}
	for (size_t i = 0; i < cnt; i++) {
		const unsigned char *r = b + 8 * i;
		f[i].code = r[0] | r[1] << 8;
		f[i].jt = r[2], f[i].jf = r[3];
		f[i].k = (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;
	}
	free(b);
	for (size_t i = 0; i < cnt; i++) {
		const char *p = insn_problem(f, i, cnt);
		if (p) {
			unsigned code = f[i].code;
			free(f);
			return fail("bad seccomp: instruction %zu (code 0x%x): %s", i, code, p);
		}
	}
	if ((f[cnt - 1].code & 7) != C_RET) {
		free(f);
		return fail("bad seccomp: the last instruction is not a return");
	}
	*insns = f, *n = cnt;
	return 0;
}

int sec_path_valid(const char *p)
{
	size_t n = strlen(p);
	if (p[0] != '/' || n > SEC_PATH_MAX)
		return 0;
	for (const char *c = p; *c;) {
		size_t l = strcspn(c, "/");
		if (l == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += l;
		while (*c == '/')
			c++;
	}
	return 1;
}

/* a.b.c: components of [A-Za-z0-9_*-], not starting with '-', at least two */
static int sysctl_name_valid(const char *s)
{
	size_t n = strlen(s), parts = 0;
	if (n == 0 || n > 255)
		return 0;
	for (const char *c = s;; c++) {
		size_t l = strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*-");
		if (l == 0 || c[0] == '-')
			return 0;
		parts++;
		c += l;
		if (!*c)
			return parts >= 2;
		if (*c != '.')
			return 0;
	}
}

int sysctl_parse(char *val, struct sysctl_kv *s)
{
	char *f[2];
	if (split_fields(val, f, 2) || !sysctl_name_valid(f[0]) || strlen(f[1]) > SYSCTL_VALUE_MAX)
		return -1;
	s->name = f[0], s->value = f[1];
	return 0;
}

int sysctl_path(const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	if (n + sizeof "/proc/sys/" > outlen)
		return -1;
	strcpy(out, "/proc/sys/");
	for (size_t i = 0; i <= n; i++)
		out[10 + i] = name[i] == '.' ? '/' : name[i];
	return 0;
}

int device_parse(char *val, struct dev_node *d)
{
	char *f[7];
	long long maj, min, uid, gid;
	if (split_fields(val, f, 7) || !sec_path_valid(f[0]) || strncmp(f[0], "/dev/", 5) || !f[0][5])
		return -1;
	const char *base = strrchr(f[0], '/') + 1; /* a name: not "", ".", or a trailing slash */
	if (!base[0] || !strcmp(base, "."))
		return -1;
	if (strlen(f[1]) != 1 || !strchr("cbp", f[1][0]))
		return -1;
	if (parse_num(f[2], 0, 4095, &maj) || parse_num(f[3], 0, 1048575, &min) || parse_num(f[5], 0, UINT32_MAX - 1, &uid) ||
	    parse_num(f[6], 0, UINT32_MAX - 1, &gid))
		return -1;
	size_t ml = strlen(f[4]);
	if (ml < 1 || ml > 5 || strspn(f[4], "01234567") != ml)
		return -1;
	unsigned long mode = strtoul(f[4], NULL, 8);
	if (mode > 07777)
		return -1;
	d->path = f[0], d->type = f[1][0], d->major = maj, d->minor = min, d->mode = mode, d->uid = uid, d->gid = gid;
	return 0;
}

int propagation_parse(const char *s, unsigned long *flags)
{
	static const struct { const char *name; unsigned long f; } t[] = {
		{ "private", MS_PRIVATE }, { "slave", MS_SLAVE }, { "shared", MS_SHARED }, { "unbindable", MS_UNBINDABLE },
	};
	int rec = s[0] == 'r';
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(s + rec, t[i].name)) {
			*flags = t[i].f | (rec ? MS_REC : 0);
			return 0;
		}
	return -1;
}
