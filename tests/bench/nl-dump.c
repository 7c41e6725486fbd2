// SPDX-License-Identifier: GPL-2.0
/*
 * nl-dump: the floor for a dump of the iommu-pasid family. A bare libnl
 * receive loop over "mm-get" that parses nothing but counts processes and
 * bonds, printing "processes N bonds N". For the benchmark only.
 */
#include <stdio.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "iommu_pasid.h"

static long nproc, nbond;

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem;

	(void)arg;
	nproc++;
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
		nbond += nla_type(a) == IOMMU_PASID_A_MM_BOND;
	return NL_OK;
}

int main(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int fam, ret;

	if (!sk || genl_connect(sk))
		return 1;
	fam = genl_ctrl_resolve(sk, IOMMU_PASID_FAMILY_NAME);
	if (fam < 0) {
		fprintf(stderr, "no iommu-pasid family\n");
		return 3;
	}
	nl_socket_enable_msg_peek(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, NULL);
	ret = genl_send_simple(sk, fam, IOMMU_PASID_CMD_MM_GET,
			       IOMMU_PASID_FAMILY_VERSION, NLM_F_DUMP);
	if (ret >= 0)
		ret = nl_recvmsgs_default(sk);
	if (ret < 0) {
		fprintf(stderr, "dump: %s\n", nl_geterror(ret));
		return 2;
	}
	printf("processes %ld bonds %ld\n", nproc, nbond);
	nl_socket_free(sk);
	return 0;
}
