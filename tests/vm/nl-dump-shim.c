// SPDX-License-Identifier: GPL-2.0
/*
 * nl-dump-shim.so: an LD_PRELOAD shim that watches the netlink dumps of a
 * program (pasidctl) and can mark them interrupted, for the stress test
 * (tests/vm/stress.py):
 *
 *   NL_DUMP_SHIM_OUT=FILE    at exit, write one line to FILE:
 *                            "dumps D intr I done N forced F"
 *                            D dump requests sent, I received messages
 *                            the kernel flagged NLM_F_DUMP_INTR, N dumps
 *                            that ended (NLMSG_DONE), F flags set here
 *   NL_DUMP_SHIM_FORCE=K     set NLM_F_DUMP_INTR on the NLMSG_DONE of the
 *                            first K dumps, as a kernel does when the
 *                            state changed during a dump
 *   NL_DUMP_SHIM_RECV=N      read at most N bytes at a time (more only for
 *                            a message that is larger): the kernel sizes
 *                            the messages of a dump by the largest read
 *                            the socket has seen, so a dump then comes in
 *                            many small messages, made as they are read,
 *                            and a change between two of them flags it
 *
 * Only what the program reads (not MSG_PEEK) is counted and changed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned int dumps, intr, done, forced, force;
static size_t recv_max, need;

static void scan_send(const struct msghdr *m)
{
	const struct nlmsghdr *h;

	if (!m->msg_iovlen || m->msg_iov[0].iov_len < sizeof(*h))
		return;
	h = m->msg_iov[0].iov_base;
	if ((h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP)
		dumps++;
}

static void scan_recv(struct msghdr *m, ssize_t len)
{
	struct nlmsghdr *h;
	int left = len;

	if (len <= 0 || !m->msg_iovlen)
		return;
	for (h = m->msg_iov[0].iov_base; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			intr++;
		if (h->nlmsg_type != NLMSG_DONE)
			continue;
		done++;
		if (forced < force && !(h->nlmsg_flags & NLM_F_DUMP_INTR)) {
			h->nlmsg_flags |= NLM_F_DUMP_INTR;
			forced++;
		}
	}
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);

	if (!real)
		real = dlsym(RTLD_NEXT, "sendmsg");
	scan_send(m);
	return real(fd, m, flags);
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	size_t len = 0, lim = recv_max > need ? recv_max : need;
	ssize_t ret;

	if (!real)
		real = dlsym(RTLD_NEXT, "recvmsg");
	if (recv_max && m->msg_iovlen && m->msg_iov[0].iov_len > lim) {
		len = m->msg_iov[0].iov_len;
		m->msg_iov[0].iov_len = lim;
	}
	ret = real(fd, m, flags);
	if (len)
		m->msg_iov[0].iov_len = len;
	/* a message larger than the limit: let the next reads take it whole */
	if (flags & MSG_PEEK)
		need = ret > (ssize_t)recv_max ? (size_t)ret : 0;
	else
		need = 0;
	if (!(flags & MSG_PEEK))
		scan_recv(m, ret);
	return ret;
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *f = getenv("NL_DUMP_SHIM_FORCE");
	const char *r = getenv("NL_DUMP_SHIM_RECV");

	force = f ? strtoul(f, NULL, 0) : 0;
	recv_max = r ? strtoul(r, NULL, 0) : 0;
}

__attribute__((destructor)) static void shim_fini(void)
{
	const char *out = getenv("NL_DUMP_SHIM_OUT");
	char buf[128];
	int fd, n;

	if (!out)
		return;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "dumps %u intr %u done %u forced %u\n",
		     dumps, intr, done, forced);
	if (write(fd, buf, n) != n)
		n = -1;
	close(fd);
}
