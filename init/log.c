/*
 * log.c — children's output as "[name] line" on init's stderr.
 *
 * Each child's stdout and stderr are one pipe (so their lines keep their
 * order); init reads it whenever poll says so and writes every complete
 * line with the child's name in front, one write(2) per line so that
 * lines of different children never interleave. A line longer than
 * INIT_LOG_LINE is split; a last line without a newline is written when
 * the pipe closes. init's own messages are "sigil-init: ...".
 *
 * Each line also goes into the child's ring (INIT_RING bytes in struct
 * init_child, kept across restarts): the oldest lines make room, so
 * the ring holds the child's last lines, for the state report (report.c
 * takes the last INIT_RING_LINES of them). New lines mark the report
 * dirty at most every INIT_LOG_REPORT_MS (init_log_due, from the poll
 * loop), so a chatty child does not rewrite the report per line.
 */
#include "init.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

/* Appends a line (and its newline) to c's ring. */
static void ring_put(struct init_child *c, const char *data, size_t len)
{
	if (len > INIT_RING - 1)
		len = INIT_RING - 1;
	for (size_t i = 0; i <= len; i++) {
		c->ring[c->ringend] = i < len ? data[i] : '\n';
		c->ringend = (c->ringend + 1) % INIT_RING;
	}
	c->ringlen = c->ringlen + len + 1 > INIT_RING ? INIT_RING : c->ringlen + len + 1;
	c->log_new = 1;
}

size_t init_log_copy(const struct init_child *c, char *out)
{
	size_t start = (c->ringend + INIT_RING - c->ringlen) % INIT_RING, n = 0, skip = 0;
	for (size_t i = 0; i < c->ringlen; i++)
		out[n++] = c->ring[(start + i) % INIT_RING];
	if (c->ringlen == INIT_RING) /* full: its first line may have lost its start */
		while (skip < n && out[skip++] != '\n')
			;
	memmove(out, out + skip, n - skip);
	return n - skip;
}

int init_log_due(struct init *in, int64_t now)
{
	int pending = 0;
	for (size_t i = 0; i < in->n; i++)
		pending |= in->c[i].log_new;
	if (!pending)
		return -1;
	if (!in->dirty && now - in->log_at < INIT_LOG_REPORT_MS)
		return (int)(in->log_at + INIT_LOG_REPORT_MS - now);
	for (size_t i = 0; i < in->n; i++)
		in->c[i].log_new = 0;
	in->dirty = 1;
	in->log_at = now;
	return -1;
}

static void emit(struct init_child *c, const char *data, size_t len)
{
	char out[INIT_LOG_LINE + 128];
	ring_put(c, data, len);
	int n = snprintf(out, sizeof out, "[%s] %.*s\n", c->name, (int)len, data);
	if (n < 0)
		return;
	size_t left = (size_t)n < sizeof out ? (size_t)n : sizeof out - 1;
	for (const char *p = out; left > 0;) {
		ssize_t w = write(2, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		left -= (size_t)w;
	}
}

void init_log_flush(struct init_child *c)
{
	if (c->linelen)
		emit(c, c->line, c->linelen);
	c->linelen = 0;
}

void init_log_read(struct init_child *c)
{
	for (;;) {
		ssize_t n = read(c->logfd, c->line + c->linelen, sizeof c->line - c->linelen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* EOF (or an error): the child's side is gone */
			init_log_flush(c);
			close(c->logfd);
			c->logfd = -1;
			return;
		}
		c->linelen += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < c->linelen; i++)
			if (c->line[i] == '\n') {
				emit(c, c->line + start, i - start);
				start = i + 1;
			}
		if (start == 0 && c->linelen == sizeof c->line) { /* too long: split */
			emit(c, c->line, c->linelen);
			start = c->linelen;
		}
		memmove(c->line, c->line + start, c->linelen - start);
		c->linelen -= start;
	}
}

void init_say(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int n = snprintf(msg, sizeof msg, "sigil-init: ");
	va_start(ap, fmt);
	n += vsnprintf(msg + n, sizeof msg - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof msg - 2)
		n = (int)sizeof msg - 2;
	msg[n++] = '\n';
	if (write(2, msg, (size_t)n) < 0)
		return;
}
