// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl proc: processes bound with SVA, their global PASID and
 * [device, PASID] tuples; their policy and quota of local PASIDs.
 */
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <netlink/genl/genl.h>

#include "iommu_pasid.h"

#include "pasidctl.h"

static int proc_help(struct pctx *ctx, struct args *a)
{
	(void)ctx;
	(void)a;
	printf("Usage: pasidctl proc show [PID] [dev DEV] [kind { global | local }]\n"
	       "       pasidctl proc set PID [mode { default | global | local | auto }]\n"
	       "                             [max-pasids N]\n"
	       "       pasidctl proc help\n");
	return 0;
}

struct pshow {
	struct out_list l;
	struct devref dev;
	bool by_dev;
	int kind;
	/*
	 * The process being received: a dump splits a process with many
	 * bonds over consecutive messages with the same pid, so hold it
	 * until a message about another one arrives.
	 */
	struct json_object *pending;
	int64_t last_pid;	/* the last process printed: resume point */
	int64_t want_pid;	/* proc show PID: the only one to accept */
};

/* Does the process have a bond matching the dev/kind filter? */
static bool bond_filter(struct pshow *s, struct json_object *o)
{
	struct json_object *arr;
	char h[256];
	size_t i;

	if (!s->by_dev && s->kind < 0)
		return true;
	if (!json_object_object_get_ex(o, "bond", &arr))
		return false;
	dev_handle(&s->dev, h, sizeof(h));
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *b = json_object_array_get_idx(arr, i);
		const char *k = jget_str(b, "kind");
		const char *bh = jget_str(b, "handle");

		if (s->by_dev && (!bh || strcmp(bh, h)))
			continue;
		if (s->kind >= 0 && (!k || strcmp(k, kind_name(s->kind))))
			continue;
		return true;
	}
	return false;
}

static void pshow_flush(struct pshow *s)
{
	if (!s->pending)
		return;
	s->last_pid = jget_int(s->pending, "pid", 0);
	if (bond_filter(s, s->pending))
		out_list_item(&s->l, s->pending, print_proc_text);
	json_object_put(s->pending);
	s->pending = NULL;
}

static int pshow_one(struct pctx *ctx, struct json_object *o, void *arg)
{
	struct pshow *s = arg;
	struct json_object *more, *arr;
	size_t i;

	if (s->want_pid && jget_int(o, "pid", -1) != s->want_pid)
		return perr(ctx, PE_KERNEL, "the kernel replied about another process");
	if (s->pending && jget_int(o, "pid", -1) == jget_int(s->pending, "pid", -2)) {
		/* the rest of the same process's bonds */
		if (!json_object_object_get_ex(o, "bond", &more))
			return 0;
		if (!json_object_object_get_ex(s->pending, "bond", &arr)) {
			arr = json_object_new_array();
			json_object_object_add(s->pending, "bond", arr);
		}
		for (i = 0; i < json_object_array_length(more); i++)
			json_object_array_add(arr, json_object_get(json_object_array_get_idx(more, i)));
		return 0;
	}
	pshow_flush(s);
	s->pending = json_object_get(o);
	return 0;
}

/* Before a rerun (o == NULL) drop the half-received process; then skip
 * the processes already printed. */
static bool pid_seen(struct json_object *o, void *arg)
{
	struct pshow *s = arg;

	if (!o) {
		json_object_put(s->pending);
		s->pending = NULL;
		return false;
	}
	return jget_int(o, "pid", 0) <= s->last_pid;
}

/*
 * The unfiltered listing, printed as the messages come, without building
 * json-c objects (the cost of a dump is then mostly receiving it): the
 * same text and the same JSON as print_proc_text() and json-c make of the
 * merged objects above. A process whose bonds fill several messages is
 * held as text until a message about another one comes.
 */
struct pstream {
	struct out_list *l;
	struct sbuf cur;	/* JSON or text of the process being received */
	size_t bond_at;		/* where its bond array ends, 0: none */
	bool open;		/* a process is being received */
	bool has_pid;
	int64_t pid, last_pid;
	bool rerun;
};

/*
 * The process being received is complete: print it. Until then it is held
 * (a rerun drops it, an error leaves it unprinted, as pnl_dump() does), and
 * what is printed goes through stdio, so an error comes after it.
 */
static void stream_flush(struct pstream *s)
{
	if (!s->open)
		return;
	s->last_pid = s->has_pid ? s->pid : 0;
	if (s->l->ctx->json)
		out_list_item_text(s->l, s->cur.p, s->cur.len);
	else
		fwrite(s->cur.p, 1, s->cur.len, stdout);
	s->open = false;
}

static void sb_kw_u32(struct sbuf *b, const char *kw, size_t kwlen,
		      const struct nlattr *nla)
{
	if (!nla)
		return;
	sb_put(b, kw, kwlen);
	sb_u64(b, pa_u32(nla));
}

#define KW(s) s, sizeof(s) - 1

/* Text: the bond lines of @m, as print_bond_text(b, true, false) does. */
static void stream_bond_lines(struct sbuf *t, const struct pnl_scan *m)
{
	struct nlattr *nla, *first = m->first[IOMMU_PASID_A_MM_BOND];
	struct pnl_scan bs;
	int rem;

	if (!first)
		return;
	pa_for_each(nla, first, (int)(m->end - (char *)first), rem) {
		struct nlattr *bus, *name;

		if (pa_type(nla) != IOMMU_PASID_A_MM_BOND)
			continue;
		pnl_scan_bond(nla, &bs);
		sb_put(t, KW("    bond "));
		bus = bs.last[IOMMU_PASID_A_BOND_BUS_NAME];
		name = bs.last[IOMMU_PASID_A_BOND_DEV_NAME];
		if (bus && name) {
			sb_tsafe_handle(t, pa_str(bus), pa_str(name));
		} else {
			sb_putc(t, '?');
		}
		sb_kw_u32(t, KW(" pasid "), bs.last[IOMMU_PASID_A_BOND_PASID]);
		if (bs.last[IOMMU_PASID_A_BOND_KIND]) {
			sb_put(t, KW(" kind "));
			sb_puts(t, kind_name(pa_u32(bs.last[IOMMU_PASID_A_BOND_KIND])));
		}
		sb_kw_u32(t, KW(" users "), bs.last[IOMMU_PASID_A_BOND_USERS]);
		sb_putc(t, '\n');
	}
}

/* Text: what print_proc_text() prints of one message. */
static int stream_text(struct pctx *ctx, struct pstream *s,
		       const struct pnl_scan *m, bool head)
{
	struct sbuf *t = &s->cur;

	if (head) {
		struct nlattr *comm = m->last[IOMMU_PASID_A_MM_COMM];
		struct nlattr *mode = m->last[IOMMU_PASID_A_MM_MODE];

		sb_put(t, KW("pid "));
		sb_u64(t, s->pid);
		sb_put(t, KW(" comm "));
		if (comm)
			sb_tsafe(t, pa_str(comm));
		else
			sb_putc(t, '?');
		sb_kw_u32(t, KW(" pasid "), m->last[IOMMU_PASID_A_MM_PASID]);
		if (mode) {
			sb_put(t, KW(" mode "));
			sb_puts(t, mode_name(pa_u32(mode)));
		}
		sb_kw_u32(t, KW(" max-pasids "), m->last[IOMMU_PASID_A_MM_MAX_PASIDS]);
		sb_putc(t, '\n');
	}
	stream_bond_lines(t, m);
	return t->oom ? perr(ctx, PE_KERNEL, "out of memory") : 0;
}

static int stream_msg(struct pctx *ctx, const struct pnl_scan *m, void *arg)
{
	struct pstream *s = arg;
	struct nlattr *p = m ? m->last[IOMMU_PASID_A_MM_PID] : NULL;
	int64_t pid = p ? pa_u32(p) : 0;

	if (!m) {
		/* a rerun: drop the half-received process, skip the printed */
		s->open = false;
		s->rerun = true;
		return 0;
	}
	if (s->rerun && pid <= s->last_pid)
		return 0;
	if (s->open && p && s->has_pid && pid == s->pid) {
		/* the rest of the same process's bonds */
		struct sbuf more = { 0 };

		if (!ctx->json)
			return stream_text(ctx, s, m, false);
		pnl_json_nests(&more, AS_MM, m, IOMMU_PASID_A_MM_BOND);
		if (more.oom) {
			s->cur.oom = true;
		} else if (more.len && s->bond_at) {
			sb_insert(&s->cur, s->bond_at, more.p, more.len);
			s->bond_at += more.len;
		} else if (more.len) {
			/* json-c adds the array last */
			struct sbuf arr = { 0 };

			sb_puts(&arr, s->cur.len > 2 ? ",\"bond\":[" : "\"bond\":[");
			sb_put(&arr, more.p + 1, more.len - 1);
			s->bond_at = s->cur.len - 1 + arr.len;
			sb_put(&arr, "]", 1);
			if (arr.oom)
				s->cur.oom = true;
			else
				sb_insert(&s->cur, s->cur.len - 1, arr.p, arr.len);
			free(arr.p);
		}
		free(more.p);
		return s->cur.oom ? perr(ctx, PE_KERNEL, "out of memory") : 0;
	}
	stream_flush(s);
	s->open = true;
	s->has_pid = p;
	s->pid = pid;
	s->cur.len = 0;
	if (!ctx->json)
		return stream_text(ctx, s, m, true);
	pnl_json_text(&s->cur, AS_MM, m, IOMMU_PASID_A_MM_BOND, &s->bond_at);
	return s->cur.oom ? perr(ctx, PE_KERNEL, "out of memory") : 0;
}

static int proc_show(struct pctx *ctx, struct args *a)
{
	struct pshow s = { .kind = -1 };
	struct nl_msg *msg;
	uint32_t pid = 0, k;
	const char *w;
	int ret;

	if ((w = args_peek(a)) && strcmp(w, "dev") && strcmp(w, "kind") &&
	    strcmp(w, "help"))
		PARSE(ctx, parse_pid, args_next(a), &pid);
	while ((w = args_next(a))) {
		if (!strcmp(w, "dev")) {
			if (!(w = args_next(a)))
				return perr(ctx, PE_USAGE, "\"dev\" needs a device");
			ret = dev_resolve(ctx, w, &s.dev);
			if (ret)
				return ret;
			s.by_dev = true;
		} else if (!strcmp(w, "kind")) {
			if (!(w = kw_value(ctx, a, "kind")))
				return -PE_USAGE;
			PARSE(ctx, parse_kind, w, &k);
			s.kind = k;
		} else if (!strcmp(w, "help")) {
			return proc_help(ctx, a);
		} else {
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for proc show", w);
		}
	}
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	if (pid) {
		msg = pnl_new(ctx, IOMMU_PASID_CMD_MM_GET, 0);
		if (!msg || nla_put_u32(msg, IOMMU_PASID_A_MM_PID, pid))
			return pnl_build_failed(ctx, msg);
		/* Print nothing until the kernel answered: no half a document. */
		out_list_begin(&s.l, ctx, "proc");
		s.want_pid = pid;
		ret = pnl_do(ctx, msg, AS_MM, pshow_one, &s);
		if (!ret)
			pshow_flush(&s);
		out_list_end(&s.l, ret);
		json_object_put(s.pending);
		return ret;
	}
	msg = pnl_new(ctx, IOMMU_PASID_CMD_MM_GET, NLM_F_DUMP);
	if (!msg ||
	    (s.by_dev && (nla_put_string(msg, IOMMU_PASID_A_MM_BUS_NAME, s.dev.bus) ||
			  nla_put_string(msg, IOMMU_PASID_A_MM_DEV_NAME, s.dev.name))) ||
	    (s.kind >= 0 && nla_put_u32(msg, IOMMU_PASID_A_MM_KIND, s.kind)))
		return pnl_build_failed(ctx, msg);
	out_list_begin(&s.l, ctx, "proc");
	if (!s.by_dev && s.kind < 0 && !ctx->pretty && !ctx->no_stream) {
		struct pstream st = { .l = &s.l };

		ret = pnl_dump_raw(ctx, msg, AS_MM, stream_msg, &st);
		if (!ret)
			stream_flush(&st);
		free(st.cur.p);
		out_list_end(&s.l, ret);
		return ret;
	}
	ret = pnl_dump(ctx, msg, AS_MM, pshow_one, &s, pid_seen);
	if (!ret)
		pshow_flush(&s);
	json_object_put(s.pending);
	out_list_end(&s.l, ret);
	return ret;
}

static int proc_set(struct pctx *ctx, struct args *a)
{
	uint32_t pid, mode = 0, max = 0;
	bool have_mode = false, have_max = false;
	struct nl_msg *msg;
	const char *w;
	int ret;

	if (!(w = args_next(a)))
		return perr(ctx, PE_USAGE, "proc set needs a process id");
	PARSE(ctx, parse_pid, w, &pid);
	while ((w = args_next(a))) {
		if (!strcmp(w, "mode")) {
			if (!(w = kw_value(ctx, a, "mode")))
				return -PE_USAGE;
			PARSE(ctx, parse_mode, w, true, &mode);
			have_mode = true;
		} else if (!strcmp(w, "max-pasids")) {
			if (!(w = kw_value(ctx, a, "max-pasids")))
				return -PE_USAGE;
			PARSE(ctx, parse_u32, w, PASID_MAX + 1, &max);
			have_max = true;
		} else {
			return perr(ctx, PE_USAGE, "unknown keyword \"%s\" for proc set", w);
		}
	}
	if (!have_mode && !have_max)
		return perr(ctx, PE_USAGE, "proc set needs mode or max-pasids");
	ret = pnl_open(ctx);
	if (ret)
		return ret;
	msg = pnl_new(ctx, IOMMU_PASID_CMD_MM_SET, 0);
	if (!msg || nla_put_u32(msg, IOMMU_PASID_A_MM_PID, pid) ||
	    (have_mode && nla_put_u32(msg, IOMMU_PASID_A_MM_MODE, mode)) ||
	    (have_max && nla_put_u32(msg, IOMMU_PASID_A_MM_MAX_PASIDS, max)))
		return pnl_build_failed(ctx, msg);
	return pnl_do(ctx, msg, AS_MM, NULL, NULL);
}

static const struct cmd proc_cmds[] = {
	{ NULL, proc_show },
	{ "show", proc_show },
	{ "set", proc_set },
	{ "help", proc_help },
	{ NULL, NULL },
};

int cmd_proc(struct pctx *ctx, struct args *a)
{
	return run_cmd(ctx, proc_cmds, a, "proc");
}
