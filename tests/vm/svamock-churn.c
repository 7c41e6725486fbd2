// SPDX-License-Identifier: GPL-2.0
/*
 * svamock-churn -t SECONDS -o LOG [-c CHILDREN] [-u HOLD_US] [-k DEVICES]
 * [-p PARALLEL] ID...: bind churn for the stress test (tests/vm/stress.py).
 * Until SECONDS have passed or SIGTERM arrives, run cycles, PARALLEL
 * (default 1) at a time, each in a new process:
 *
 *   open /dev/svamockID for DEVICES (default 1) of the IDs, taken in turn,
 *   and bind by policy through each; fork CHILDREN (default 2) children
 *   that bind their own address spaces through the first file (the even
 *   ones then exit without unbinding, so that the file holds the bond of a
 *   process that is gone; the odd ones unbind first); wait for them; hold
 *   the bonds for up to HOLD_US microseconds; unbind and close each; exit.
 *
 * Every step is appended to LOG as one line, written with one write(2):
 *
 *   bind    T PID ID PASID KIND    the bond exists (logged after the ioctl)
 *   cbind   T PID PPID ID PASID KIND  a child's bond, held by its parent's
 *                                  (PPID's) file until the parent closes it
 *   cunbind T PID PPID ID PASID    a child is about to unbind its bond
 *   unbind  T PID ID PASID         about to unbind (logged before the ioctl)
 *   close   T PID ID               about to close: the children's bonds end
 *   err     T PID ID OP ERRNO      open, bind or unbind failed
 *   eintr   T PID ID OP            bind or unbind was interrupted by a signal
 *                                  (the stress test stops and continues
 *                                  the binders): tried again
 *
 * T is CLOCK_MONOTONIC in nanoseconds, KIND "local" or "global". On exit it
 * prints "cycles N binds N crashed N" on stdout: crashed counts
 * cycles that did not exit normally.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iommu-sva-mock.h"

#define MAX_K	16

static int logfd = -1;
static volatile sig_atomic_t stop;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void logf_(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(logfd, buf, n) != n)
		_exit(99);
}

/* Bind through @fd; log it as @what. Returns 0 and the bond, or an errno. */
static int do_bind(int fd, const char *what, const char *who, const char *id,
		   struct svamock_bind *b)
{
	struct svamock_bond q;

	memset(b, 0, sizeof(*b));
	while (ioctl(fd, SVAMOCK_IOCTL_BIND, b)) {
		int e = errno;

		if (e == EINTR) {
			logf_("eintr %llu %d %s bind\n", now_ns(), getpid(), id);
			continue;
		}

		logf_("err %llu %d %s bind %d\n", now_ns(), getpid(), id, e);
		return e;
	}
	q = (struct svamock_bond){ .bond_id = b->bond_id };
	ioctl(fd, SVAMOCK_IOCTL_GET_PASID, &q);
	logf_("%s %llu %s %s %u %s\n", what, now_ns(), who, id, b->pasid,
	      q.local ? "local" : "global");
	return 0;
}

static int do_unbind(int fd, const char *what, const char *who,
		     const char *id, const struct svamock_bind *b)
{
	struct svamock_bond u = { .bond_id = b->bond_id };

	logf_("%s %llu %s %s %u\n", what, now_ns(), who, id, b->pasid);
	while (ioctl(fd, SVAMOCK_IOCTL_UNBIND, &u)) {
		int e = errno;

		if (e == EINTR) {
			logf_("eintr %llu %d %s unbind\n", now_ns(), getpid(), id);
			continue;
		}

		/* ENOENT: the device went away and took the bond with it. */
		logf_("err %llu %d %s unbind %d\n", now_ns(), getpid(), id, e);
		return e;
	}
	return 0;
}

/* One cycle, in a process of its own. Exit status: binds made. */
static int cycle(char **ids, int k, int children, unsigned int hold_us)
{
	struct svamock_bind b[MAX_K];
	int fd[MAX_K], i, binds = 0;
	char who[32];

	snprintf(who, sizeof(who), "%d", getpid());
	for (i = 0; i < k; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/" SVAMOCK_BUS_NAME "%s", ids[i]);
		fd[i] = open(path, O_RDWR | O_CLOEXEC);
		if (fd[i] < 0) {
			logf_("err %llu %d %s open %d\n", now_ns(), getpid(), ids[i],
			      errno);
			continue;
		}
		if (do_bind(fd[i], "bind", who, ids[i], &b[i])) {
			close(fd[i]);
			fd[i] = -1;
			continue;
		}
		binds++;
	}
	for (i = 0; fd[0] >= 0 && i < children; i++) {
		pid_t pid = fork();

		if (pid < 0)
			break;
		if (!pid) {
			struct svamock_bind cb;
			char me[32];

			snprintf(me, sizeof(me), "%d %d", getpid(), getppid());
			if (do_bind(fd[0], "cbind", me, ids[0], &cb))
				_exit(0);
			if (i & 1)
				do_unbind(fd[0], "cunbind", me, ids[0], &cb);
			_exit(1);
		}
	}
	while (1) {
		int st;

		if (wait(&st) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFEXITED(st))
			binds += WEXITSTATUS(st);
	}
	if (hold_us)
		usleep(rand() % hold_us);
	for (i = 0; i < k; i++) {
		if (fd[i] < 0)
			continue;
		do_unbind(fd[i], "unbind", who, ids[i], &b[i]);
		logf_("close %llu %d %s\n", now_ns(), getpid(), ids[i]);
		close(fd[i]);
	}
	return binds;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned long long deadline = 0, cycles = 0, binds = 0, crashed = 0;
	int opt, children = 2, k = 1, par = 1, running = 0, n, i = 0;
	unsigned int hold_us = 0;
	const char *log = NULL;
	struct sigaction sa;

	while ((opt = getopt(argc, argv, "t:o:c:u:k:p:")) != -1) {
		switch (opt) {
		case 't':
			deadline = now_ns() + strtoull(optarg, NULL, 0) * 1000000000ULL;
			break;
		case 'o':
			log = optarg;
			break;
		case 'c':
			children = atoi(optarg);
			break;
		case 'u':
			hold_us = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			k = atoi(optarg);
			break;
		case 'p':
			par = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	n = argc - optind;
	if (!deadline || !log || n < 1 || k < 1 || k > MAX_K || k > n ||
	    par < 1) {
usage:
		fprintf(stderr, "usage: svamock-churn -t SECONDS -o LOG [-c CHILDREN] [-u HOLD_US] [-k DEVICES] [-p PARALLEL] ID...\n");
		return 1;
	}
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		perror(log);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	while (running || (!stop && now_ns() < deadline)) {
		char *ids[MAX_K];
		pid_t pid;
		int st, j;

		if (running < par && !stop && now_ns() < deadline) {
			for (j = 0; j < k; j++)
				ids[j] = argv[optind + (i + j) % n];
			i++;
			pid = fork();
			if (pid < 0) {
				perror("fork");
				stop = 1;
				continue;
			}
			if (!pid) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				srand(getpid());
				_exit(cycle(ids, k, children, hold_us));
			}
			running++;
			continue;
		}
		pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		running--;
		cycles++;
		if (WIFEXITED(st))
			binds += WEXITSTATUS(st);
		else
			crashed++;
	}
	printf("cycles %llu binds %llu crashed %llu\n", cycles, binds, crashed);
	return crashed ? 1 : 0;
}
