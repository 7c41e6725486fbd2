// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl global: the system-wide PASID space. Global PASIDs (the ones
 * ENQCMD and ST64BV0 send) and device-local PASIDs never share a value;
 * the floor is the lowest value a fresh global PASID takes, so that the
 * values below it stay for the local PASIDs of narrow devices.
 */
#include <string.h>

#include <netlink/msg.h>

#include "iommu_pasid.h"
#include "pasidctl.h"

static int global_help(struct pctx *ctx, struct args *a)
{
	(void)ctx;
	(void)a;
	printf("Usage: pasidctl global show\n"
	       "       pasidctl global set floor PASID\n"
	       "floor: the lowest value of a fresh global PASID, 1-%u (1 is\n"
	       "       6.12's behaviour); values below it are left to device-local\n"
	       "       PASIDs. Global PASIDs in use keep their value.\n",
	       PASID_MAX);
	return 0;
}

static int global_print(struct pctx *ctx, struct json_object *g, void *arg)
{
	struct json_object *doc;

	(void)arg;
	if (!ctx->json) {
		printf("floor %lld in-use %lld local-values %lld\n",
		       (long long)jget_int(g, "floor", 0),
		       (long long)jget_int(g, "in-use", 0),
		       (long long)jget_int(g, "local-values", 0));
		return 0;
	}
	doc = json_object_new_object();
	json_object_object_add(doc, "format-version",
			       json_object_new_int(PASIDCTL_FORMAT_VERSION));
	json_object_object_add(doc, "global", json_object_get(g));
	out_json_doc(ctx, doc);
	json_object_put(doc);
	return 0;
}

static int global_show(struct pctx *ctx, struct args *a)
{
	struct json_object *o;
	struct nl_msg *msg;
	int ret;

	if (!args_done(a))
		return perr(ctx, PE_USAGE, "global show takes no argument, not \"%s\"",
			    args_peek(a));
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	msg = pnl_new(ctx, IOMMU_PASID_CMD_GLOBAL_GET, 0);
	if (!msg)
		return pnl_build_failed(ctx, msg);
	/* print only a whole, single reply */
	ret = pnl_do_one(ctx, msg, AS_GLOBAL, &o);
	if (!ret)
		ret = global_print(ctx, o, NULL);
	json_object_put(o);
	return ret;
}

static int global_set(struct pctx *ctx, struct args *a)
{
	bool have_floor = false;
	uint32_t floor = 0;
	struct nl_msg *msg;
	const char *w;
	int ret;

	while ((w = args_next(a))) {
		if (strcmp(w, "floor"))
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for global set", w);
		if (!(w = kw_value(ctx, a, "floor")))
			return -PE_USAGE;
		PARSE(ctx, parse_u32, w, PASID_MAX, &floor);
		if (!floor)
			return perr(ctx, PE_USAGE, "floor must be 1-%u, not 0", PASID_MAX);
		have_floor = true;
	}
	if (!have_floor)
		return perr(ctx, PE_USAGE, "global set needs floor");
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	msg = pnl_new(ctx, IOMMU_PASID_CMD_GLOBAL_SET, 0);
	if (!msg || nla_put_u32(msg, IOMMU_PASID_A_GLOBAL_FLOOR, floor))
		return pnl_build_failed(ctx, msg);
	return pnl_do(ctx, msg, AS_GLOBAL, NULL, NULL);
}

static const struct cmd global_cmds[] = {
	{ NULL, global_show },
	{ "show", global_show },
	{ "set", global_set },
	{ "help", global_help },
	{ NULL, NULL },
};

int cmd_global(struct pctx *ctx, struct args *a)
{
	return run_cmd(ctx, global_cmds, a, "global");
}
