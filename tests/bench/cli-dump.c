// SPDX-License-Identifier: GPL-2.0
/*
 * cli-dump: what pasidctl adds on top of receiving a dump, without the
 * kernel or the VM. An mm-get dump of N tuples, P processes with N/P
 * bonds each (as make bench's VM part has them), made here as the kernel
 * would send it, is fed through libnl's receive
 * path (the fake socket of tests/fuzz) to
 *   - a bare receive loop that counts bonds (the floor, as tests/bench/
 *     nl-dump.c does against the kernel),
 *   - pasidctl -j proc show and pasidctl proc show (text), the real code,
 *     output to /dev/null, and -j through json-c objects as filtered
 *     listings print (what the unfiltered one did before it streamed),
 * each three times, interleaved; prints the best time of each and the
 * ratios to the floor. For make bench; a figure, never a pass or fail.
 *
 *     cli-dump [N [P]]        (default 100000 1000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "fake.h"
#include "iommu_pasid.h"

#define FAM 0x20

static uint8_t *buf;
static size_t len, cap;

static void put(const void *p, size_t n)
{
	if (len + n > cap) {
		cap = (len + n) * 2;
		buf = realloc(buf, cap);
		if (!buf)
			abort();
	}
	memcpy(buf + len, p, n);
	len += n;
}

/* Datagrams hold whole messages, about 32 KiB each, as a dump's do. */
static uint8_t dgram[65536];
static size_t dlen;

static void flush_dgram(void)
{
	uint8_t l[2] = { dlen & 0xff, dlen >> 8 };

	if (!dlen)
		return;
	put(l, 2);
	put(dgram, dlen);
	dlen = 0;
}

static void add_msg(struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);

	if (dlen + h->nlmsg_len > 32768)
		flush_dgram();
	memcpy(dgram + dlen, h, h->nlmsg_len);
	dlen += NLMSG_ALIGN(h->nlmsg_len);
	nlmsg_free(m);
}

static void make_dump(long n, long procs)
{
	long per = n / procs, k;
	struct nl_msg *m;
	struct nlattr *g, *b;
	long i;

	/* the controller's answer, then the ACK of the lookup */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 1);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, FAM);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, IOMMU_PASID_FAMILY_NAME);
	nla_put_u32(m, CTRL_ATTR_VERSION, 1);
	g = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
	b = nla_nest_start(m, 1);
	nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, IOMMU_PASID_MCGRP_MONITOR);
	nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, 5);
	nla_nest_end(m, b);
	nla_nest_end(m, g);
	add_msg(m);
	flush_dgram();
	m = nlmsg_alloc();
	nlmsg_put(m, 0, 0, NLMSG_ERROR, sizeof(struct nlmsgerr), 0);
	add_msg(m);
	flush_dgram();
	for (i = 0; i < procs; i++) {
		m = nlmsg_alloc_size(512 + per * 64);
		genlmsg_put(m, 0, 0, FAM, 0, NLM_F_MULTI, IOMMU_PASID_CMD_MM_GET, 1);
		nla_put_u32(m, IOMMU_PASID_A_MM_PID, i + 1);
		nla_put_string(m, IOMMU_PASID_A_MM_COMM, "svamock-mass");
		nla_put_u32(m, IOMMU_PASID_A_MM_MODE, 2);
		nla_put_u32(m, IOMMU_PASID_A_MM_MAX_PASIDS, 0);
		for (k = 0; k < per; k++) {
			char name[32];

			snprintf(name, sizeof(name), "svamock%ld", 101 + k);
			b = nla_nest_start(m, IOMMU_PASID_A_MM_BOND);
			nla_put_string(m, IOMMU_PASID_A_BOND_BUS_NAME, "svamock");
			nla_put_string(m, IOMMU_PASID_A_BOND_DEV_NAME, name);
			nla_put_u32(m, IOMMU_PASID_A_BOND_PASID, 1 + i % 65535);
			nla_put_u32(m, IOMMU_PASID_A_BOND_KIND, 1);
			nla_put_u32(m, IOMMU_PASID_A_BOND_USERS, 1);
			nla_nest_end(m, b);
		}
		add_msg(m);
	}
	m = nlmsg_alloc();
	nlmsg_put(m, 0, 0, NLMSG_DONE, sizeof(int), NLM_F_MULTI);
	add_msg(m);
	flush_dgram();
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static long bonds;

static int count(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem;

	(void)arg;
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
		bonds += nla_type(a) == IOMMU_PASID_A_MM_BOND;
	return NL_OK;
}

/* The floor: libnl's receive loop and a walk of the attributes. */
static double bare(void)
{
	struct pctx ctx;
	double t = now();
	struct nl_cb *cb;

	fake_kernel(&ctx, buf, len);
	cb = pnl_sock_cb(&ctx);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, count, NULL);
	bonds = 0;
	while (nl_recvmsgs(ctx.sk, cb) >= 0)
		;
	nl_cb_put(cb);
	fake_done(&ctx);
	return now() - t;
}

static double cli(bool json, bool objects)
{
	char *argv[] = { "proc", "show", NULL };
	struct pctx ctx;
	double t = now();

	fake_kernel(&ctx, buf, len);
	ctx.json = json;
	ctx.numeric = true;
	ctx.no_stream = objects;
	if (run_args(&ctx, 2, argv))
		fprintf(stderr, "cli-dump: proc show failed\n");
	fflush(stdout);
	fake_done(&ctx);
	return now() - t;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long procs = argc > 2 ? atol(argv[2]) : 1000;
	double b = 1e9, j = 1e9, x = 1e9, o = 1e9, v;
	FILE *out;
	int r;

	if (n < 1 || procs < 1 || procs > n) {
		fprintf(stderr, "usage: cli-dump [TUPLES [PROCESSES]]\n");
		return 2;
	}
	make_dump(n, procs);
	/* the output goes nowhere; its making is what is measured */
	out = freopen("/dev/null", "w", stdout);
	if (!out)
		return 1;
	for (r = 0; r < 3; r++) {
		v = bare();
		b = v < b ? v : b;
		v = cli(true, false);
		j = v < j ? v : j;
		v = cli(false, false);
		x = v < x ? v : x;
		v = cli(true, true);
		o = v < o ? v : o;
	}
	fprintf(stderr, "cli-dump %ld tuples in %ld processes (%ld bonds seen): bare %.1f ms, pasidctl -j %.1f ms (%.2fx), text %.1f ms (%.2fx); -j through json-c objects %.1f ms (%.2fx)\n",
		n, procs, bonds, b * 1e3, j * 1e3, j / b, x * 1e3, x / b, o * 1e3, o / b);
	return 0;
}
