/*
 * remote.c — fetching one remote (http/https) import with libcurl; the
 * transport under resolve.c, which owns everything Dhall about it
 * (chaining, referential sanity, CORS, headers, caching).
 *
 * ev_remote_fetch(ctx, url, headers) performs one GET and returns the
 * body, the HTTP status and the values of every Access-Control-Allow-Origin
 * header of the final response (for the CORS rule; a redirect's headers
 * are dropped when the next response starts). The URL is the import's
 * canonical, logical spelling; before the request it is rewritten through
 * ctx->remote_map (the first pair whose `from` is a prefix of it has that
 * prefix replaced by `to`), so tests can send https://test.dhall-lang.org/…
 * to a local server while resolution still reasons about the logical URL.
 * With ctx->remote_map_only an URL no pair matches is refused, never sent.
 *
 * Bounds: only http and https (also on redirects, at most 5 of them), a
 * connect timeout and a whole-transfer timeout (ctx->remote_timeout_ms,
 * default 60 s), a body cap (ctx->remote_max_bytes, default 64 MiB) after
 * which the transfer is aborted. Loopback addresses bypass any proxy from
 * the environment. Header names and values with CR, LF or NUL are refused
 * (no header injection through Dhall text).
 *
 * libcurl is not linked: the first remote import of a resolve session
 * loads it (dlcurl_open, lib/dlcurl) into a table the session owns
 * (resolve.c's struct rs) and releases with ev_remote_close. A program
 * that never meets a remote import never maps libcurl and the TLS,
 * Kerberos, LDAP … libraries it pulls in (~6 MB of resident memory, most of
 * a small dhall-to-json run). Without libcurl on the system a remote import
 * fails like an unreachable host (recoverable by `?`), naming dlerror()'s
 * reason. No global state of our own (on libcurl's: dlcurl.h).
 */
#include "eval_int.h"

#include "dlcurl/dlcurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

enum {
	REMOTE_CONNECT_MS = 10000,
	REMOTE_TIMEOUT_MS = 60000,
	REMOTE_MAX_BYTES = 64 << 20,
	REMOTE_MAX_REDIRS = 5,
	REMOTE_MAX_ACAO = 8,
};

void ev_remote_close(struct dlcurl *c)
{
	dlcurl_close(c);
}

struct sink {
	struct dhall_buf body;
	size_t cap;       /* most bytes accepted */
	int too_big;
	char **acao;      /* Access-Control-Allow-Origin values (malloc'd) */
	size_t nacao;
};

static size_t on_body(char *p, size_t size, size_t n, void *u)
{
	struct sink *s = u;
	size_t len = size * n;
	if (s->body.len + len > s->cap) {
		s->too_big = 1;
		return 0; /* aborts the transfer */
	}
	return dhall_buf_put(&s->body, p, len) == 0 ? len : 0;
}

static void drop_acao(struct sink *s)
{
	for (size_t i = 0; i < s->nacao && i < REMOTE_MAX_ACAO; i++)
		free(s->acao[i]);
	s->nacao = 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *u)
{
	struct sink *s = u;
	size_t len = size * n;
	static const char name[] = "access-control-allow-origin:";
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response */
		drop_acao(s);
		return len;
	}
	if (len < sizeof name - 1 || strncasecmp(p, name, sizeof name - 1) != 0)
		return len;
	const char *v = p + sizeof name - 1, *end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (s->nacao < REMOTE_MAX_ACAO) {
		char *copy = malloc((size_t)(end - v) + 1);
		if (!copy)
			return 0;
		memcpy(copy, v, (size_t)(end - v));
		copy[end - v] = 0;
		s->acao[s->nacao++] = copy;
	} else {
		s->nacao++; /* counted: more than one value fails CORS anyway */
	}
	return len;
}

static int clean_header_text(struct dhall_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.s[i] == '\r' || s.s[i] == '\n' || s.s[i] == 0)
			return 0;
	return 1;
}

/* The URL actually requested (malloc'd), or NULL with *refused set when
 * remote_map_only and nothing maps it. */
static char *mapped_url(const struct dhall_ctx *ctx, const char *url, int *refused)
{
	*refused = 0;
	if (ctx && ctx->remote_map)
		for (const char *const *m = ctx->remote_map; m[0] && m[1]; m += 2) {
			size_t k = strlen(m[0]);
			if (strncmp(url, m[0], k) == 0) {
				size_t t = strlen(m[1]), rest = strlen(url + k);
				char *u = malloc(t + rest + 1);
				if (u) {
					memcpy(u, m[1], t);
					memcpy(u + t, url + k, rest + 1);
				}
				return u;
			}
		}
	if (ctx && ctx->remote_map_only) {
		*refused = 1;
		return NULL;
	}
	return strdup(url);
}

void ev_remote_free(struct ev_remote *r)
{
	free(r->body);
	for (size_t i = 0; i < r->nacao && i < REMOTE_MAX_ACAO; i++)
		free(r->acao[i]);
	free(r->acao);
	memset(r, 0, sizeof *r);
}

int ev_remote_fetch(const struct dhall_ctx *ctx, struct dlcurl **curl, const char *url,
		    const struct ev_header *hdrs, size_t nhdrs, struct ev_remote *out, char *msg,
		    size_t msglen)
{
	struct dlcurl *c = NULL;
	CURL *h = NULL;
	struct curl_slist *list = NULL;
	struct dhall_buf line = {0};
	struct sink s = {.cap = ctx && ctx->remote_max_bytes ? ctx->remote_max_bytes : REMOTE_MAX_BYTES};
	char errbuf[CURL_ERROR_SIZE] = "";
	int refused, rc = -1;
	char *real = mapped_url(ctx, url, &refused);
	long timeout = ctx && ctx->remote_timeout_ms ? (long)ctx->remote_timeout_ms : REMOTE_TIMEOUT_MS;

	memset(out, 0, sizeof *out);
	if (!real) {
		snprintf(msg, msglen, refused ? "'%s' is not among the allowed remote locations"
					      : "out of memory", url);
		goto out;
	}
	if (!*curl && dlcurl_open(curl, msg, msglen) != 0)
		goto out;
	c = *curl;
	if (!(s.acao = calloc(REMOTE_MAX_ACAO, sizeof *s.acao))) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nhdrs; i++) {
		struct curl_slist *l;
		if (!clean_header_text(hdrs[i].name) || !clean_header_text(hdrs[i].value) ||
		    hdrs[i].name.len == 0 || memchr(hdrs[i].name.s, ':', hdrs[i].name.len)) {
			snprintf(msg, msglen, "header '%.*s' of '%s' is not a valid HTTP header",
				 (int)(hdrs[i].name.len > 64 ? 64 : hdrs[i].name.len), hdrs[i].name.s, url);
			goto out;
		}
		line.len = 0;
		/* "Name;" is curl's spelling of a header with an empty value */
		if (dhall_buf_printf(&line, hdrs[i].value.len ? "%.*s: %.*s" : "%.*s;%.*s",
				     (int)hdrs[i].name.len, hdrs[i].name.s, (int)hdrs[i].value.len,
				     hdrs[i].value.s) ||
		    dhall_buf_putc(&line, 0) || !(l = c->slist_append(list, (char *)line.data))) {
			snprintf(msg, msglen, "out of memory");
			goto out;
		}
		list = l;
	}
	if (!(h = c->easy_init())) {
		snprintf(msg, msglen, "cannot start libcurl");
		goto out;
	}
	c->easy_setopt(h, CURLOPT_URL, real);
	c->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	c->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	c->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	c->easy_setopt(h, CURLOPT_MAXREDIRS, (long)REMOTE_MAX_REDIRS);
	c->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout < REMOTE_CONNECT_MS ? timeout : REMOTE_CONNECT_MS));
	c->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	c->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.cap);
	c->easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	c->easy_setopt(h, CURLOPT_USERAGENT, "sigil-dhall/0.1");
	c->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	c->easy_setopt(h, CURLOPT_HTTPHEADER, list);
	c->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	c->easy_setopt(h, CURLOPT_WRITEDATA, &s);
	c->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	c->easy_setopt(h, CURLOPT_HEADERDATA, &s);
	c->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = c->easy_perform(h);
	if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(msg, msglen, "'%s' is larger than %zu bytes", url, s.cap);
		rc = -2;
		goto out;
	}
	if (cc != CURLE_OK) {
		snprintf(msg, msglen, "cannot fetch '%s': %s", url,
			 errbuf[0] ? errbuf : c->easy_strerror(cc));
		goto out;
	}
	c->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	if (out->status != 200) {
		snprintf(msg, msglen, "cannot fetch '%s': HTTP %ld", url, out->status);
		goto out;
	}
	if (dhall_buf_putc(&s.body, 0)) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	out->len = s.body.len - 1;
	out->body = (char *)s.body.data;
	s.body.data = NULL;
	out->acao = s.acao;
	out->nacao = s.nacao;
	s.acao = NULL;
	rc = 0;
out:
	if (s.acao) {
		drop_acao(&s);
		free(s.acao);
	}
	dhall_buf_free(&s.body);
	dhall_buf_free(&line);
	if (c) {
		c->slist_free_all(list);
		if (h)
			c->easy_cleanup(h);
	}
	free(real);
	return rc;
}
