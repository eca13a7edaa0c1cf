/*
 * headers.h - writing the heads eelplb sends: the request as the backend
 * sees it (hop-by-hop headers dropped, X-Forwarded-For added), the response
 * as the client sees it (our own Connection header), and our error replies.
 * Each returns the head's length, or 0 if it does not fit in cap.
 */
#ifndef PLB_HEADERS_H
#define PLB_HEADERS_H

#include "http.h"

size_t head_build_request(char *out, size_t cap, const struct http_msg *m,
                          const char *client_ip);
size_t head_build_response(char *out, size_t cap, const struct http_msg *m,
                           int client_minor, int client_close);
size_t head_build_error(char *out, size_t cap, int status);
const char *http_reason(int status);

#endif
