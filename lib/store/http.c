/*
 * http.c — a store on the other side of HTTP ("http://HOST:PORT[/prefix]"):
 * an `eris serve`, or any server speaking the same URLs (RFC 2169 N2R, as
 * the ERIS-over-HTTP convention has it):
 *
 *   GET  {prefix}/uri-res/N2R?urn:blake2b:REF   the block: 200, or 404 when absent
 *   HEAD {prefix}/uri-res/N2R?urn:blake2b:REF   has: 200 or 404
 *   PUT  {prefix}/uri-res/N2R?urn:blake2b:REF   store a block (body = the block),
 *                                              with "Authorization: Bearer TOKEN"
 *
 * REF is the 52-character base32 reference. The server is never trusted:
 * store.c hashes every block this backend returns (store_get, verify_got in
 * store_get_many) and the decoders hash what they read through
 * store_eris_get, so nothing here checks content, only transport — and a
 * body larger than a block is cut off (ERIS_E_SIZE) rather than buffered.
 *
 * Connections are kept alive. Single requests (get, has, put) share one
 * easy handle, so they reuse one connection. Batches (get_many, has_many) go
 * through one multi handle with HTTP_PARALLEL transfers in flight, each on
 * its own easy handle with its own block buffer; the multi handle keeps its
 * connections between batches. Every transfer has a 5 s connect timeout and
 * a bound on the whole transfer (HTTP_TIMEOUT_MS), so a stalled server is an
 * error, not a hang. Only http:// is spoken and redirects are not followed.
 * Loopback hosts bypass any proxy from the environment.
 *
 * Writing: a PUT carries a bearer token taken, when the store is opened for
 * writing, from the file named by $SIGIL_STORE_TOKEN_FILE (its first line;
 * the same file `eris serve --token-file` reads), or else from
 * $SIGIL_STORE_TOKEN. Without either the PUT goes out bare and the server's
 * 401 is reported with that hint. The token is wiped when the store closes.
 *
 * Errors: 404 is ERIS_E_MISSING (no message: the decoder names the block);
 * any other failure is ERIS_E_IO with "METHOD URL: HTTP 500" or
 * "METHOD URL: <curl's error>". In a batch, a missing or oversized block is
 * that block's own rc; a transport failure stops the batch.
 *
 * libcurl is loaded when the store opens (lib/dlcurl: no program links it,
 * so those that never speak HTTP never map it and its ~35 libraries).
 *
 * Not thread-safe, as no store is: one thread at a time per store handle.
 */
#include "store_int.h"

#include "dlcurl/dlcurl.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

enum {
	HTTP_PARALLEL = 16,          /* transfers in flight in a batch */
	HTTP_CONNECT_MS = 5000,      /* connect timeout */
	HTTP_TIMEOUT_MS = 60000,     /* whole-transfer bound */
	HTTP_ERROR_BODY = 64 * 1024, /* most bytes of an error page we read and drop */
	TOKEN_MAX = 4096,
};

static const char n2r_path[] = "/uri-res/N2R?urn:blake2b:";

/* What a transfer's body goes into. */
struct sink {
	const struct dlcurl *cu;
	CURL *h;
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t dropped; /* body bytes of a non-200 answer (or any, without buf), dropped */
	int overflow;   /* a 200 body longer than cap */
	char note[100]; /* the first line of a text/plain error answer, for messages */
	size_t note_len;
	int note_done;
};

/* One transfer slot: an easy handle, its URL and, in batches, its buffer. */
struct xfer {
	const struct dlcurl *cu;
	CURL *h;
	char *url;
	struct sink sink;
	uint8_t *own; /* ERIS_BLOCK_MAX bytes (batch slots only) */
	size_t i;     /* batch index */
	int busy;
	char errbuf[CURL_ERROR_SIZE];
};

/* The body of a PUT. */
struct source {
	const uint8_t *p;
	size_t left;
};

struct http_store {
	struct store base;
	struct dlcurl *cu; /* libcurl, loaded when the store opens */
	char *base_url; /* without a trailing '/' */
	int loopback;
	struct xfer one; /* single requests */
	CURLM *multi;    /* batches; created on first use */
	struct xfer pool[HTTP_PARALLEL];
	char *token;                    /* NULL: none */
	struct curl_slist *put_headers; /* Authorization (when a token), Expect: */
};

/* Keeps the first line of a short text/plain answer: servers like ours say
 * there why they refused. Only printable ASCII is kept. */
static void keep_note(struct sink *s, const char *data, size_t n)
{
	char *type = NULL;

	if (s->note_done)
		return;
	s->cu->easy_getinfo(s->h, CURLINFO_CONTENT_TYPE, &type);
	if (!type || strncmp(type, "text/plain", 10) != 0) {
		s->note_done = 1;
		return;
	}
	for (size_t i = 0; i < n && !s->note_done; i++) {
		if (data[i] == '\n' || data[i] == '\r' || s->note_len + 1 >= sizeof s->note) {
			s->note_done = 1;
			break;
		}
		s->note[s->note_len++] = data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?';
	}
	s->note[s->note_len] = '\0';
}

static size_t sink_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;
	long code = 0;

	if (s->buf)
		s->cu->easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) { /* an error page, or a PUT's answer: drop it, within reason */
		keep_note(s, data, n);
		s->dropped += n;
		return s->dropped > HTTP_ERROR_BODY ? 0 : n;
	}
	if (n > s->cap - s->len) {
		s->overflow = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return n;
}

static size_t source_read(char *out, size_t size, size_t nmemb, void *ctx)
{
	struct source *src = ctx;
	size_t n = size * nmemb;

	if (n > src->left)
		n = src->left;
	memcpy(out, src->p, n);
	src->p += n;
	src->left -= n;
	return n;
}

/* Sets the options every request shares; the URL and method come later.
 * After a failure it may be called again on the same slot. */
static int xfer_init(struct http_store *h, struct xfer *x, eris_error *err)
{
	size_t url_len = strlen(h->base_url) + sizeof n2r_path + ERIS_REF_B32_LEN + 1;

	if (!x->url)
		x->url = malloc(url_len);
	x->cu = h->cu;
	if (!x->h)
		x->h = h->cu->easy_init();
	if (!x->url || !x->h)
		return eris_error_set(err, ERIS_E_NOMEM, "%s: cannot set up a connection",
				      h->base_url);
	memcpy(x->url, h->base_url, strlen(h->base_url) + 1);
	x->sink.cu = h->cu;
	x->sink.h = x->h;
	x->errbuf[0] = '\0';
	h->cu->easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http");
	h->cu->easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	h->cu->easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTP_CONNECT_MS);
	h->cu->easy_setopt(x->h, CURLOPT_TIMEOUT_MS, (long)HTTP_TIMEOUT_MS);
	h->cu->easy_setopt(x->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	h->cu->easy_setopt(x->h, CURLOPT_USERAGENT, "sigil-eris/0.1");
	h->cu->easy_setopt(x->h, CURLOPT_WRITEFUNCTION, sink_write);
	h->cu->easy_setopt(x->h, CURLOPT_WRITEDATA, &x->sink);
	h->cu->easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	h->cu->easy_setopt(x->h, CURLOPT_PRIVATE, (void *)x);
	h->cu->easy_setopt(x->h, CURLOPT_TCP_NODELAY, 1L);
	if (h->loopback)
		h->cu->easy_setopt(x->h, CURLOPT_PROXY, "");
	return 0;
}

static void xfer_free(struct xfer *x)
{
	if (x->h)
		x->cu->easy_cleanup(x->h);
	free(x->url);
	free(x->own);
}

/* Points x at the block ref: its URL, and a fresh sink into buf. */
static void xfer_target(struct http_store *h, struct xfer *x, const uint8_t *ref, uint8_t *buf,
			size_t cap)
{
	size_t base = strlen(h->base_url);

	memcpy(x->url + base, n2r_path, sizeof n2r_path);
	eris_ref_to_b32(ref, x->url + base + sizeof n2r_path - 1);
	h->cu->easy_setopt(x->h, CURLOPT_URL, x->url);
	x->sink.buf = buf;
	x->sink.cap = cap;
	x->sink.len = 0;
	x->sink.dropped = 0;
	x->sink.overflow = 0;
	x->sink.note[0] = '\0';
	x->sink.note_len = 0;
	x->sink.note_done = 0;
	x->errbuf[0] = '\0';
}

/* The outcome of a finished GET (head = 0) or HEAD (head = 1): 0 (found),
 * ERIS_E_MISSING, ERIS_E_SIZE (body too long), or ERIS_E_IO with a message. */
static int xfer_result(struct xfer *x, CURLcode res, const char *method, eris_error *err)
{
	long code = 0;

	if (res == CURLE_WRITE_ERROR && x->sink.overflow)
		return eris_error_set(err, ERIS_E_SIZE, "%s %s: the answer is longer than %zu bytes",
				      method, x->url, x->sink.cap);
	if (res != CURLE_OK)
		return eris_error_set(err, ERIS_E_IO, "%s %s: %s", method, x->url,
				      x->errbuf[0] ? x->errbuf : x->cu->easy_strerror(res));
	x->cu->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200)
		return 0;
	if (code == 404)
		return ERIS_E_MISSING;
	return eris_error_set(err, ERIS_E_IO, "%s %s: HTTP %ld%s%s", method, x->url, code,
			      x->sink.note[0] ? ": " : "", x->sink.note);
}

/* ---- single requests ---------------------------------------------------- */

static int http_get(store *s, const uint8_t *ref, uint8_t *buf, size_t size,
		    const uint8_t **block, size_t *len, eris_error *err)
{
	struct http_store *h = (struct http_store *)s;
	struct xfer *x = &h->one;
	int rc;

	xfer_target(h, x, ref, buf, size);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	rc = xfer_result(x, h->cu->easy_perform(x->h), "GET", err);
	if (rc != 0)
		return rc;
	*block = buf;
	*len = x->sink.len;
	return 0;
}

static int http_has(store *s, const uint8_t *ref, eris_error *err)
{
	struct http_store *h = (struct http_store *)s;
	struct xfer *x = &h->one;
	int rc;

	xfer_target(h, x, ref, NULL, 0);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
	h->cu->easy_setopt(x->h, CURLOPT_NOBODY, 1L);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	rc = xfer_result(x, h->cu->easy_perform(x->h), "HEAD", err);
	return rc == 0 ? 1 : rc == ERIS_E_MISSING ? 0 : rc;
}

static int http_put(store *s, const uint8_t *ref, const uint8_t *block, size_t len,
		    eris_error *err)
{
	struct http_store *h = (struct http_store *)s;
	struct xfer *x = &h->one;
	struct source src = {block, len};
	long code = 0;
	CURLcode res;

	xfer_target(h, x, ref, NULL, 0);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
	h->cu->easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
	h->cu->easy_setopt(x->h, CURLOPT_READFUNCTION, source_read);
	h->cu->easy_setopt(x->h, CURLOPT_READDATA, &src);
	h->cu->easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPHEADER, h->put_headers);
	res = h->cu->easy_perform(x->h);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
	h->cu->easy_setopt(x->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	if (res != CURLE_OK)
		return eris_error_set(err, ERIS_E_IO, "PUT %s: %s", x->url,
				      x->errbuf[0] ? x->errbuf : h->cu->easy_strerror(res));
	h->cu->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return 0;
	if (code == 401 && !h->token)
		return eris_error_set(err, ERIS_E_IO,
				      "PUT %s: HTTP 401 (no token: set SIGIL_STORE_TOKEN_FILE or "
				      "SIGIL_STORE_TOKEN)",
				      x->url);
	if (x->sink.note[0])
		return eris_error_set(err, ERIS_E_IO, "PUT %s: HTTP %ld: %s", x->url, code,
				      x->sink.note);
	return eris_error_set(err, ERIS_E_IO, "PUT %s: HTTP %ld%s", x->url, code,
			      code == 401 || code == 403 ? " (the server refused the token)"
			      : code == 405		 ? " (the server is read-only)"
						 : "");
}

static int http_flush(store *s, eris_error *err)
{
	(void)s;
	(void)err;
	return 0; /* every PUT was acknowledged by the server */
}

/* ---- batches ------------------------------------------------------------- */

static int pool_ready(struct http_store *h, eris_error *err)
{
	if (h->multi)
		return 0;
	for (int k = 0; k < HTTP_PARALLEL; k++) {
		struct xfer *x = &h->pool[k];
		int rc = xfer_init(h, x, err);
		if (rc != 0)
			return rc;
		if (!x->own)
			x->own = malloc(ERIS_BLOCK_MAX);
		if (!x->own)
			return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	}
	h->multi = h->cu->multi_init();
	if (!h->multi)
		return eris_error_set(err, ERIS_E_NOMEM, "%s: cannot set up connections",
				      h->base_url);
	h->cu->multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)HTTP_PARALLEL);
	h->cu->multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_PARALLEL);
	return 0;
}

/* Runs GETs (head = 0, handing blocks to got) or HEADs (head = 1, handing
 * rc 0 / ERIS_E_MISSING) for refs[0..n), HTTP_PARALLEL at a time. */
static int run_batch(struct http_store *h, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n,
		     int head, store_got_fn got, void *ctx, eris_error *err)
{
	const char *method = head ? "HEAD" : "GET";
	size_t next = 0, active = 0;
	int rc = pool_ready(h, err), running = 0;

	while (rc == 0 && (next < n || active > 0)) {
		for (int k = 0; k < HTTP_PARALLEL && next < n; k++) {
			struct xfer *x = &h->pool[k];
			if (x->busy)
				continue;
			xfer_target(h, x, refs[next], x->own, ERIS_BLOCK_MAX);
			h->cu->easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
			if (head)
				h->cu->easy_setopt(x->h, CURLOPT_NOBODY, 1L);
			x->i = next++;
			if (h->cu->multi_add_handle(h->multi, x->h) != CURLM_OK) {
				rc = eris_error_set(err, ERIS_E_IO, "%s: cannot start a transfer",
						    h->base_url);
				break;
			}
			x->busy = 1;
			active++;
		}
		if (rc != 0)
			break;
		CURLMcode mc = h->cu->multi_perform(h->multi, &running);
		if (mc != CURLM_OK) {
			rc = eris_error_set(err, ERIS_E_IO, "%s: %s", h->base_url,
					    h->cu->multi_strerror(mc));
			break;
		}
		int finished = 0, left;
		CURLMsg *msg;
		while (rc == 0 && (msg = h->cu->multi_info_read(h->multi, &left)) != NULL) {
			char *priv = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			h->cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			struct xfer *x = (struct xfer *)(void *)priv;
			CURLcode res = msg->data.result;
			h->cu->multi_remove_handle(h->multi, x->h);
			x->busy = 0;
			active--;
			finished++;
			int r = xfer_result(x, res, method, err);
			if (r != 0 && r != ERIS_E_MISSING && r != ERIS_E_SIZE) {
				rc = r; /* the server or the network failed: stop */
				break;
			}
			if (got(ctx, x->i, r, r == 0 ? x->own : NULL, r == 0 ? x->sink.len : 0) != 0)
				rc = eris_error_set(err, ERIS_E_IO, "batch stopped by its receiver");
		}
		if (rc == 0 && finished == 0 && running > 0) {
			mc = h->cu->multi_poll(h->multi, NULL, 0, 1000, NULL);
			if (mc != CURLM_OK)
				rc = eris_error_set(err, ERIS_E_IO, "%s: %s", h->base_url,
						    h->cu->multi_strerror(mc));
		}
	}
	for (int k = 0; h->multi && k < HTTP_PARALLEL; k++) {
		if (h->pool[k].busy) {
			h->cu->multi_remove_handle(h->multi, h->pool[k].h);
			h->pool[k].busy = 0;
		}
	}
	return rc;
}

static int http_get_many(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n,
			 store_got_fn got, void *ctx, eris_error *err)
{
	return run_batch((struct http_store *)s, refs, n, 0, got, ctx, err);
}

struct presence {
	uint8_t *present;
};

static int mark_present(void *ctx, size_t i, int rc, const uint8_t *block, size_t len)
{
	struct presence *p = ctx;

	(void)block;
	(void)len;
	p->present[i] = rc == 0;
	return 0;
}

static int http_has_many(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n,
			 uint8_t *present, eris_error *err)
{
	struct presence p = {present};

	return run_batch((struct http_store *)s, refs, n, 1, mark_present, &p, err);
}

static void http_close(store *s)
{
	struct http_store *h = (struct http_store *)s;

	for (int k = 0; k < HTTP_PARALLEL; k++)
		xfer_free(&h->pool[k]);
	if (h->multi)
		h->cu->multi_cleanup(h->multi);
	xfer_free(&h->one);
	for (struct curl_slist *l = h->put_headers; l; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	if (h->put_headers)
		h->cu->slist_free_all(h->put_headers);
	if (h->token) {
		sodium_memzero(h->token, strlen(h->token));
		free(h->token);
	}
	free(h->base_url);
	dlcurl_close(h->cu);
	free(h);
}

static const struct store_ops http_ops = {http_get,   http_put,      http_has,	    http_flush,
					  http_close, http_get_many, http_has_many};

/* ---- opening ------------------------------------------------------------- */

/* "127.x.x.x", "localhost" or "[::1]" (as curl gives hosts back: "[::1]"). */
static int is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 ||
	       strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

/* Checks the URL's shape: http, a host, no user, query or fragment. */
static int check_url(struct http_store *h, const char *url, eris_error *err)
{
	CURLU *u = h->cu->url();
	char *host = NULL, *user = NULL, *query = NULL, *frag = NULL;
	int rc = 0;

	if (!u)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	if (h->cu->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    h->cu->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
		rc = eris_error_set(err, ERIS_E_ARG, "\"%s\" is not a url (want http://HOST:PORT[/prefix])",
				    url);
		goto out;
	}
	h->cu->url_get(u, CURLUPART_USER, &user, 0);
	h->cu->url_get(u, CURLUPART_QUERY, &query, 0);
	h->cu->url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (user || query || frag) {
		rc = eris_error_set(err, ERIS_E_ARG,
				    "\"%s\": a store url has no user, query or fragment "
				    "(want http://HOST:PORT[/prefix])",
				    url);
		goto out;
	}
	h->loopback = is_loopback(host);
out:
	h->cu->free(host);
	h->cu->free(user);
	h->cu->free(query);
	h->cu->free(frag);
	h->cu->url_cleanup(u);
	return rc;
}

/* The token for PUTs: the first line of $SIGIL_STORE_TOKEN_FILE, else
 * $SIGIL_STORE_TOKEN; *token stays NULL when neither is set. */
static int load_token(char **token, eris_error *err)
{
	const char *path = getenv("SIGIL_STORE_TOKEN_FILE");
	const char *env = getenv("SIGIL_STORE_TOKEN");
	char buf[TOKEN_MAX + 1];
	size_t len = 0;
	int rc = 0;

	*token = NULL;
	if (path && path[0]) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return eris_error_set(err, ERIS_E_IO, "token file \"%s\": %s", path,
					      strerror(errno));
		for (;;) {
			ssize_t n = read(fd, buf + len, TOKEN_MAX - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = eris_error_set(err, ERIS_E_IO, "token file \"%s\": %s", path,
						    strerror(errno));
				break;
			}
			if (n == 0 || (len += (size_t)n) == TOKEN_MAX)
				break;
		}
		close(fd);
		buf[len] = '\0';
		len = strcspn(buf, "\r\n");
	} else if (env && env[0]) {
		len = strlen(env);
		if (len > TOKEN_MAX)
			len = TOKEN_MAX;
		memcpy(buf, env, len);
	} else {
		return 0;
	}
	while (rc == 0 && len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (rc == 0 && len == 0)
		rc = eris_error_set(err, ERIS_E_ARG, "the store token is empty");
	if (rc == 0 && !(*token = strndup(buf, len)))
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	sodium_memzero(buf, sizeof buf);
	return rc;
}

static int put_headers(struct http_store *h, eris_error *err)
{
	struct curl_slist *l = h->cu->slist_append(NULL, "Expect:"), *l2 = NULL;

	if (l && h->token) {
		size_t n = strlen(h->token) + sizeof "Authorization: Bearer ";
		char *line = malloc(n);
		if (line) {
			snprintf(line, n, "Authorization: Bearer %s", h->token);
			l2 = h->cu->slist_append(l, line);
			sodium_memzero(line, n);
			free(line);
		}
		if (!l2) {
			h->cu->slist_free_all(l);
			l = NULL;
		}
	}
	if (!l)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	h->put_headers = l;
	return 0;
}

int store_http_open(store **out, const char *url, int flags, eris_error *err)
{
	struct http_store *h = calloc(1, sizeof *h);
	size_t len = strlen(url);
	char why[200];
	int rc;

	*out = NULL;
	if (!h)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	h->base.ops = &http_ops;
	while (len > strlen("http://") && url[len - 1] == '/')
		len--;
	h->base_url = strndup(url, len);
	if (!h->base_url) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto fail;
	}
	if (dlcurl_open(&h->cu, why, sizeof why) != 0) {
		rc = eris_error_set(err, ERIS_E_IO, "%s: %s", h->base_url, why);
		goto fail;
	}
	rc = check_url(h, h->base_url, err);
	if (rc == 0 && (flags & (STORE_WRITE | STORE_CREATE)))
		rc = load_token(&h->token, err);
	if (rc == 0)
		rc = put_headers(h, err);
	if (rc == 0)
		rc = xfer_init(h, &h->one, err);
	if (rc != 0)
		goto fail;
	*out = &h->base;
	return 0;
fail:
	http_close(&h->base);
	return rc;
}
