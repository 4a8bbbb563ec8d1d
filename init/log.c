/*
 * log.c — children's output as "[name] line" on init's stderr.
 *
 * Each child's stdout and stderr are one pipe (so their lines keep their
 * order); init reads it whenever poll says so and writes every complete
 * line with the child's name in front, one write(2) per line so that
 * lines of different children never interleave. A line longer than
 * INIT_LOG_LINE is split; a last line without a newline is written when
 * the pipe closes. init's own messages are "sigil-init: ...".
 */
#include "init.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

static void emit(const char *name, const char *data, size_t len)
{
	char out[INIT_LOG_LINE + 128];
	int n = snprintf(out, sizeof out, "[%s] %.*s\n", name, (int)len, data);
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
		emit(c->name, c->line, c->linelen);
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
				emit(c->name, c->line + start, i - start);
				start = i + 1;
			}
		if (start == 0 && c->linelen == sizeof c->line) { /* too long: split */
			emit(c->name, c->line, c->linelen);
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
