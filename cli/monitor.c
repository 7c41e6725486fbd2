// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl monitor: print the iommu-pasid family's events until SIGINT or
 * SIGTERM. With -j, one JSON object per line: {"name": ..., "msg": {...}}.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "iommu_pasid.h"
#include "pasidctl.h"

/* Room for bursts: a mass unbind sends one event per bond. */
#define MONITOR_RCVBUF (4 << 20)

static const struct {
	const char *name;
	int attrset;
} events[IOMMU_PASID_CMD_MAX + 1] = {
	[IOMMU_PASID_CMD_DEV_CHANGE_NTF] = { "dev-change-ntf", AS_DEV },
	[IOMMU_PASID_CMD_MM_CHANGE_NTF] = { "mm-change-ntf", AS_MM },
	[IOMMU_PASID_CMD_BIND_NTF] = { "bind-ntf", AS_MM },
	[IOMMU_PASID_CMD_UNBIND_NTF] = { "unbind-ntf", AS_MM },
	[IOMMU_PASID_CMD_GLOBAL_CHANGE_NTF] = { "global-change-ntf", AS_GLOBAL },
};

static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char z[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(z, sizeof(z), "%z", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%06ld%s",
		 ts.tv_nsec / 1000, z);
}

static void print_event(struct pctx *ctx, const char *name,
			struct json_object *msg)
{
	char ts[64];

	if (ctx->timestamp)
		timestamp(ts, sizeof(ts));
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		if (ctx->timestamp)
			json_object_object_add(o, "timestamp", json_object_new_string(ts));
		if (msg)
			json_object_object_add(o, "msg", json_object_get(msg));
		else
			json_object_object_add(o, "lost", json_object_new_boolean(1));
		out_json_line(ctx, o);
		json_object_put(o);
		return;
	}
	if (ctx->timestamp)
		printf("[%s] ", ts);
	if (!msg) {
		printf("%s: events were lost, the socket buffer overran\n", name);
	} else if (!strcmp(name, "dev-change-ntf")) {
		printf("%s ", name);
		print_dev_text(ctx, msg);
	} else if (!strcmp(name, "mm-change-ntf")) {
		printf("%s ", name);
		print_proc_text(ctx, msg);
	} else if (!strcmp(name, "global-change-ntf")) {
		printf("%s floor %lld in-use %lld local-values %lld\n", name,
		       (long long)jget_int(msg, "floor", 0),
		       (long long)jget_int(msg, "in-use", 0),
		       (long long)jget_int(msg, "local-values", 0));
	} else {
		struct json_object *arr, *b;

		printf("%s pid %lld comm %s", name, (long long)jget_int(msg, "pid", 0),
		       tsafe(jget_str(msg, "comm")) ?: "?");
		if (json_object_object_get_ex(msg, "bond", &arr) &&
		    (b = json_object_array_get_idx(arr, 0)))
			printf(" bond %s pasid %lld kind %s users %lld",
			       tsafe(jget_str(b, "handle")) ?: "?",
			       (long long)jget_int(b, "pasid", 0),
			       jget_str(b, "kind") ?: "?",
			       (long long)jget_int(b, "users", 0));
		putchar('\n');
	}
	fflush(stdout);
}

/* One notification: printed, or skipped if it is not the family's or malformed. */
int monitor_on_event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct pctx *ctx = arg;
	struct genlmsghdr *g;
	struct json_object *o;

	/* Only the family's own notifications, whole. */
	if (nlh->nlmsg_type != ctx->family || !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	g = nlmsg_data(nlh);
	if (g->cmd > IOMMU_PASID_CMD_MAX || !events[g->cmd].name)
		return NL_SKIP;
	o = pnl_to_json(ctx, msg, events[g->cmd].attrset);
	if (!o) {
		fflush(stdout);
		fprintf(stderr, "Warning: a malformed %s notification was skipped\n",
			events[g->cmd].name);
		return NL_SKIP;
	}
	print_event(ctx, events[g->cmd].name, o);
	json_object_put(o);
	return NL_OK;
}

static int monitor_help(struct pctx *ctx, struct args *a)
{
	(void)ctx;
	(void)a;
	printf("Usage: pasidctl [-j] [-t] monitor [rcvbuf BYTES]\n"
	       "Prints dev-change-ntf, mm-change-ntf, bind-ntf and unbind-ntf events\n"
	       "until interrupted. Needs CAP_SYS_ADMIN. The socket buffer (default\n"
	       "%u bytes) holds events while the output is slow; when it overruns,\n"
	       "an \"overrun\" event says events were lost.\n", MONITOR_RCVBUF);
	return 0;
}

static int monitor(struct pctx *ctx, struct args *a)
{
	uint32_t rcvbuf = MONITOR_RCVBUF;
	struct pmsg pm;
	struct pollfd pfd[2];
	struct nl_cb *cb;
	const char *w;
	sigset_t mask;
	int ret, sfd;

	while ((w = args_next(a))) {
		if (!strcmp(w, "rcvbuf")) {
			w = args_next(a);
			if (!w || parse_u32(w, 1U << 30, &rcvbuf, &pm) || rcvbuf < 4096)
				return perr(ctx, PE_USAGE, "rcvbuf needs a size from 4096 to %u bytes",
					    1U << 30);
		} else {
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for monitor", w);
		}
	}
	ret = pnl_join_monitor(ctx);
	if (ret)
		return ret;
	/* past net.core.rmem_max when allowed (CAP_NET_ADMIN), else up to it */
	if (setsockopt(nl_socket_get_fd(ctx->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)))
		nl_socket_set_buffer_size(ctx->sk, rcvbuf, 0);
	nl_socket_set_nonblocking(ctx->sk);

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return perr(ctx, PE_KERNEL, "signalfd: %s", strerror(errno));

	cb = pnl_sock_cb(ctx);
	if (!cb) {
		close(sfd);
		return perr(ctx, PE_KERNEL, "out of memory");
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, monitor_on_event, ctx);
	fprintf(stderr, "Listening for iommu-pasid events; Ctrl-C stops.\n");

	pfd[0] = (struct pollfd){ .fd = nl_socket_get_fd(ctx->sk), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	ret = 0;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = perr(ctx, PE_KERNEL, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;	/* SIGINT or SIGTERM: a clean end */
		if (!(pfd[0].revents & POLLIN))
			continue;
		ret = nl_recvmsgs(ctx->sk, cb);
		if (ret == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events for us */
			print_event(ctx, "overrun", NULL);
			ret = 0;
		} else if (ret < 0 && ret != -NLE_AGAIN) {
			ret = perr(ctx, PE_KERNEL, "netlink: %s", nl_geterror(ret));
			break;
		} else {
			ret = 0;
		}
		/* nobody reads the events any more: a closed pipe, a full disk */
		if (ferror(stdout)) {
			ret = perr(ctx, PE_USAGE, "writing the output failed");
			ctx->out_reported = true;
			break;
		}
	}
	nl_cb_put(cb);
	close(sfd);
	return ret;
}

int cmd_monitor(struct pctx *ctx, struct args *a)
{
	if (!args_done(a) && !strcmp(args_peek(a), "help"))
		return monitor_help(ctx, a);
	return monitor(ctx, a);
}
