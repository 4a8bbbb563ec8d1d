/*
 * notify-test.c — a tiny Type=notify service for tests/t/sigil_unit.sh
 * (built there with cc): it prints when it starts (wall clock in ms, its
 * working directory and argv[0]), then, by its first argument:
 *   ready    sends READY=1 (and MAINPID=) to $NOTIFY_SOCKET and stays up;
 *   fail     sends READY=1, then exits 3 a little later;
 *   early    exits 0 without ever sending READY=1.
 * NOTIFY_SOCKET may be a path or "@name" (an abstract socket), as in
 * sd_notify(3).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void say_ready(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char msg[64];
	if (!p || !*p || strlen(p) >= sizeof sa.sun_path) {
		printf("nt: no NOTIFY_SOCKET\n");
		fflush(stdout);
		exit(2);
	}
	memcpy(sa.sun_path, p, strlen(p));
	if (p[0] == '@')
		sa.sun_path[0] = 0;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	int n = snprintf(msg, sizeof msg, "READY=1\nMAINPID=%d", (int)getpid());
	printf("nt: sending READY=1 to %s\n", p);
	fflush(stdout);
	if (s < 0 || sendto(s, msg, (size_t)n, 0, (struct sockaddr *)&sa,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p))) < 0) {
		perror("nt: sendto");
		exit(2);
	}
	close(s);
}

int main(int argc, char **argv)
{
	struct timespec ts;
	char cwd[256] = "?";
	const char *mode = argc > 1 ? argv[1] : "ready";
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "?");
	printf("nt: start %lld cwd=%s argv0=%s mode=%s\n",
	       (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, cwd, argv[0], mode);
	fflush(stdout);
	usleep(300000);
	if (strcmp(mode, "early") == 0)
		return 0;
	say_ready();
	if (strcmp(mode, "fail") == 0) {
		usleep(200000);
		return 3;
	}
	for (;;)
		pause();
}
