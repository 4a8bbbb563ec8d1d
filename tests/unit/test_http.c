/*
 * test_http.c — eris_fetch_tree (the parallel tree walk) and the http store.
 *
 * Part one drives eris_fetch_tree from a mem: store through an unverified
 * batch source that can damage, drop or skip blocks on request: it must visit
 * exactly the blocks eris_walk visits, never ask for more than a batch of
 * distinct references at once, and fail as the decoder fails (same code,
 * naming the block) on every kind of damage.
 *
 * Part two starts `eris serve -s mem:` from $SIGIL_BUILD/bin on 127.0.0.1
 * port 0 with a token file and uses it through the http store: get, has,
 * put (with and without the token), get_many, has_many, a whole tree put
 * through the encoder and fetched back through a mem:+http:// chain, and the
 * errors once the server is gone. Skipped when SIGIL_BUILD is not set.
 *
 * The client's connection handling is watched through a counting TCP proxy
 * in a thread (127.0.0.1 only) between the store and the server: it counts
 * the connections it accepts, and the requests in flight at once (a request
 * forwarded whose answer has not started yet). A hundred single gets must
 * share one connection, a batch use at most HTTP_PARALLEL (16) with several
 * requests in flight together, the next batch reuse them, and a whole tree
 * fetched through a chain keep several requests in flight too.
 */
#include "tap.h"

#include "eris/fetch.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

/* ---- part one: eris_fetch_tree over a controllable source ---------------- */

enum { NO_FAULT, FLIP, DROP, SKIP, SHORT };

struct source {
	store *s;
	int fault;
	uint8_t victim[ERIS_REF_SIZE];
	size_t calls, max_n;
	int repeated; /* a reference asked twice within one batch */
};

static int raw_batch(void *ctx, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, eris_got_fn got,
		     void *got_ctx, eris_error *err)
{
	struct source *src = ctx;
	uint8_t buf[ERIS_BLOCK_MAX];

	src->calls++;
	if (n > src->max_n)
		src->max_n = n;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && j < i + 64; j++)
			if (memcmp(refs[i], refs[j], ERIS_REF_SIZE) == 0)
				src->repeated = 1;
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		int rc = store_get_raw(src->s, refs[i], buf, sizeof buf, &len, err);
		int victim = src->fault != NO_FAULT && memcmp(refs[i], src->victim, ERIS_REF_SIZE) == 0;
		if (rc != 0 && rc != ERIS_E_MISSING)
			return rc;
		if (victim && src->fault == SKIP)
			continue;
		if (victim && src->fault == DROP)
			rc = ERIS_E_MISSING;
		if (victim && src->fault == FLIP)
			buf[len / 2] ^= 0x01;
		if (victim && src->fault == SHORT)
			len -= 8;
		if (got(got_ctx, i, rc, rc == 0 ? buf : NULL, rc == 0 ? len : 0) != 0)
			return eris_error_set(err, ERIS_E_IO, "stopped");
	}
	return 0;
}

/* A growing list of references, to compare what two walks visited. */
struct refset {
	uint8_t (*v)[ERIS_REF_SIZE];
	size_t n, cap;
	size_t stop_after; /* 0: never stop */
};

static int collect(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t bs,
		   int level)
{
	struct refset *r = ctx;

	(void)block;
	(void)bs;
	(void)level;
	if (r->stop_after && r->n >= r->stop_after)
		return -1;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = realloc(r->v, r->cap * sizeof *r->v);
		if (!r->v)
			abort();
	}
	memcpy(r->v[r->n++], ref, ERIS_REF_SIZE);
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	return memcmp(a, b, ERIS_REF_SIZE);
}

/* Sorts and removes duplicates. */
static void uniq(struct refset *r)
{
	size_t k = 0;

	if (r->n == 0)
		return;
	qsort(r->v, r->n, sizeof *r->v, cmp_ref);
	for (size_t i = 1; i < r->n; i++)
		if (memcmp(r->v[i], r->v[k], ERIS_REF_SIZE) != 0)
			memcpy(r->v[++k], r->v[i], ERIS_REF_SIZE);
	r->n = k + 1;
}

static int put_mem(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t bs)
{
	return store_eris_put(ctx, ref, block, bs);
}

static int encode_into(store *s, const uint8_t *data, size_t len, uint32_t bs, eris_cap *cap)
{
	eris_error err = {0};

	return eris_encode(data, len, bs, NULL, put_mem, s, cap, &err);
}

/* The fetch visits exactly what eris_walk visits, in batches of distinct refs. */
static void fetch_matches_walk(size_t len, uint32_t bs, int zeros)
{
	uint64_t seed = len * 31 + bs;
	uint8_t *data = malloc(len ? len : 1);
	struct refset a = {0}, b = {0};
	struct source src = {0};
	eris_error err = {0};
	eris_cap cap;
	store *s = NULL;
	int rc;

	if (!data || store_open(&s, "mem:", STORE_CREATE, &err) != 0)
		abort();
	if (zeros)
		memset(data, 0, len);
	else
		tap_fill_random(data, len, &seed);
	if (encode_into(s, data, len, bs, &cap) != 0) {
		tap_ok(0, "encode %zu bytes", len);
		goto out;
	}
	src.s = s;
	rc = eris_fetch_tree(&cap, raw_batch, &src, collect, &a, &err);
	tap_ok(rc == 0, "fetch %zu %s bytes at %u: %s", len, zeros ? "zero" : "random", bs,
	       rc ? err.msg : "verified");
	rc = eris_walk(&cap, store_eris_get, s, collect, &b, NULL, &err);
	uniq(&a);
	uniq(&b);
	tap_ok(rc == 0 && a.n == b.n && (a.n == 0 || memcmp(a.v, b.v, a.n * sizeof *a.v) == 0),
	       "  visits the %zu distinct blocks eris_walk visits (%zu)", a.n, b.n);
	tap_ok(src.max_n <= ERIS_FETCH_BATCH && !src.repeated,
	       "  in %zu batches of at most %zu distinct references", src.calls, src.max_n);
out:
	free(a.v);
	free(b.v);
	free(data);
	store_close(s);
}

/* Picks the k-th block eris_walk meets at `level`. */
struct pick {
	int level;
	size_t k, seen;
	uint8_t ref[ERIS_REF_SIZE];
	int found;
};

static int visit_pick(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block,
		      size_t bs, int level)
{
	struct pick *p = ctx;

	(void)block;
	(void)bs;
	if (level == p->level && p->seen++ == p->k) {
		memcpy(p->ref, ref, ERIS_REF_SIZE);
		p->found = 1;
	}
	return 0;
}

static int pick(store *s, const eris_cap *cap, int level, size_t k, uint8_t out[ERIS_REF_SIZE])
{
	struct pick p = {level, k, 0, {0}, 0};
	eris_error err = {0};

	if (eris_walk(cap, store_eris_get, s, visit_pick, &p, NULL, &err) != 0 || !p.found)
		return -1;
	memcpy(out, p.ref, ERIS_REF_SIZE);
	return 0;
}

/* Damage of every kind fails the fetch as it fails the decoder. */
static void fetch_faults(void)
{
	size_t len = 300000;
	uint8_t *data = malloc(len);
	uint64_t seed = 5;
	struct source src = {0};
	struct refset got = {0};
	eris_error err = {0}, derr = {0};
	eris_cap cap, bad;
	store *s = NULL;
	char name[ERIS_REF_B32_LEN + 1];
	int rc;

	if (!data || store_open(&s, "mem:", STORE_CREATE, &err) != 0)
		abort();
	tap_fill_random(data, len, &seed);
	if (encode_into(s, data, len, ERIS_BLOCK_1K, &cap) != 0 || cap.level < 2) {
		tap_ok(0, "a 1 KiB tree of three levels or more");
		goto out;
	}
	src.s = s;
	struct {
		const char *what;
		int fault, level;
		size_t k;
		int code;
	} cases[] = {
		{"a flipped leaf", FLIP, 0, 100, ERIS_E_HASH},
		{"a flipped internal node", FLIP, 1, 3, ERIS_E_HASH},
		{"a flipped root", FLIP, cap.level, 0, ERIS_E_HASH},
		{"a missing leaf", DROP, 0, 7, ERIS_E_MISSING},
		{"a missing internal node", DROP, 1, 0, ERIS_E_MISSING},
		{"a short leaf", SHORT, 0, 20, ERIS_E_SIZE},
		{"a leaf the source skips", SKIP, 0, 40, ERIS_E_IO},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (pick(s, &cap, cases[i].level, cases[i].k, src.victim) != 0) {
			tap_ok(0, "%s: found a victim", cases[i].what);
			continue;
		}
		src.fault = cases[i].fault;
		memset(&err, 0, sizeof err);
		rc = eris_fetch_tree(&cap, raw_batch, &src, NULL, NULL, &err);
		eris_ref_to_b32(src.victim, name);
		tap_ok(rc == cases[i].code && err.has_ref &&
			       memcmp(err.ref, src.victim, ERIS_REF_SIZE) == 0 && strstr(err.msg, name),
		       "%s fails the fetch (%s) naming it: %s", cases[i].what,
		       eris_strerror(cases[i].code), err.msg);
	}
	src.fault = NO_FAULT;

	/* a wrong key or level in the capability: caught at the root */
	bad = cap;
	bad.key[0] ^= 1;
	rc = eris_fetch_tree(&bad, raw_batch, &src, NULL, NULL, &err);
	int drc = eris_verify(&bad, store_eris_get, s, NULL, &derr);
	tap_ok(rc == ERIS_E_KEY && drc == rc, "a wrong root key: %s", err.msg);
	bad = cap;
	bad.level++;
	rc = eris_fetch_tree(&bad, raw_batch, &src, NULL, NULL, &err);
	drc = eris_verify(&bad, store_eris_get, s, NULL, &derr);
	tap_ok(rc == ERIS_E_KEY && drc == rc, "a wrong level: %s", err.msg);
	bad = cap;
	bad.block_size = 4096;
	tap_ok(eris_fetch_tree(&bad, raw_batch, &src, NULL, NULL, &err) == ERIS_E_CAP,
	       "a capability with a bad block size: %s", err.msg);

	/* a one-leaf tree under a wrong key: only the padding can tell */
	eris_cap small;
	if (encode_into(s, data, 500, ERIS_BLOCK_1K, &small) == 0) {
		small.key[5] ^= 0x40;
		rc = eris_fetch_tree(&small, raw_batch, &src, NULL, NULL, &err);
		drc = eris_verify(&small, store_eris_get, s, NULL, &derr);
		tap_ok(rc == ERIS_E_PADDING && drc == rc, "a leaf root under a wrong key: %s",
		       err.msg);
	}

	/* a visitor that stops */
	got.stop_after = 10;
	rc = eris_fetch_tree(&cap, raw_batch, &src, collect, &got, &err);
	tap_ok(rc == ERIS_E_IO && got.n == 10, "a visitor returning non-zero stops the fetch: %s",
	       err.msg);
out:
	free(got.v);
	free(data);
	store_close(s);
}

/* ---- part two: the http store against eris serve ------------------------- */

struct server {
	pid_t pid;
	char url[300];
};

static int start_server(struct server *sv, const char *eris, const char *token_file)
{
	int p[2];
	char line[256];
	size_t got = 0;

	if (pipe(p) != 0)
		return -1;
	sv->pid = fork();
	if (sv->pid < 0)
		return -1;
	if (sv->pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execl(eris, "eris", "serve", "-s", "mem:", "--listen", "127.0.0.1:0", "--token-file",
		      token_file, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (got < sizeof line - 1 && !memchr(line, '\n', got)) {
		struct pollfd pfd = {p[0], POLLIN, 0};
		if (poll(&pfd, 1, 20000) <= 0)
			break;
		ssize_t n = read(p[0], line + got, sizeof line - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "listening on ", 13) != 0)
		return -1;
	snprintf(sv->url, sizeof sv->url, "http://%s/", line + 13); /* a trailing '/' is fine */
	return 0;
}

static int stop_server(struct server *sv)
{
	int st = 0;

	if (sv->pid <= 0)
		return -1;
	kill(sv->pid, SIGTERM);
	if (waitpid(sv->pid, &st, 0) != sv->pid)
		return -1;
	sv->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct batch_seen {
	const uint8_t (*blocks)[1024];
	size_t n, ok, missing, other, wrong;
};

static int batch_got(void *ctx, size_t i, int rc, const uint8_t *block, size_t len)
{
	struct batch_seen *b = ctx;

	if (rc == ERIS_E_MISSING)
		b->missing++;
	else if (rc != 0)
		b->other++;
	else if (i < b->n && len == 1024 && memcmp(block, b->blocks[i], 1024) == 0)
		b->ok++;
	else
		b->wrong++;
	return 0;
}

static int store_batch(void *ctx, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, eris_got_fn got,
		       void *got_ctx, eris_error *err)
{
	return store_get_many(ctx, refs, n, got, got_ctx, err);
}

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static int to_mem(void *ctx, const uint8_t *data, size_t len)
{
	struct membuf *m = ctx;

	if (m->len + len > m->cap)
		return -1;
	memcpy(m->p + m->len, data, len);
	m->len += len;
	return 0;
}

/* ---- the counting proxy ------------------------------------------------- */

struct proxy {
	int lfd;
	struct sockaddr_in up;
	pthread_t acceptor;
	pthread_mutex_t mu;
	int accepted, inflight, max_inflight;
	char url[64];
};

struct conn {
	struct proxy *px;
	int cfd, ufd;
};

/* Moves bytes both ways until either side closes; counts requests in flight. */
static void *proxy_conn(void *arg)
{
	struct conn *c = arg;
	struct proxy *px = c->px;
	char buf[65536];
	int busy = 0;

	for (;;) {
		struct pollfd p[2] = {{c->cfd, POLLIN, 0}, {c->ufd, POLLIN, 0}};
		if (poll(p, 2, 30000) <= 0)
			break;
		int from = (p[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 0 : 1;
		int in = from ? c->ufd : c->cfd, out = from ? c->cfd : c->ufd;
		ssize_t n = read(in, buf, sizeof buf);
		if (n <= 0)
			break;
		pthread_mutex_lock(&px->mu);
		if (from == 0 && !busy) { /* a request goes up */
			busy = 1;
			if (++px->inflight > px->max_inflight)
				px->max_inflight = px->inflight;
		} else if (from == 1 && busy) { /* its answer comes back */
			busy = 0;
			px->inflight--;
		}
		pthread_mutex_unlock(&px->mu);
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w <= 0)
				goto out;
			done += w;
		}
	}
out:
	if (busy) {
		pthread_mutex_lock(&px->mu);
		px->inflight--;
		pthread_mutex_unlock(&px->mu);
	}
	close(c->cfd);
	close(c->ufd);
	free(c);
	return NULL;
}

static void *proxy_accept(void *arg)
{
	struct proxy *px = arg;

	for (;;) {
		int cfd = accept(px->lfd, NULL, NULL);
		if (cfd < 0)
			break; /* shut down */
		int ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct conn *c = malloc(sizeof *c);
		pthread_t t;
		if (ufd < 0 || !c || connect(ufd, (struct sockaddr *)&px->up, sizeof px->up) != 0) {
			close(cfd);
			if (ufd >= 0)
				close(ufd);
			free(c);
			continue;
		}
		*c = (struct conn){px, cfd, ufd};
		pthread_mutex_lock(&px->mu);
		px->accepted++;
		pthread_mutex_unlock(&px->mu);
		if (pthread_create(&t, NULL, proxy_conn, c) != 0) {
			close(cfd);
			close(ufd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

/* Listens on 127.0.0.1 (any free port) in front of the server at `url`. */
static int proxy_start(struct proxy *px, const char *url)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof a;
	int port = 0;

	if (sscanf(url, "http://127.0.0.1:%d", &port) != 1)
		return -1;
	px->up.sin_family = AF_INET;
	px->up.sin_port = htons((uint16_t)port);
	px->up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&px->mu, NULL);
	px->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (px->lfd < 0 || bind(px->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(px->lfd, 64) != 0 || getsockname(px->lfd, (struct sockaddr *)&a, &alen) != 0)
		return -1;
	snprintf(px->url, sizeof px->url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
	return pthread_create(&px->acceptor, NULL, proxy_accept, px) == 0 ? 0 : -1;
}

static void proxy_stop(struct proxy *px)
{
	shutdown(px->lfd, SHUT_RDWR);
	pthread_join(px->acceptor, NULL);
	close(px->lfd);
}

/* Snapshot of the counters; resets the in-flight maximum. */
static void proxy_take(struct proxy *px, int *accepted, int *max_inflight)
{
	pthread_mutex_lock(&px->mu);
	*accepted = px->accepted;
	*max_inflight = px->max_inflight;
	px->max_inflight = px->inflight;
	pthread_mutex_unlock(&px->mu);
}

/* Keep-alive and parallel transfers, seen from the proxy. The server holds
 * the nb blocks of refs and the tree of cap. */
static void keepalive(const char *url, const uint8_t (*refs)[ERIS_REF_SIZE], size_t nb,
		      const eris_cap *cap)
{
	static struct proxy px; /* its connection threads may outlive this call */
	struct batch_seen bs = {NULL, 0, 0, 0, 0, 0};
	eris_error err = {0};
	store *s = NULL, *c = NULL;
	uint8_t buf[ERIS_BLOCK_MAX];
	size_t len, good = 0;
	int a0, a1, a2, a3, a4, m;
	char spec[100];

	if (!tap_ok(proxy_start(&px, url) == 0, "a counting proxy on %s", px.url))
		return;
	if (!tap_ok(store_open(&s, px.url, STORE_READ, &err) == 0, "opens the store through it"))
		goto out;
	proxy_take(&px, &a0, &m);
	for (size_t i = 0; i < nb; i++)
		good += store_get(s, refs[i], buf, sizeof buf, &len, &err) == 0;
	proxy_take(&px, &a1, &m);
	tap_ok(good == nb && a1 - a0 == 1, "%zu single gets over one store handle: %d connection(s)",
	       nb, a1 - a0);
	int rc = store_get_many(s, refs, nb, batch_got, &bs, &err);
	proxy_take(&px, &a2, &m);
	tap_ok(rc == 0 && bs.other == 0 && bs.missing == 0 && a2 - a1 <= 16 && m >= 2,
	       "a batch of %zu: %d new connection(s) (at most 16), %d requests in flight at once",
	       nb, a2 - a1, m);
	rc = store_get_many(s, refs, nb, batch_got, &bs, &err);
	proxy_take(&px, &a3, &m);
	tap_ok(rc == 0 && a3 - a2 <= 1, "the next batch reuses them: %d new connection(s)",
	       a3 - a2);
	snprintf(spec, sizeof spec, "mem:+%s", px.url);
	if (tap_ok(store_open(&c, spec, STORE_READ, &err) == 0, "opens %s", spec)) {
		rc = eris_fetch_tree(cap, store_batch, c, NULL, NULL, &err);
		proxy_take(&px, &a4, &m);
		tap_ok(rc == 0 && a4 - a3 <= 16 && m >= 2,
		       "a tree fetched through the chain: %d connection(s), %d requests in flight "
		       "at once: %s",
		       a4 - a3, m, rc ? err.msg : "ok");
	}
out:
	store_close(s);
	store_close(c);
	proxy_stop(&px);
}

static void http_store(const char *dir)
{
	const char *build = getenv("SIGIL_BUILD");
	char eris[512], token[600], spec[400];
	struct server sv = {0};
	eris_error err = {0};
	store *s = NULL, *c = NULL;
	uint64_t seed = 77;
	enum { NB = 100 };
	static uint8_t blocks[NB][1024], refs[NB + 1][ERIS_REF_SIZE], big[32768], bigref[32];
	uint8_t buf[32768], present[3];
	size_t len = 0;
	int fd;

	if (!build) {
		tap_skip("SIGIL_BUILD is not set", "http store against eris serve");
		return;
	}
	snprintf(eris, sizeof eris, "%s/bin/eris", build);
	snprintf(token, sizeof token, "%s/token", dir);
	fd = open(token, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "s3cret-token\n", 13) != 13) {
		tap_ok(0, "token file");
		return;
	}
	close(fd);
	if (!tap_ok(start_server(&sv, eris, token) == 0, "eris serve -s mem: started: %s", sv.url))
		goto out;

	for (int i = 0; i < NB; i++) {
		tap_fill_random(blocks[i], 1024, &seed);
		crypto_generichash(refs[i], 32, blocks[i], 1024, NULL, 0);
	}
	tap_fill_random(refs[NB], 32, &seed); /* never stored */
	tap_fill_random(big, sizeof big, &seed);
	crypto_generichash(bigref, 32, big, sizeof big, NULL, 0);

	/* without a token: reads work, puts are refused with a hint */
	unsetenv("SIGIL_STORE_TOKEN_FILE");
	unsetenv("SIGIL_STORE_TOKEN");
	tap_ok(store_open(&s, sv.url, STORE_WRITE, &err) == 0, "opens %s for writing", sv.url);
	tap_ok(store_has(s, refs[0], &err) == 0, "has: an absent block is absent");
	tap_ok(store_get(s, refs[0], buf, sizeof buf, &len, &err) == ERIS_E_MISSING,
	       "get: an absent block is missing");
	tap_ok(store_put(s, refs[0], blocks[0], 1024, &err) == ERIS_E_IO && strstr(err.msg, "401") &&
		       strstr(err.msg, "SIGIL_STORE_TOKEN"),
	       "put without a token is refused: %s", err.msg);
	store_close(s);
	setenv("SIGIL_STORE_TOKEN", "wrong", 1);
	tap_ok(store_open(&s, sv.url, STORE_WRITE, &err) == 0 &&
		       store_put(s, refs[0], blocks[0], 1024, &err) == ERIS_E_IO && strstr(err.msg, "403"),
	       "put with a wrong token is refused: %s", err.msg);
	store_close(s);
	unsetenv("SIGIL_STORE_TOKEN");

	/* with the token file */
	setenv("SIGIL_STORE_TOKEN_FILE", token, 1);
	if (!tap_ok(store_open(&s, sv.url, STORE_WRITE, &err) == 0, "opens with the token file"))
		goto out;
	int put_ok = 1;
	for (int i = 0; i < NB && put_ok; i++)
		put_ok = store_put(s, refs[i], blocks[i], 1024, &err) == 0;
	tap_ok(put_ok, "puts %d 1 KiB blocks: %s", NB, put_ok ? "201" : err.msg);
	tap_ok(store_put(s, bigref, big, sizeof big, &err) == 0, "puts a 32 KiB block");
	tap_ok(store_put(s, refs[0], blocks[0], 1024, &err) == 0, "putting a block again is fine");
	tap_ok(store_put(s, refs[1], blocks[0], 1024, &err) == ERIS_E_HASH,
	       "a block that does not match its reference is not sent: %s", err.msg);
	tap_ok(store_has(s, refs[5], &err) == 1, "has: a stored block is there");
	tap_ok(store_get(s, refs[5], buf, sizeof buf, &len, &err) == 0 && len == 1024 &&
		       memcmp(buf, blocks[5], 1024) == 0,
	       "get: a 1 KiB block reads back");
	tap_ok(store_get(s, bigref, buf, sizeof buf, &len, &err) == 0 && len == sizeof big &&
		       memcmp(buf, big, len) == 0,
	       "get: the 32 KiB block reads back");
	tap_ok(store_get(s, bigref, buf, 1024, &len, &err) == ERIS_E_SIZE,
	       "get into a buffer too small is a size error: %s", err.msg);
	tap_ok(store_get(s, refs[6], buf, sizeof buf, &len, &err) == 0,
	       "and the connection is still usable after it");

	/* batches */
	const uint8_t(*q)[ERIS_REF_SIZE] = (const uint8_t(*)[ERIS_REF_SIZE])refs;
	struct batch_seen bs = {(const uint8_t(*)[1024])blocks, NB, 0, 0, 0, 0};
	int rc = store_get_many(s, q, NB + 1, batch_got, &bs, &err);
	tap_ok(rc == 0 && bs.ok == NB && bs.missing == 1 && bs.other == 0 && bs.wrong == 0,
	       "get_many of %d blocks and an absent one: %zu ok, %zu missing", NB + 1, bs.ok,
	       bs.missing);
	uint8_t three[3][ERIS_REF_SIZE];
	memcpy(three[0], refs[3], 32);
	memcpy(three[1], refs[NB], 32);
	memcpy(three[2], bigref, 32);
	tap_ok(store_has_many(s, (const uint8_t(*)[ERIS_REF_SIZE])three, 3, present, &err) == 0 &&
		       present[0] == 1 && present[1] == 0 && present[2] == 1,
	       "has_many: present, absent, present");

	/* a tree through the encoder, fetched back in parallel through a chain */
	size_t clen = 3 * 1000 * 1000 + 17;
	uint8_t *content = malloc(clen);
	struct membuf out = {malloc(clen), 0, clen};
	eris_cap cap;
	if (!content || !out.p)
		abort();
	tap_fill_random(content, clen, &seed);
	rc = eris_encode(content, clen, ERIS_BLOCK_32K, NULL, put_mem, s, &cap, &err);
	tap_ok(rc == 0, "encodes 3 MB into the http store: %s",
	       rc ? store_last_error(s)->msg : "ok");
	snprintf(spec, sizeof spec, "mem:+%s", sv.url);
	if (tap_ok(store_open(&c, spec, STORE_READ, &err) == 0, "opens the chain %s", spec)) {
		rc = eris_fetch_tree(&cap, store_batch, c, NULL, NULL, &err);
		tap_ok(rc == 0, "eris_fetch_tree through the chain: %s", rc ? err.msg : "ok");
	}
	keepalive(sv.url, q, NB, &cap);
	/* stop the server: from here on only the chain's cache can answer */
	tap_ok(stop_server(&sv) == 0, "eris serve exits 0 on SIGTERM");
	if (c) {
		uint64_t total = 0;
		rc = eris_decode(&cap, store_eris_get, c, to_mem, &out, &total, &err);
		tap_ok(rc == 0 && total == clen && memcmp(out.p, content, clen) == 0,
		       "the content decodes from the cache alone: %s", rc ? err.msg : "identical");
	}
	rc = store_get(s, refs[0], buf, sizeof buf, &len, &err);
	tap_ok(rc == ERIS_E_IO && strstr(err.msg, sv.url) != NULL,
	       "with the server gone, get is an i/o error naming the url: %s", err.msg);
	rc = store_get_many(s, q, 4, batch_got, &bs, &err);
	tap_ok(rc == ERIS_E_IO, "and get_many stops: %s", err.msg);
	free(content);
	free(out.p);
out:
	unsetenv("SIGIL_STORE_TOKEN_FILE");
	store_close(s);
	store_close(c);
	if (sv.pid > 0)
		stop_server(&sv);
	unlink(token);
}

static void bad_urls(void)
{
	const char *bad[] = {"http://", "http://user@127.0.0.1:1/", "http://127.0.0.1:1/?x=1",
			     "http://127.0.0.1:1/#frag"};
	store *s = NULL;
	eris_error err = {0};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tap_ok(store_open(&s, bad[i], STORE_READ, &err) == ERIS_E_ARG,
		       "\"%s\" is refused: %s", bad[i], err.msg);
	tap_ok(store_open(&s, "http://127.0.0.1:1/prefix", STORE_READ, &err) == 0,
	       "a url with a prefix opens (nothing is sent until a request)");
	store_close(s);
}

int main(void)
{
	char dir[256];

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof dir, "%s/sigil-test-http.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		tap_ok(0, "temporary directory: %s", strerror(errno));
		return tap_done();
	}
	size_t sizes[] = {0, 1, 1023, 1024, 1025, 16384, 100000, 2000000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		fetch_matches_walk(sizes[i], ERIS_BLOCK_1K, 0);
		if (sizes[i] > 16384 || sizes[i] < 2)
			fetch_matches_walk(sizes[i], ERIS_BLOCK_32K, 0);
	}
	fetch_matches_walk(8 << 20, ERIS_BLOCK_1K, 0); /* five levels, many batches */
	fetch_matches_walk(1 << 20, ERIS_BLOCK_1K, 1); /* every leaf the same block */
	fetch_faults();
	bad_urls();
	http_store(dir);
	rmdir(dir);
	return tap_done();
}
