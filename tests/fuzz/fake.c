// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libudev.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "fake.h"

static const uint8_t *in;
static size_t in_len;

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	size_t n;

	(void)sk;
	if (in_len < 2)
		return -NLE_FAILURE;
	n = in[0] | in[1] << 8;
	in += 2;
	in_len -= 2;
	if (n > in_len)
		n = in_len;
	/* an empty datagram: libnl frees nothing then, as nl_recv() does */
	if (!n)
		return 0;
	*buf = malloc(n);
	if (!*buf)
		return -NLE_NOMEM;
	memcpy(*buf, in, n);
	in += n;
	in_len -= n;
	if (creds)
		*creds = NULL;
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	return n;
}

/*
 * The last request of each command of the family (not the controller's),
 * for the unit tests; one longer than the buffer is not kept.
 */
static uint8_t sent[256][1024];
static bool sent_have[256];

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);

	(void)sk;
	if (h->nlmsg_type != GENL_ID_CTRL &&
	    h->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
		uint8_t cmd = ((struct genlmsghdr *)nlmsg_data(h))->cmd;

		sent_have[cmd] = h->nlmsg_len <= sizeof(sent[cmd]);
		if (sent_have[cmd])
			memcpy(sent[cmd], h, h->nlmsg_len);
	}
	return h->nlmsg_len;
}

const struct nlmsghdr *fake_sent(uint8_t cmd)
{
	return sent_have[cmd] ? (const void *)sent[cmd] : NULL;
}

void fake_kernel(struct pctx *ctx, const uint8_t *data, size_t len)
{
	struct nl_cb *cb;

	memset(ctx, 0, sizeof(*ctx));
	memset(sent_have, 0, sizeof(sent_have));
	in = data;
	in_len = len;
	ctx->sk = nl_socket_alloc();
	if (!ctx->sk)
		abort();
	/* the fuzzer's replies do not know our sequence numbers */
	nl_socket_disable_seq_check(ctx->sk);
	cb = nl_socket_get_cb(ctx->sk);
	nl_cb_overwrite_recv(cb, fake_recv);
	nl_cb_overwrite_send(cb, fake_send);
	nl_cb_put(cb);
}

void fake_done(struct pctx *ctx)
{
	pnl_close(ctx);
	if (ctx->hwdb)
		udev_hwdb_unref(ctx->hwdb);
	if (ctx->udev)
		udev_unref(ctx->udev);
	memset(ctx, 0, sizeof(*ctx));
}

/* A memory file in place of stream @f (fd @to), emptied; kept in *@fd. */
static void mem_begin(FILE *f, int to, int *fd, const char *name)
{
	if (*fd < 0) {
		*fd = memfd_create(name, 0);
		if (*fd < 0)
			abort();
	}
	fflush(f);
	if (ftruncate(*fd, 0) || lseek(*fd, 0, SEEK_SET) || dup2(*fd, to) < 0)
		abort();
}

/* What went to @f since mem_begin(), at most @cap - 1 bytes. */
static size_t mem_take(FILE *f, int fd, char *buf, size_t cap)
{
	ssize_t n;

	fflush(f);
	n = pread(fd, buf, cap - 1, 0);
	if (n < 0)
		abort();
	buf[n] = '\0';
	return n;
}

static int err_fd = -1, out_fd = -1;

void fake_stderr_begin(void)
{
	mem_begin(stderr, STDERR_FILENO, &err_fd, "stderr");
}

size_t fake_stderr_take(char *buf, size_t cap)
{
	return mem_take(stderr, err_fd, buf, cap);
}

void fake_stdout_begin(void)
{
	mem_begin(stdout, STDOUT_FILENO, &out_fd, "stdout");
}

size_t fake_stdout_take(char *buf, size_t cap)
{
	return mem_take(stdout, out_fd, buf, cap);
}

int fake_error_lines(void)
{
	char buf[65536];
	int count = 0;

	mem_take(stderr, err_fd, buf, sizeof(buf));
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		count += !strncmp(p, "Error: ", 7);
	/* FUZZ_SHOW_STDERR=1: show it, to see why a run failed */
	if (getenv("FUZZ_SHOW_STDERR"))
		fprintf(stdout, "--- stderr:\n%s---\n", buf);
	return count;
}

void fake_quiet(void)
{
	int fd;

	if (getenv("FUZZ_SHOW_STDERR"))
		return;
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		abort();
	close(fd);
}
