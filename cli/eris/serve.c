/*
 * serve.c — `eris serve`: a block store over HTTP (libmicrohttpd), the
 * server side of lib/store/http.c.
 *
 *   GET|HEAD /uri-res/N2R?urn:blake2b:REF   the block REF: 200 (octet-stream),
 *                                          404 absent, 400 malformed REF
 *   GET|HEAD /uri-res/N2R?urn:eris:CAP      the decoded content; "Range: bytes=a-b"
 *                                          (one range, also a- and -n) gives 206
 *                                          with Content-Range, 416 past the end
 *   PUT      /uri-res/N2R?urn:blake2b:REF   store a block (body = 1024 or 32768
 *                                          bytes hashing to REF): 201; only with
 *                                          --token-file and "Authorization: Bearer
 *                                          TOKEN" (401 none, 403 wrong), 405 with
 *                                          --read-only, 400 a bad body, 413 too big
 *
 * REF is the 52-character base32 reference, CAP the 106-character read
 * capability; a query may be percent-encoded. Anything else is 404 (another
 * path) or 405 (another method).
 *
 * Threads: libmicrohttpd's internal epoll loop with a pool of --threads
 * threads (default: the CPUs online); connections are kept alive. Our own
 * acceptor thread takes connections and hands them to the pool
 * (MHD_add_connection), which gives each to worker (socket mod pool size):
 * consecutive connections go to different workers. Left to themselves, the
 * workers race for the shared listening socket and one of them often wins
 * all of a client's connections, leaving the other CPUs idle (measured:
 * 16 wrk connections all on one of two workers in some rounds). Store
 * handles are not thread-safe, so every store call holds a handle's lock. One
 * lock for all made the threads queue on it (half the requests slept on a
 * futex under load), so a directory store — whose handles are independent
 * and whose writes are atomic renames — is opened once per thread and a
 * request takes any idle handle, and so is a pack served read-only (no
 * --token-file: each handle maps the pack and only reads; a block costs no
 * system call at all). Other stores (mem:, a writable pack, chains) have one
 * handle, as sharing theirs between handles would not be safe. Decoded
 * content is read block by block (eris_reader) as the response is sent —
 * never buffered whole — taking a handle for one block at a time.
 *
 * Blocks are served as store_get returns them: verified, so a block damaged
 * in the server's own store is a 500 and a line on stderr, not bad data.
 * Clients verify again anyway (nothing trusts the server).
 *
 * Safety: the server binds only loopback addresses (127.0.0.0/8, ::1)
 * unless --public is given. The token file's first line is the token; only
 * its BLAKE2b-256 hash is kept, compared in constant time (sodium_memcmp) to
 * the hash of the presented token, and wiped at exit. A PUT is durable
 * (store_flush) before its 201.
 *
 * Lifecycle: bind, print "listening on ADDR:PORT" on stdout (port 0 picks a
 * free port; the line gives the real one), serve until SIGINT or SIGTERM
 * (waited for with sigwait, the signals blocked in every thread), stop the
 * daemon (closing its connections), flush and close the store.
 * One line on stderr per error answer (4xx except 404, and 5xx).
 */
#include "eris_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "banned.h"

enum {
	PATH_MAX_LEN = 64,
	QUERY_MAX_LEN = 160,
	TOKEN_FILE_MAX = 4096,
	CONTENT_CHUNK = 64 * 1024,
	IDLE_TIMEOUT_S = 30,
	MAX_CONNECTIONS = 512,
	/* per-connection memory (headers, buffers): a request is one short line
	 * and a few headers; libmicrohttpd clears this much on every request */
	CONNECTION_MEMORY = 8 * 1024,
	MAX_HANDLES = 16,
};

/* The acceptor (see the top of the file). */
struct acceptor {
	struct MHD_Daemon *d;
	int lfd;
	atomic_int stop;
	pthread_t tid;
};

static void *accept_loop(void *arg)
{
	struct acceptor *ac = arg;

	while (!atomic_load(&ac->stop)) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(ac->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				usleep(10000); /* out of descriptors: let connections close */
			continue;           /* EINTR, ECONNABORTED ...; EINVAL after shutdown */
		}
		/* on refusal (connection limit) libmicrohttpd closes the socket */
		(void)MHD_add_connection(ac->d, fd, (const struct sockaddr *)&ss, sl);
	}
	return NULL;
}

static const struct cli_opt serve_opts[] = {
	{"store", 's', "STORE", "block store to serve (a directory, dir:PATH, pack:FILE, mem:, A+B)"},
	{"listen", 'l', "ADDR:PORT", "address to listen on (default 127.0.0.1:8080; port 0 picks one)"},
	{"read-only", 0, NULL, "refuse every PUT (405)"},
	{"token-file", 0, "FILE", "accept PUTs bearing the token on this file's first line"},
	{"public", 0, NULL, "allow a non-loopback address (the server is then reachable by others)"},
	{"threads", 'j', "N", "threads serving connections (default: the CPUs online)"},
	{0},
};

/* A store handle and the lock its users hold. */
struct handle {
	pthread_mutex_t lock;
	store *s;
};

struct server {
	const struct cli_cmd *cmd;
	struct handle h[MAX_HANDLES];
	int nh;
	atomic_uint next; /* where the search for an idle handle starts */
	int read_only;
	int has_token;
	uint8_t token_hash[crypto_generichash_BYTES];
};

/* Per request, made when its URI arrives (URI log callback). */
struct req {
	char path[PATH_MAX_LEN];
	char query[QUERY_MAX_LEN]; /* percent-decoded */
	int bad_uri;               /* too long, or bad percent-encoding */
	int headers_seen;          /* the handler's first call has been made */
	/* PUT */
	int put_open; /* receiving the body */
	uint8_t ref[ERIS_REF_SIZE];
	uint8_t *body;
	size_t body_len;
	int body_too_big;
};

enum kind { BAD, BLOCK, CONTENT };

/* ---- logging and plain answers ------------------------------------------- */

static void log_line(const struct server *sv, const char *method, const struct req *r,
		     int status, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void log_line(const struct server *sv, const char *method, const struct req *r,
		     int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s: %s %s%s%s: %d %s\n", cli_prog, sv->cmd->name, method,
		r ? r->path : "?", r && r->query[0] ? "?" : "", r ? r->query : "", status, msg);
}

static void mhd_log(void *cls, const char *fm, va_list ap)
{
	const struct server *sv = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof msg, fm, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	fprintf(stderr, "%s %s: %s\n", cli_prog, sv->cmd->name, msg);
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A short text answer, with one more header `hname: hval` when hname is not
 * NULL. Not logged: for answers whose error the caller has logged. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *hname,
			       const char *hval, const char *text)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (hname)
		MHD_add_response_header(resp, hname, hval);
	return queue(c, status, resp);
}

/* respond(), logging the text's first line unless the status is a success
 * or a 404. */
static enum MHD_Result reply(const struct server *sv, struct MHD_Connection *c,
			     const char *method, const struct req *r, unsigned status,
			     const char *hname, const char *hval, const char *text)
{
	if (status >= 400 && status != MHD_HTTP_NOT_FOUND)
		log_line(sv, method, r, (int)status, "%.*s", (int)strcspn(text, "\n"), text);
	return respond(c, status, hname, hval, text);
}

/* ---- requests -------------------------------------------------------------- */

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Percent-decodes src[0..len) into dst (cap bytes with the NUL). */
static int pct_decode(char *dst, size_t cap, const char *src, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = src[i];
		if (ch == '%') {
			int hi = len - i >= 3 ? hexval(src[i + 1]) : -1;
			int lo = len - i >= 3 ? hexval(src[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		if (k + 1 >= cap)
			return -1;
		dst[k++] = ch;
	}
	dst[k] = '\0';
	return 0;
}

static void *uri_arrived(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *r = calloc(1, sizeof *r);
	size_t plen = strcspn(uri, "?");

	(void)cls;
	(void)c;
	if (!r)
		return NULL;
	if (plen >= sizeof r->path) {
		r->bad_uri = 1;
		return r;
	}
	memcpy(r->path, uri, plen);
	r->path[plen] = '\0';
	if (uri[plen] == '?' &&
	    pct_decode(r->query, sizeof r->query, uri + plen + 1, strlen(uri + plen + 1)) != 0) {
		r->bad_uri = 1;
		r->query[0] = '\0';
	}
	return r;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}

/* What the query names: a block (ref) or content (cap). */
static enum kind classify(const char *q, uint8_t ref[ERIS_REF_SIZE], eris_cap *cap)
{
	static const char blk[] = "urn:blake2b:", eris[] = "urn:eris:";
	eris_error err = {0};

	if (strncmp(q, blk, sizeof blk - 1) == 0) {
		q += sizeof blk - 1;
		return strlen(q) == ERIS_REF_B32_LEN && eris_ref_from_b32(ref, q, ERIS_REF_B32_LEN) == 0
			       ? BLOCK
			       : BAD;
	}
	if (strncmp(q, eris, sizeof eris - 1) == 0)
		return eris_cap_from_urn(cap, q, &err) == 0 ? CONTENT : BAD;
	return BAD;
}

/* An idle store handle, locked (or, when all are busy, one to wait for). */
static struct handle *grab(struct server *sv)
{
	unsigned start = atomic_fetch_add(&sv->next, 1);
	struct handle *hd;

	for (int i = 0; i < sv->nh; i++) {
		hd = &sv->h[(start + (unsigned)i) % (unsigned)sv->nh];
		if (pthread_mutex_trylock(&hd->lock) == 0)
			return hd;
	}
	hd = &sv->h[start % (unsigned)sv->nh];
	pthread_mutex_lock(&hd->lock);
	return hd;
}

static enum MHD_Result serve_block(struct server *sv, struct MHD_Connection *c,
				   const char *method, const struct req *r, const uint8_t *ref)
{
	/* read on the stack and copied into a response of the block's size */
	uint8_t buf[ERIS_BLOCK_MAX];
	eris_error err = {0};
	struct MHD_Response *resp;
	struct handle *hd;
	size_t len = 0;
	int rc;

	hd = grab(sv);
	rc = store_get(hd->s, ref, buf, sizeof buf, &len, &err);
	pthread_mutex_unlock(&hd->lock);
	if (rc != 0) {
		if (rc == ERIS_E_MISSING)
			return reply(sv, c, method, r, 404, NULL, NULL, "no such block\n");
		log_line(sv, method, r, 500, "%s", err.msg[0] ? err.msg : eris_strerror(rc));
		return respond(c, 500, NULL, NULL, "the block cannot be read\n");
	}
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	/* content-addressed: a block never changes */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"public, max-age=31536000, immutable");
	return queue(c, MHD_HTTP_OK, resp);
}

/* ---- decoded content ------------------------------------------------------- */

/* The store as a block source for eris_reader, under the lock. A zero-copy
 * answer is copied into buf while the lock is held. */
static int locked_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		      const uint8_t **block, size_t *len, eris_error *err)
{
	struct server *sv = ctx;
	int rc;

	struct handle *hd = grab(sv);
	rc = store_eris_get(hd->s, ref, buf, size, block, len, err);
	if (rc == 0 && *block != buf) {
		if (*len > size) {
			rc = ERIS_E_SIZE;
		} else {
			memcpy(buf, *block, *len);
			*block = buf;
		}
	}
	pthread_mutex_unlock(&hd->lock);
	return rc;
}

struct content {
	struct server *sv;
	eris_reader *rd;
	uint64_t off, len;
	char what[QUERY_MAX_LEN];
};

static ssize_t content_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct content *ct = cls;
	eris_error err = {0};
	uint64_t left = ct->len - pos;
	size_t want = max < left ? max : (size_t)left, got = 0;

	if (pos >= ct->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (eris_reader_pread(ct->rd, buf, want, ct->off + pos, &got, &err) != 0 || got == 0) {
		fprintf(stderr, "%s %s: GET /uri-res/N2R?%s: at byte %llu: %s\n", cli_prog,
			ct->sv->cmd->name, ct->what, (unsigned long long)(ct->off + pos),
			err.msg[0] ? err.msg : "short read");
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return (ssize_t)got;
}

static void content_free(void *cls)
{
	struct content *ct = cls;

	eris_reader_free(ct->rd);
	free(ct);
}

/* Parses a Range header against `size`: 0 = serve everything (no header, or
 * one we ignore as RFC 9110 allows: several ranges, bad syntax), 1 = the
 * range [*off, *off + *len), -1 = not satisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	uint64_t a = 0, b = 0;
	const char *p, *dash;
	char num[24];

	if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return 0;
	p = h + 6;
	dash = strchr(p, '-');
	if (!dash || (size_t)(dash - p) >= sizeof num)
		return 0;
	memcpy(num, p, (size_t)(dash - p));
	num[dash - p] = '\0';
	if (num[0] == '\0') { /* -n: the last n bytes */
		if (cli_parse_u64(dash + 1, &b) != 0)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*len = b < size ? b : size;
		*off = size - *len;
		return 1;
	}
	if (cli_parse_u64(num, &a) != 0)
		return 0;
	if (dash[1] == '\0')
		b = UINT64_MAX;
	else if (cli_parse_u64(dash + 1, &b) != 0 || b < a)
		return 0;
	if (a >= size)
		return -1;
	if (b > size - 1)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

static enum MHD_Result serve_content(struct server *sv, struct MHD_Connection *c,
				     const char *method, const struct req *r, const eris_cap *cap)
{
	struct content *ct = calloc(1, sizeof *ct);
	struct MHD_Response *resp;
	eris_error err = {0};
	char cr[96];
	uint64_t size;
	int rc, ranged;

	if (!ct)
		return reply(sv, c, method, r, 500, NULL, NULL, "out of memory\n");
	ct->sv = sv;
	snprintf(ct->what, sizeof ct->what, "%s", r->query);
	rc = eris_reader_open(&ct->rd, cap, locked_get, sv, &err);
	if (rc != 0) {
		content_free(ct);
		if (rc == ERIS_E_MISSING)
			return reply(sv, c, method, r, 404, NULL, NULL, "content not in this store\n");
		log_line(sv, method, r, 500, "%s", err.msg);
		return respond(c, 500, NULL, NULL, "the content cannot be read\n");
	}
	size = eris_reader_size(ct->rd);
	ranged = parse_range(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE),
			     size, &ct->off, &ct->len);
	if (ranged < 0) {
		content_free(ct);
		snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
		return reply(sv, c, method, r, MHD_HTTP_RANGE_NOT_SATISFIABLE,
			     MHD_HTTP_HEADER_CONTENT_RANGE, cr, "range not satisfiable\n");
	}
	if (ranged == 0) {
		ct->off = 0;
		ct->len = size;
	}
	if (ct->len == 0) {
		content_free(ct);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_callback(ct->len, CONTENT_CHUNK, content_read, ct,
							 content_free);
		if (!resp)
			content_free(ct);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"public, max-age=31536000, immutable");
	if (ranged > 0) {
		snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)ct->off,
			 (unsigned long long)(ct->off + ct->len - 1), (unsigned long long)size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	return queue(c, ranged > 0 ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, resp);
}

/* ---- PUT ------------------------------------------------------------------ */

/* 1 when the request bears the server's token. */
static int token_ok(const struct server *sv, const char *presented)
{
	uint8_t h[crypto_generichash_BYTES];
	int ok;

	crypto_generichash(h, sizeof h, (const unsigned char *)presented, strlen(presented), NULL,
			   0);
	ok = sodium_memcmp(h, sv->token_hash, sizeof h) == 0;
	sodium_memzero(h, sizeof h);
	return ok;
}

/* The headers of a PUT have arrived: decide whether to take its body. */
static enum MHD_Result put_start(struct server *sv, struct MHD_Connection *c, struct req *r,
				 enum kind k, const uint8_t *ref)
{
	const char *auth, *clen;
	uint64_t n = 0;

	if (k == CONTENT)
		return reply(sv, c, "PUT", r, MHD_HTTP_METHOD_NOT_ALLOWED, MHD_HTTP_HEADER_ALLOW,
			     "GET, HEAD", "content is put block by block\n");
	if (k == BAD)
		return reply(sv, c, "PUT", r, MHD_HTTP_BAD_REQUEST, NULL, NULL,
			     "not a block reference (want ?urn:blake2b:REF)\n");
	if (sv->read_only)
		return reply(sv, c, "PUT", r, MHD_HTTP_METHOD_NOT_ALLOWED, MHD_HTTP_HEADER_ALLOW,
			     "GET, HEAD", "this server is read-only\n");
	if (!sv->has_token)
		return reply(sv, c, "PUT", r, MHD_HTTP_FORBIDDEN, NULL, NULL,
			     "this server takes no writes (it has no --token-file)\n");
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, "Bearer ", 7) != 0)
		return reply(sv, c, "PUT", r, MHD_HTTP_UNAUTHORIZED, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			     "Bearer realm=\"eris\"", "a token is needed to put blocks\n");
	if (!token_ok(sv, auth + 7))
		return reply(sv, c, "PUT", r, MHD_HTTP_FORBIDDEN, NULL, NULL, "wrong token\n");
	clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen && (cli_parse_u64(clen, &n) != 0 || n > ERIS_BLOCK_MAX))
		return reply(sv, c, "PUT", r, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL,
			     "a block is at most 32768 bytes\n");
	r->body = malloc(ERIS_BLOCK_MAX);
	if (!r->body)
		return reply(sv, c, "PUT", r, 500, NULL, NULL, "out of memory\n");
	memcpy(r->ref, ref, ERIS_REF_SIZE);
	r->put_open = 1;
	return MHD_YES;
}

static enum MHD_Result put_body(struct server *sv, struct MHD_Connection *c, struct req *r,
				const char *data, size_t *size)
{
	uint8_t h[ERIS_REF_SIZE];
	eris_error err = {0};
	char msg[96];
	int rc;

	if (*size > 0) {
		if (*size > ERIS_BLOCK_MAX - r->body_len)
			r->body_too_big = 1;
		else
			memcpy(r->body + r->body_len, data, *size);
		if (!r->body_too_big)
			r->body_len += *size;
		*size = 0;
		return MHD_YES;
	}
	r->put_open = 0;
	if (r->body_too_big)
		return reply(sv, c, "PUT", r, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL,
			     "a block is at most 32768 bytes\n");
	if (r->body_len != ERIS_BLOCK_1K && r->body_len != ERIS_BLOCK_32K) {
		snprintf(msg, sizeof msg, "a block is 1024 or 32768 bytes, this one %zu\n",
			 r->body_len);
		return reply(sv, c, "PUT", r, MHD_HTTP_BAD_REQUEST, NULL, NULL, msg);
	}
	crypto_generichash(h, sizeof h, r->body, r->body_len, NULL, 0);
	if (memcmp(h, r->ref, ERIS_REF_SIZE) != 0) /* references are public */
		return reply(sv, c, "PUT", r, MHD_HTTP_BAD_REQUEST, NULL, NULL,
			     "the body does not hash to the reference\n");
	struct handle *hd = grab(sv);
	rc = store_put(hd->s, r->ref, r->body, r->body_len, &err);
	if (rc == 0)
		rc = store_flush(hd->s, &err);
	pthread_mutex_unlock(&hd->lock);
	if (rc != 0) {
		log_line(sv, "PUT", r, 500, "%s", err.msg[0] ? err.msg : eris_strerror(rc));
		return respond(c, 500, NULL, NULL, "the block cannot be stored\n");
	}
	return reply(sv, c, "PUT", r, MHD_HTTP_CREATED, NULL, NULL, "stored\n");
}

/* ---- dispatch -------------------------------------------------------------- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct server *sv = cls;
	struct req *r = *con_cls;
	uint8_t ref[ERIS_REF_SIZE];
	eris_cap cap;
	enum kind k;
	int get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
	int put = strcmp(method, "PUT") == 0;

	(void)url;
	(void)version;
	if (!r)
		return reply(sv, c, method, NULL, 500, NULL, NULL, "out of memory\n");
	if (r->put_open)
		return put_body(sv, c, r, upload_data, upload_data_size);
	/* Answers queued from the first call (headers only) make libmicrohttpd
	 * close the connection, as the body might not have been read; so a GET
	 * is answered from the second call. A PUT decides on the first. */
	if (!r->headers_seen && !put) {
		r->headers_seen = 1;
		return MHD_YES;
	}
	if (r->bad_uri)
		return reply(sv, c, method, r, MHD_HTTP_BAD_REQUEST, NULL, NULL,
			     "malformed or overlong uri\n");
	if (strcmp(r->path, "/uri-res/N2R") != 0)
		return reply(sv, c, method, r, MHD_HTTP_NOT_FOUND, NULL, NULL,
			     "not found (blocks are at /uri-res/N2R?urn:blake2b:REF)\n");
	k = classify(r->query, ref, &cap);
	if (put)
		return put_start(sv, c, r, k, ref);
	if (!get && !head)
		return reply(sv, c, method, r, MHD_HTTP_METHOD_NOT_ALLOWED, MHD_HTTP_HEADER_ALLOW,
			     "GET, HEAD, PUT", "method not allowed\n");
	if (k == BAD)
		return reply(sv, c, method, r, MHD_HTTP_BAD_REQUEST, NULL, NULL,
			     "not a reference (want ?urn:blake2b:REF or ?urn:eris:CAP)\n");
	if (k == BLOCK)
		return serve_block(sv, c, method, r, ref);
	return serve_content(sv, c, method, r, &cap);
}

/* ---- setup ----------------------------------------------------------------- */

/* Reads the token file's first line and keeps its hash. */
static int read_token(struct server *sv, const char *path)
{
	char buf[TOKEN_FILE_MAX + 1];
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), status = EXIT_OK;

	if (fd < 0)
		return cli_fail(sv->cmd, EXIT_SYSTEM, "token file \"%s\": %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf + len, TOKEN_FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = cli_fail(sv->cmd, EXIT_SYSTEM, "token file \"%s\": %s", path,
					  strerror(errno));
			goto out;
		}
		if (n == 0 || (len += (size_t)n) == TOKEN_FILE_MAX)
			break;
	}
	buf[len] = '\0';
	len = strcspn(buf, "\r\n");
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0) {
		status = cli_fail(sv->cmd, EXIT_USAGE, "token file \"%s\" has an empty first line",
				  path);
		goto out;
	}
	crypto_generichash(sv->token_hash, sizeof sv->token_hash, (const unsigned char *)buf, len,
			   NULL, 0);
	sv->has_token = 1;
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return status;
}

/* Parses ADDR:PORT ("127.0.0.1:8080", "[::1]:0", "localhost:8080"). */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	uint64_t port;

	if (s[0] == '[') {
		const char *close_br = strchr(s, ']');
		if (!close_br || close_br[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(close_br - h);
		colon = close_br + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof host || cli_parse_u64(colon + 1, &port) != 0 || port > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof *ss);
	if (strcmp(host, "localhost") == 0)
		memcpy(host, "127.0.0.1", sizeof "127.0.0.1");
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (s[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*sl = sizeof *v4;
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*sl = sizeof *v6;
		return 0;
	}
	return -1;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
	if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && v6->sin6_addr.s6_addr[12] == 127;
}

/* "127.0.0.1:PORT" or "[::1]:PORT" of a bound socket. */
static void format_addr(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
		snprintf(out, size, "%s:%u", ip, ntohs(v4->sin_port));
	} else {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
		snprintf(out, size, "[%s]:%u", ip, ntohs(v6->sin6_port));
	}
}

static int open_listener(const struct cli_cmd *cmd, const char *spec, int public, char *name,
			 size_t name_size, int *fd_out)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int fd, one = 1;

	if (parse_listen(spec, &ss, &sl) != 0)
		return cli_fail(cmd, EXIT_USAGE,
				"listen address \"%s\" is not IPv4:PORT, [IPv6]:PORT or localhost:PORT",
				spec);
	if (!is_loopback(&ss) && !public)
		return cli_fail(cmd, EXIT_USAGE,
				"refusing to listen on \"%s\": not a loopback address (add --public "
				"to serve other machines)",
				spec);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		int e = errno;
		close(fd);
		return cli_fail(cmd, EXIT_SYSTEM, "cannot listen on \"%s\": %s", spec, strerror(e));
	}
	sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		int e = errno;
		close(fd);
		return cli_fail(cmd, EXIT_SYSTEM, "getsockname: %s", strerror(e));
	}
	format_addr(&ss, name, name_size);
	*fd_out = fd;
	return EXIT_OK;
}

/* 1 for a directory store ("PATH" or "dir:PATH"), or a pack opened only to
 * read: handles of one such store may be used side by side. */
static int handles_side_by_side(const char *spec, int writable)
{
	size_t i = 0;

	if (strchr(spec, '+'))
		return 0;
	if (strncmp(spec, "dir:", 4) == 0)
		return 1;
	if (strncmp(spec, "pack:", 5) == 0)
		return !writable;
	while ((spec[i] >= 'a' && spec[i] <= 'z') || (spec[i] >= '0' && spec[i] <= '9'))
		i++;
	return !(i > 0 && spec[i] == ':'); /* "word:" is another store type */
}

/* Opens the store: once per thread where handles_side_by_side, else once. */
static int open_handles(struct server *sv, const char *spec, int threads)
{
	int n = handles_side_by_side(spec, sv->has_token) ? threads : 1;
	eris_error err = {0};

	if (n > MAX_HANDLES)
		n = MAX_HANDLES;
	for (int i = 0; i < n; i++) {
		if (store_open(&sv->h[i].s, spec, sv->has_token ? STORE_WRITE : STORE_READ, &err) !=
		    0)
			return cli_fail(sv->cmd, EXIT_SYSTEM, "%s", err.msg);
		if (pthread_mutex_init(&sv->h[i].lock, NULL) != 0) {
			store_close(sv->h[i].s);
			return cli_fail(sv->cmd, EXIT_SYSTEM, "cannot create a lock");
		}
		sv->nh = i + 1;
	}
	return EXIT_OK;
}

static int run_serve(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct server sv;
	struct MHD_Daemon *d = NULL;
	const char *spec, *listen_spec, *token_file, *threads_arg;
	char name[INET6_ADDRSTRLEN + 16];
	sigset_t sigs;
	eris_error err = {0};
	int status, lfd = -1, threads = 1, sig = 0, accepting = 0;
	struct acceptor ac;
	unsigned flags;

	memset(&sv, 0, sizeof sv);
	memset(&ac, 0, sizeof ac);
	sv.cmd = cmd;
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	spec = cli_get(cmd, &a, "store");
	listen_spec = cli_get(cmd, &a, "listen");
	token_file = cli_get(cmd, &a, "token-file");
	threads_arg = cli_get(cmd, &a, "threads");
	sv.read_only = cli_get(cmd, &a, "read-only") != NULL;
	if (!spec)
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (a.argc != 0)
		return cli_fail(cmd, EXIT_USAGE, "unexpected argument \"%s\"", a.argv[0]);
	if (!listen_spec)
		listen_spec = "127.0.0.1:8080";
	if (sodium_init() < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "libsodium failed to initialise");
	status = eris_cli_threads(cmd, threads_arg, &threads);
	if (status == EXIT_OK && token_file && !sv.read_only)
		status = read_token(&sv, token_file);
	if (status != EXIT_OK)
		goto out;
	status = open_listener(cmd, listen_spec, cli_get(cmd, &a, "public") != NULL, name,
			       sizeof name, &lfd);
	if (status != EXIT_OK)
		goto out;
	status = open_handles(&sv, spec, threads);
	if (status != EXIT_OK)
		goto out;

	/* The daemon's threads inherit a mask blocking the stop signals, which
	 * this thread then waits for. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC |
		MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;
	if (name[0] == '[')
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, &sv,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &sv,
			     MHD_OPTION_URI_LOG_CALLBACK, uri_arrived, &sv,
			     MHD_OPTION_NOTIFY_COMPLETED, request_done, &sv,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
			     MHD_OPTION_END);
	if (!d) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot start the http server on %s", name);
		goto out;
	}
	ac.d = d;
	ac.lfd = lfd;
	if (pthread_create(&ac.tid, NULL, accept_loop, &ac) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot start the acceptor thread");
		goto out;
	}
	accepting = 1;
	printf("listening on %s\n", name);
	if (fflush(stdout) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot write to standard output");
		goto out;
	}
	while (sigwait(&sigs, &sig) != 0)
		;
	status = EXIT_OK;
out:
	if (accepting) {
		atomic_store(&ac.stop, 1);
		shutdown(lfd, SHUT_RDWR); /* wakes accept4 (EINVAL) */
		pthread_join(ac.tid, NULL);
	}
	if (d)
		MHD_stop_daemon(d);
	if (lfd >= 0)
		close(lfd);
	for (int i = 0; i < sv.nh; i++) {
		if (store_flush(sv.h[i].s, &err) != 0 && status == EXIT_OK)
			status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
		store_close(sv.h[i].s);
		pthread_mutex_destroy(&sv.h[i].lock);
	}
	sodium_memzero(sv.token_hash, sizeof sv.token_hash);
	return status;
}

const struct cli_cmd eris_cmd_serve = {
	"serve", "-s STORE [--listen ADDR:PORT] [--read-only] [--token-file FILE] [--public]",
	"Serve a block store over HTTP: blocks, decoded content, and (with a token) puts.",
	"GET /uri-res/N2R?urn:blake2b:REF returns a block, GET /uri-res/N2R?urn:eris:CAP the\n"
	"decoded content (with Range support); PUT of blocks needs --token-file and\n"
	"\"Authorization: Bearer TOKEN\". Prints \"listening on ADDR:PORT\" when ready and\n"
	"runs until SIGINT or SIGTERM. Only loopback addresses unless --public is given.\n"
	"Clients: -s http://ADDR:PORT (the token from $SIGIL_STORE_TOKEN_FILE or\n"
	"$SIGIL_STORE_TOKEN for puts).",
	serve_opts, run_serve};
