// SPDX-License-Identifier: GPL-2.0
/*
 * nl-kcost: what the kernel's side of an iommu-pasid request costs. The
 * request is sent ROUNDS times and its replies are received with recv()
 * into one buffer and walked only to count them, so that the time is the
 * kernel's (filling and copying the messages) with next to nothing of user
 * space's. One more request before them warms up and is not counted.
 * Prints
 *   "REQUEST rounds N messages N tuples N us-per-request N ns-per-tuple N"
 * where tuples are what the request lists: bonds for "mm-get" and for a
 * "dev-get" do, devices for a "dev-get" dump. For the benchmark only.
 *
 *   nl-kcost mm-get ROUNDS          dump every process's bonds
 *   nl-kcost dev-get ROUNDS         dump every device
 *   nl-kcost dev-get ROUNDS BUS DEV one device, with its group's bonds
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "iommu_pasid.h"

static char *buf;
static size_t buf_len = 64 << 10;

/* Count one reply message's tuples: nests of type @nest at the top level. */
static long count(struct nlmsghdr *nlh, int nest)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	long n = 0;
	int rem;

	if (nest < 0)
		return 1;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
		n += nla_type(a) == nest;
	return n;
}

/* Receive the replies of one request; 0 at its end, -1 on an error. */
static int receive(int fd, int dump, int nest, long *msgs, long *tuples)
{
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t len;
		int left;

		/* A do reply may be larger than the buffer: make room. */
		len = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (len < 0) {
			perror("recv");
			return -1;
		}
		if ((size_t)len > buf_len) {
			free(buf);
			buf_len = len;
			buf = malloc(buf_len);
			if (!buf)
				return -1;
		}
		len = recv(fd, buf, buf_len, 0);
		if (len < 0) {
			perror("recv");
			return -1;
		}
		left = len;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, left);
		     nlh = nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int *err = nlmsg_data(nlh);

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*err)) && *err) {
					fprintf(stderr, "dump: %s\n", strerror(-*err));
					return -1;
				}
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(nlh);

				if (!e->error)
					return 0;
				fprintf(stderr, "request: %s\n", strerror(-e->error));
				return -1;
			}
			(*msgs)++;
			*tuples += count(nlh, nest);
			if (!dump)
				return 0;
		}
		if (left) {
			fprintf(stderr, "nl-kcost: a message does not fit what was received\n");
			return -1;
		}
	}
}

int main(int argc, char **argv)
{
	struct nl_sock *sk = nl_socket_alloc();
	long rounds, r, msgs = 0, tuples = 0;
	int fam, cmd, nest, dump, fd;
	struct timespec t0, t1;
	double ns;

	if ((argc != 3 && !(argc == 5 && !strcmp(argv[1], "dev-get"))) ||
	    (rounds = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: nl-kcost mm-get|dev-get ROUNDS [BUS DEV]\n");
		return 2;
	}
	if (!strcmp(argv[1], "mm-get")) {
		cmd = IOMMU_PASID_CMD_MM_GET;
		nest = IOMMU_PASID_A_MM_BOND;
	} else if (!strcmp(argv[1], "dev-get")) {
		cmd = IOMMU_PASID_CMD_DEV_GET;
		nest = argc == 5 ? IOMMU_PASID_A_DEV_BOND : -1;
	} else {
		fprintf(stderr, "nl-kcost: unknown request %s\n", argv[1]);
		return 2;
	}
	dump = argc == 3;
	buf = malloc(buf_len);
	if (!buf || !sk || genl_connect(sk))
		return 1;
	fam = genl_ctrl_resolve(sk, IOMMU_PASID_FAMILY_NAME);
	if (fam < 0) {
		fprintf(stderr, "no iommu-pasid family\n");
		return 3;
	}
	/* no ACK after a do reply; room for the largest reply */
	nl_socket_disable_auto_ack(sk);
	if (nl_socket_set_buffer_size(sk, 8 << 20, 0) < 0)
		return 1;
	fd = nl_socket_get_fd(sk);
	/* round -1 warms up (under TCG: translates the code paths), untimed */
	for (r = -1; r < rounds; r++) {
		if (r == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			msgs = tuples = 0;
		}
		struct nl_msg *m = nlmsg_alloc();

		if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0,
				       dump ? NLM_F_DUMP : 0, cmd,
				       IOMMU_PASID_FAMILY_VERSION) ||
		    (!dump &&
		     (nla_put_string(m, IOMMU_PASID_A_DEV_BUS_NAME, argv[3]) ||
		      nla_put_string(m, IOMMU_PASID_A_DEV_DEV_NAME, argv[4]))) ||
		    nl_send_auto(sk, m) < 0) {
			fprintf(stderr, "nl-kcost: cannot send\n");
			return 1;
		}
		nlmsg_free(m);
		if (receive(fd, dump, nest, &msgs, &tuples))
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("%s rounds %ld messages %ld tuples %ld us-per-request %.0f ns-per-tuple %.0f\n",
	       argv[1], rounds, msgs / rounds, tuples / rounds, ns / rounds / 1e3,
	       tuples ? ns / tuples : 0);
	nl_socket_free(sk);
	free(buf);
	return 0;
}
