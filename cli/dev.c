// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl dev: show devices' PASID pools, set their mode and pool, reserve
 * and release ranges.
 */
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "iommu_pasid.h"
#include "pasidctl.h"

#define MAX_RANGES 64

static int dev_help(struct pctx *ctx, struct args *a)
{
	(void)ctx;
	(void)a;
	printf("Usage: pasidctl dev show [DEV] [mode { global | local | auto }] [reserved]\n"
	       "       pasidctl dev set DEV [mode { global | local | auto }] [pool MIN-MAX]\n"
	       "       pasidctl dev reserve DEV range LIST [label LABEL]\n"
	       "       pasidctl dev release DEV { range FIRST-LAST | label LABEL }\n"
	       "       pasidctl dev help\n"
	       "DEV := { BUS/NAME | PCI address | NAME | sysfs path | /dev node }\n"
	       "LIST := RANGE[,RANGE...]   RANGE := FIRST[-LAST]   (PASIDs 0-%u)\n",
	       PASID_MAX);
	return 0;
}

static int put_dev(struct nl_msg *msg, const struct devref *d)
{
	return nla_put_string(msg, IOMMU_PASID_A_DEV_BUS_NAME, d->bus) ||
	       nla_put_string(msg, IOMMU_PASID_A_DEV_DEV_NAME, d->name);
}

/* The device's state (dev-get do), for dev show DEV and for apply. */
int dev_get_one(struct pctx *ctx, const struct devref *d,
		struct json_object **out)
{
	struct nl_msg *msg = pnl_new(ctx, IOMMU_PASID_CMD_DEV_GET, 0);
	int ret;

	*out = NULL;
	if (!msg || put_dev(msg, d))
		return pnl_build_failed(ctx, msg);
	ret = pnl_do_one(ctx, msg, AS_DEV, out);
	/* and the reply is about the device asked for */
	if (!ret && (strcmp(jget_str(*out, "bus-name") ?: "", d->bus) ||
		     strcmp(jget_str(*out, "dev-name") ?: "", d->name))) {
		ret = perr(ctx, PE_KERNEL, "the kernel replied about another device");
		json_object_put(*out);
		*out = NULL;
	}
	return ret;
}

int dev_do_set(struct pctx *ctx, const struct devref *d, int mode,
	       int64_t pool_min, int64_t pool_max)
{
	struct nl_msg *msg = pnl_new(ctx, IOMMU_PASID_CMD_DEV_SET, 0);

	if (!msg || put_dev(msg, d) ||
	    (mode >= 0 && nla_put_u32(msg, IOMMU_PASID_A_DEV_MODE, mode)) ||
	    (pool_min >= 0 && nla_put_u32(msg, IOMMU_PASID_A_DEV_POOL_MIN, pool_min)) ||
	    (pool_max >= 0 && nla_put_u32(msg, IOMMU_PASID_A_DEV_POOL_MAX, pool_max)))
		return pnl_build_failed(ctx, msg);
	return pnl_do(ctx, msg, AS_DEV, NULL, NULL);
}

static int resv_op(struct pctx *ctx, uint8_t cmd, const struct devref *d,
		   const struct range *r, const char *label)
{
	struct nl_msg *msg = pnl_new(ctx, cmd, 0);

	if (!msg ||
	    nla_put_string(msg, IOMMU_PASID_A_RESV_BUS_NAME, d->bus) ||
	    nla_put_string(msg, IOMMU_PASID_A_RESV_DEV_NAME, d->name) ||
	    (r && (nla_put_u32(msg, IOMMU_PASID_A_RESV_FIRST, r->first) ||
		   nla_put_u32(msg, IOMMU_PASID_A_RESV_LAST, r->last))) ||
	    (label && nla_put_string(msg, IOMMU_PASID_A_RESV_LABEL, label)))
		return pnl_build_failed(ctx, msg);
	return pnl_do(ctx, msg, AS_RESV, NULL, NULL);
}

int dev_do_reserve(struct pctx *ctx, const struct devref *d,
		   const struct range *r, const char *label)
{
	return resv_op(ctx, IOMMU_PASID_CMD_RESV_NEW, d, r, label);
}

int dev_do_release(struct pctx *ctx, const struct devref *d,
		   const struct range *r, const char *label)
{
	return resv_op(ctx, IOMMU_PASID_CMD_RESV_DEL, d, r, label);
}

/*
 * The device argument every command but show starts with: only its form is
 * checked here; it is looked up once the other words are known to be good,
 * so that a bad keyword is a usage error whatever the device.
 */
static int take_dev(struct pctx *ctx, struct args *a, const char *cmd,
		    const char **word)
{
	struct pmsg pm;

	*word = args_next(a);
	if (!*word)
		return perr(ctx, PE_USAGE, "dev %s needs a device", cmd);
	if (dev_handle_check(*word, &pm))
		return perr(ctx, PE_USAGE, "%s", pm.text);
	return 0;
}

struct show {
	struct out_list l;
	bool reserved;
	int mode;
	struct json_object *printed;	/* handles, for a retried dump */
};

static int show_one(struct pctx *ctx, struct json_object *o, void *arg)
{
	struct show *s = arg;
	const char *m = jget_str(o, "mode");

	(void)ctx;
	if (s->reserved && jget_int(o, "reserved", 0) == 0)
		return 0;
	if (s->mode >= 0 && (!m || strcmp(m, mode_name(s->mode))))
		return 0;
	if (s->printed && jget_str(o, "handle"))
		json_object_array_add(s->printed,
				      json_object_new_string(jget_str(o, "handle")));
	out_list_item(&s->l, o, print_dev_text);
	return 0;
}

/* For a retried dump: was this device already printed? Devices are few. */
static bool dev_seen(struct json_object *o, void *arg)
{
	struct show *s = arg;
	const char *h = o ? jget_str(o, "handle") : NULL;
	size_t i;

	for (i = 0; h && i < json_object_array_length(s->printed); i++)
		if (!strcmp(h, json_object_get_string(json_object_array_get_idx(s->printed, i))))
			return true;
	return false;
}

static int dev_show(struct pctx *ctx, struct args *a)
{
	struct show s = { .mode = -1 };
	struct devref d;
	bool one = false;
	const char *w;
	uint32_t mode;
	int ret;

	if ((w = args_peek(a)) && strcmp(w, "mode") && strcmp(w, "reserved") &&
	    strcmp(w, "help")) {
		ret = dev_resolve(ctx, args_next(a), &d);
		if (ret)
			return ret;
		one = true;
	}
	while ((w = args_next(a))) {
		if (!strcmp(w, "mode")) {
			if (!(w = kw_value(ctx, a, "mode")))
				return -PE_USAGE;
			PARSE(ctx, parse_mode, w, false, &mode);
			s.mode = mode;
		} else if (!strcmp(w, "reserved")) {
			s.reserved = true;
		} else if (!strcmp(w, "help")) {
			return dev_help(ctx, a);
		} else {
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for dev show", w);
		}
	}
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	if (one) {
		struct json_object *o;

		ret = dev_get_one(ctx, &d, &o);
		if (ret)
			return ret;
		out_list_begin(&s.l, ctx, "dev");
		show_one(ctx, o, &s);
		out_list_end(&s.l, false);
		json_object_put(o);
		return 0;
	}

	struct nl_msg *msg = pnl_new(ctx, IOMMU_PASID_CMD_DEV_GET, NLM_F_DUMP);

	if (!msg || (s.mode >= 0 && nla_put_u32(msg, IOMMU_PASID_A_DEV_MODE, s.mode)))
		return pnl_build_failed(ctx, msg);
	out_list_begin(&s.l, ctx, "dev");
	s.printed = json_object_new_array();
	ret = pnl_dump(ctx, msg, AS_DEV, show_one, &s, dev_seen);
	json_object_put(s.printed);
	out_list_end(&s.l, ret);
	return ret;
}

static int dev_set(struct pctx *ctx, struct args *a)
{
	const char *dw;
	struct range pool;
	bool have_pool = false;
	int mode = -1, ret;
	struct devref d;
	const char *w;
	uint32_t m;

	ret = take_dev(ctx, a, "set", &dw);
	if (ret)
		return ret;
	while ((w = args_next(a))) {
		if (!strcmp(w, "mode")) {
			if (!(w = kw_value(ctx, a, "mode")))
				return -PE_USAGE;
			PARSE(ctx, parse_mode, w, false, &m);
			mode = m;
		} else if (!strcmp(w, "pool")) {
			if (!(w = kw_value(ctx, a, "pool")))
				return -PE_USAGE;
			PARSE(ctx, parse_range, w, &pool);
			have_pool = true;
		} else {
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for dev set", w);
		}
	}
	if (mode < 0 && !have_pool)
		return perr(ctx, PE_USAGE, "dev set needs mode or pool");
	ret = dev_resolve(ctx, dw, &d);
	if (ret)
		return ret;
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	return dev_do_set(ctx, &d, mode, have_pool ? (int64_t)pool.first : -1,
			  have_pool ? (int64_t)pool.last : -1);
}

static int dev_reserve(struct pctx *ctx, struct args *a)
{
	const char *dw;
	struct range r[MAX_RANGES];
	struct pmsg pm;
	const char *w, *label = NULL;
	struct devref d;
	int n = 0, i, ret;

	ret = take_dev(ctx, a, "reserve", &dw);
	if (ret)
		return ret;
	while ((w = args_next(a))) {
		if (!strcmp(w, "range")) {
			if (!(w = kw_value(ctx, a, "range")))
				return -PE_USAGE;
			n = parse_range_list(w, r, MAX_RANGES, &pm);
			if (n < 0)
				return perr(ctx, PE_USAGE, "%s", pm.text);
		} else if (!strcmp(w, "label")) {
			if (!(label = kw_value(ctx, a, "label")))
				return -PE_USAGE;
			PARSE(ctx, parse_label, label);
		} else {
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for dev reserve", w);
		}
	}
	if (!n)
		return perr(ctx, PE_USAGE, "dev reserve needs range LIST");
	ret = dev_resolve(ctx, dw, &d);
	if (ret)
		return ret;
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		ret = dev_do_reserve(ctx, &d, &r[i], label);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	/* All or nothing: drop the ranges this command reserved. */
	while (--i >= 0) {
		struct pctx quiet = *ctx;

		/* the undo's refusal goes into this one line, with the range */
		quiet.json = false;
		quiet.quiet = true;
		quiet.kmsg[0] = '\0';
		if (dev_do_release(&quiet, &d, &r[i], NULL))
			fprintf(stderr, "Error: could not undo the reservation %u-%u%s%s\n",
				r[i].first, r[i].last, quiet.kmsg[0] ? ": " : "",
				tsafe(quiet.kmsg));
		ctx->kerr = 0;
	}
	return ret;
}

static int dev_release(struct pctx *ctx, struct args *a)
{
	const char *dw;
	const char *w, *label = NULL;
	bool have_range = false;
	struct devref d;
	struct range r;
	int ret;

	ret = take_dev(ctx, a, "release", &dw);
	if (ret)
		return ret;
	while ((w = args_next(a))) {
		if (!strcmp(w, "range")) {
			if (!(w = kw_value(ctx, a, "range")))
				return -PE_USAGE;
			PARSE(ctx, parse_range, w, &r);
			have_range = true;
		} else if (!strcmp(w, "label")) {
			if (!(label = kw_value(ctx, a, "label")))
				return -PE_USAGE;
			PARSE(ctx, parse_label, label);
		} else {
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for dev release", w);
		}
	}
	if (have_range == !!label)
		return perr(ctx, PE_USAGE, "dev release needs either range FIRST-LAST or label LABEL");
	ret = dev_resolve(ctx, dw, &d);
	if (ret)
		return ret;
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	return dev_do_release(ctx, &d, have_range ? &r : NULL, label);
}

static const struct cmd dev_cmds[] = {
	{ NULL, dev_show },
	{ "show", dev_show },
	{ "set", dev_set },
	{ "reserve", dev_reserve },
	{ "release", dev_release },
	{ "help", dev_help },
	{ NULL, NULL },
};

int cmd_dev(struct pctx *ctx, struct args *a)
{
	return run_cmd(ctx, dev_cmds, a, "dev");
}
