/* HTTP/1.x request parsing and responses (pure: no hardware access).
 * GET or HEAD of "/" (or "/index.html") gets the page; any other path 404, any other
 * method 405, a malformed request line 400, a version other than HTTP/1.x 505, a head
 * longer than HTTP_REQ_MAX 431. Bodies are never read. */
#include "http.h"

int http_head_complete(const uint8_t *req, size_t len)
{
	for (size_t i = 1; i < len; i++) {
		if (req[i] != '\n') continue;
		if (req[i - 1] == '\n') return 1;
		if (i >= 3 && req[i - 1] == '\r' && req[i - 2] == '\n' && req[i - 3] == '\r') return 1;
	}
	return 0;
}

static int tok_eq(const uint8_t *p, size_t n, const char *s)
{
	size_t m = strlen(s);
	return n == m && memcmp(p, s, n) == 0;
}

static int is_tchar(uint8_t c)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return 1;
	for (size_t i = 0; extra[i]; i++)
		if (c == (uint8_t)extra[i]) return 1;
	return 0;
}

/* status of a request line; *head set for HEAD */
static int classify(const uint8_t *req, size_t len, int *head)
{
	size_t eol = 0;
	while (eol < len && req[eol] != '\n') eol++;
	if (eol == len) return 400;
	size_t end = eol;
	if (end && req[end - 1] == '\r') end--;
	/* method SP target SP version */
	size_t i = 0, m0 = 0;
	while (i < end && is_tchar(req[i])) i++;
	size_t mlen = i - m0;
	if (!mlen || i >= end || req[i] != ' ') return 400;
	size_t t0 = ++i;
	while (i < end && req[i] > ' ' && req[i] < 0x7f) i++;
	size_t tlen = i - t0;
	if (!tlen || i >= end || req[i] != ' ') return 400;
	size_t v0 = ++i;
	size_t vlen = end - v0;
	if (vlen != 8 || memcmp(req + v0, "HTTP/", 5) || req[v0 + 6] != '.' ||
	    req[v0 + 5] < '0' || req[v0 + 5] > '9' || req[v0 + 7] < '0' || req[v0 + 7] > '9')
		return 400;
	if (req[v0 + 5] != '1') return 505;
	int get = tok_eq(req, mlen, "GET");
	*head = tok_eq(req, mlen, "HEAD");
	if (!get && !*head) return 405;
	const uint8_t *t = req + t0;
	if (tok_eq(t, tlen, "/") || tok_eq(t, tlen, "/index.html")) return 200;
	if (t[0] != '/' && !tok_eq(t, tlen, "*")) return 400;
	return 404;
}

static char page[HTTP_PAGE_MAX] = HTTP_PAGE;

void http_set_page(const char *text)
{
	size_t n = 0;
	while (text[n] && n + 2 < sizeof page) { page[n] = text[n]; n++; }
	page[n++] = '\n';
	page[n] = 0;
}

size_t http_respond(const uint8_t *req, size_t len, int too_large, uint8_t *out, size_t cap, int *status)
{
	int head = 0;
	int code = too_large ? 431 : classify(req, len, &head);
	const char *reason, *body;
	switch (code) {
	case 200: reason = "OK"; body = page; break;
	case 404: reason = "Not Found"; body = "not found\n"; break;
	case 405: reason = "Method Not Allowed"; body = "method not allowed\n"; break;
	case 431: reason = "Request Header Fields Too Large"; body = "request too large\n"; break;
	case 505: reason = "HTTP Version Not Supported"; body = "http version not supported\n"; break;
	default: code = 400; reason = "Bad Request"; body = "bad request\n"; break;
	}
	struct fmt f;
	fmt_init(&f, (char *)out, cap);
	fmt_printf(&f, "HTTP/1.1 %d %s\r\n", code, reason);
	if (code == 405) fmt_str(&f, "Allow: GET, HEAD\r\n");
	fmt_printf(&f, "Content-Type: text/plain\r\nContent-Length: %lu\r\nConnection: close\r\n\r\n",
	           (unsigned long)strlen(body));
	if (!head) fmt_str(&f, body);
	*status = code;
	return f.truncated ? 0 : f.len;
}
