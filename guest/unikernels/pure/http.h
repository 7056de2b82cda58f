/* The HTTP/1.x responder of the web unikernel (pure: no hardware access). */
#ifndef RIND_UK_HTTP_H
#define RIND_UK_HTTP_H
#include "lib.h"

#define HTTP_PAGE "hello from rind web unikernel\n"
#define HTTP_PAGE_MAX 256
/* The 200 body becomes `text` plus a newline (at most HTTP_PAGE_MAX - 2 bytes of it): web's body= word. */
void http_set_page(const char *text);
#define HTTP_REQ_MAX 2048    /* bytes of request head kept; more is answered with 431 */
#define HTTP_RESP_MAX 512

/* 1 when req holds a whole request head (ends in CRLF CRLF, or LF LF), else 0. */
int http_head_complete(const uint8_t *req, size_t len);
/* Writes the response for req (a whole head, or a cut one when too_large is set, or
 * an incomplete one when the peer closed) into out; returns its length (0 if cap is too
 * small) and the status code in *status. Every response has Content-Length and
 * Connection: close. */
size_t http_respond(const uint8_t *req, size_t len, int too_large, uint8_t *out, size_t cap, int *status);

#endif
