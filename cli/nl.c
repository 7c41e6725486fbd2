// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to the iommu-pasid family with libnl-genl-3: family lookup,
 * requests, dumps, the kernel's extended ACK, and turning replies into JSON
 * objects keyed by the spec's attribute names.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "iommu_pasid.h"
#include "pasidctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Attribute tables: spec name and how to print each attribute. */
enum atype { T_U32, T_BOOL, T_STR, T_MODE, T_KIND, T_RESV, T_BOND };

struct adesc {
	const char *name;
	unsigned char len;	/* strlen(name) */
	enum atype type;
};

#define A(n, t) { n, sizeof(n) - 1, t }

static const struct adesc resv_attrs[IOMMU_PASID_A_RESV_MAX + 1] = {
	[IOMMU_PASID_A_RESV_FIRST] = A("first", T_U32),
	[IOMMU_PASID_A_RESV_LAST] = A("last", T_U32),
	[IOMMU_PASID_A_RESV_LABEL] = A("label", T_STR),
	[IOMMU_PASID_A_RESV_BUS_NAME] = A("bus-name", T_STR),
	[IOMMU_PASID_A_RESV_DEV_NAME] = A("dev-name", T_STR),
};

static const struct adesc bond_attrs[IOMMU_PASID_A_BOND_MAX + 1] = {
	[IOMMU_PASID_A_BOND_BUS_NAME] = A("bus-name", T_STR),
	[IOMMU_PASID_A_BOND_DEV_NAME] = A("dev-name", T_STR),
	[IOMMU_PASID_A_BOND_PID] = A("pid", T_U32),
	[IOMMU_PASID_A_BOND_PASID] = A("pasid", T_U32),
	[IOMMU_PASID_A_BOND_KIND] = A("kind", T_KIND),
	[IOMMU_PASID_A_BOND_USERS] = A("users", T_U32),
};

static const struct adesc dev_attrs[IOMMU_PASID_A_DEV_MAX + 1] = {
	[IOMMU_PASID_A_DEV_BUS_NAME] = A("bus-name", T_STR),
	[IOMMU_PASID_A_DEV_DEV_NAME] = A("dev-name", T_STR),
	[IOMMU_PASID_A_DEV_IOMMU_GROUP] = A("iommu-group", T_U32),
	[IOMMU_PASID_A_DEV_MAX_PASIDS] = A("max-pasids", T_U32),
	[IOMMU_PASID_A_DEV_POOL_MIN] = A("pool-min", T_U32),
	[IOMMU_PASID_A_DEV_POOL_MAX] = A("pool-max", T_U32),
	[IOMMU_PASID_A_DEV_MODE] = A("mode", T_MODE),
	[IOMMU_PASID_A_DEV_LOCAL_OK] = A("local-ok", T_BOOL),
	[IOMMU_PASID_A_DEV_GROUP_MAX_PASIDS] = A("group-max-pasids", T_U32),
	[IOMMU_PASID_A_DEV_ALLOCATED] = A("allocated", T_U32),
	[IOMMU_PASID_A_DEV_RESERVED] = A("reserved", T_U32),
	[IOMMU_PASID_A_DEV_BONDS_GLOBAL] = A("bonds-global", T_U32),
	[IOMMU_PASID_A_DEV_BONDS_LOCAL] = A("bonds-local", T_U32),
	[IOMMU_PASID_A_DEV_RESV] = A("resv", T_RESV),
	[IOMMU_PASID_A_DEV_BOND] = A("bond", T_BOND),
};

static const struct adesc mm_attrs[IOMMU_PASID_A_MM_MAX + 1] = {
	[IOMMU_PASID_A_MM_PID] = A("pid", T_U32),
	[IOMMU_PASID_A_MM_COMM] = A("comm", T_STR),
	[IOMMU_PASID_A_MM_PASID] = A("pasid", T_U32),
	[IOMMU_PASID_A_MM_MODE] = A("mode", T_MODE),
	[IOMMU_PASID_A_MM_MAX_PASIDS] = A("max-pasids", T_U32),
	[IOMMU_PASID_A_MM_BOND] = A("bond", T_BOND),
	[IOMMU_PASID_A_MM_BUS_NAME] = A("bus-name", T_STR),
	[IOMMU_PASID_A_MM_DEV_NAME] = A("dev-name", T_STR),
	[IOMMU_PASID_A_MM_KIND] = A("kind", T_KIND),
};

static const struct adesc global_attrs[IOMMU_PASID_A_GLOBAL_MAX + 1] = {
	[IOMMU_PASID_A_GLOBAL_FLOOR] = A("floor", T_U32),
	[IOMMU_PASID_A_GLOBAL_IN_USE] = A("in-use", T_U32),
	[IOMMU_PASID_A_GLOBAL_LOCAL_VALUES] = A("local-values", T_U32),
};

struct aset {
	const struct adesc *a;
	int max;
	int id;		/* its policy's place in policy_of() */
	int bus, dev;	/* its "bus-name" and "dev-name", 0: none */
};

enum { PS_BOND = AS_RESV + 1, PS_DEVRESV, PS_NR };

static const struct aset asets[] = {
	[AS_DEV] = { dev_attrs, IOMMU_PASID_A_DEV_MAX, AS_DEV,
		     IOMMU_PASID_A_DEV_BUS_NAME, IOMMU_PASID_A_DEV_DEV_NAME },
	[AS_MM] = { mm_attrs, IOMMU_PASID_A_MM_MAX, AS_MM,
		    IOMMU_PASID_A_MM_BUS_NAME, IOMMU_PASID_A_MM_DEV_NAME },
	[AS_GLOBAL] = { global_attrs, IOMMU_PASID_A_GLOBAL_MAX, AS_GLOBAL, 0, 0 },
	/* requests: resv-new, resv-del */
	[AS_RESV] = { resv_attrs, IOMMU_PASID_A_RESV_MAX, AS_RESV,
		      IOMMU_PASID_A_RESV_BUS_NAME, IOMMU_PASID_A_RESV_DEV_NAME },
};

/*
 * A reservation as dev-get lists it, the dev-resv subset of resv: its first
 * attributes, so anything past label (a device handle) is unknown there.
 */
_Static_assert(IOMMU_PASID_A_RESV_FIRST < IOMMU_PASID_A_RESV_LABEL &&
	       IOMMU_PASID_A_RESV_LAST < IOMMU_PASID_A_RESV_LABEL &&
	       IOMMU_PASID_A_RESV_LABEL < IOMMU_PASID_A_RESV_BUS_NAME &&
	       IOMMU_PASID_A_RESV_LABEL < IOMMU_PASID_A_RESV_DEV_NAME,
	       "dev-resv is no longer the first attributes of resv");
static const struct aset devresv_set = { resv_attrs, IOMMU_PASID_A_RESV_LABEL, PS_DEVRESV,
					 0, 0 };
static const struct aset bond_set = { bond_attrs, IOMMU_PASID_A_BOND_MAX, PS_BOND,
				      IOMMU_PASID_A_BOND_BUS_NAME,
				      IOMMU_PASID_A_BOND_DEV_NAME };

_Static_assert(IOMMU_PASID_A_DEV_MAX <= PNL_SCAN_MAX &&
	       IOMMU_PASID_A_MM_MAX <= PNL_SCAN_MAX &&
	       IOMMU_PASID_A_GLOBAL_MAX <= PNL_SCAN_MAX &&
	       IOMMU_PASID_A_RESV_MAX <= PNL_SCAN_MAX &&
	       IOMMU_PASID_A_BOND_MAX <= PNL_SCAN_MAX,
	       "an attribute set outgrew struct pnl_scan");

/* The longest string attribute pasidctl takes from the kernel. */
#define STR_MAX 256

/*
 * The libnl policy of an attribute set, made from its table above, so the
 * types are written once: every attribute of a reply is checked against it
 * before its value is read.
 */
static void make_policy(const struct aset *set, struct nla_policy *pol)
{
	int t;

	for (t = 0; t <= set->max; t++) {
		memset(&pol[t], 0, sizeof(pol[t]));
		if (!set->a[t].name)
			continue;
		switch (set->a[t].type) {
		case T_STR:
			pol[t].type = NLA_STRING;
			pol[t].maxlen = STR_MAX;
			break;
		case T_RESV:
		case T_BOND:
			pol[t].type = NLA_NESTED;
			break;
		default:
			pol[t].type = NLA_U32;
			pol[t].minlen = pol[t].maxlen = sizeof(uint32_t);
			break;
		}
	}
}

/* Made once, before main(): the tables are constant. */
static struct nla_policy pols[PS_NR][PNL_SCAN_MAX + 1];

__attribute__((constructor)) static void make_policies(void)
{
	int i;

	for (i = 0; i < PS_NR; i++)
		make_policy(i == PS_BOND ? &bond_set : i == PS_DEVRESV ? &devresv_set :
			    &asets[i], pols[i]);
}

static const struct nla_policy *policy_of(const struct aset *set)
{
	return pols[set->id];
}

static const struct aset *nest_set(const struct aset *set, int t)
{
	return set->a[t].type == T_RESV ? &devresv_set : &bond_set;
}

/*
 * One walk of the attributes at @head, in place of nla_validate() and a
 * walk per value: with @check, each attribute is checked against @set's
 * policy as nla_validate() checks it (the fuzzer of kernel messages holds
 * the two to the same verdict on every input), nests at every depth, and
 * no bytes may be left that make no attribute (libnl would skip them);
 * without, the attributes are ones a checked walk has passed. With @s, it
 * also records where each known attribute first appears and its last
 * value. False if anything is malformed. Attributes pasidctl does not know
 * (a newer kernel) pass unchecked and unrecorded.
 */
static bool walk(const struct aset *set, struct nlattr *head, int len,
		 struct pnl_scan *s, bool check)
{
	const struct nla_policy *pol = policy_of(set);
	struct nlattr *nla;
	int rem;

	if (len < 0)
		return false;
	if (s) {
		memset(s->first, 0, sizeof(s->first[0]) * (set->max + 1));
		memset(s->last, 0, sizeof(s->last[0]) * (set->max + 1));
		s->n = 0;
		s->len = len;
		s->end = (char *)head + len;
	}
	pa_for_each(nla, head, len, rem) {
		int t = pa_type(nla);
		int alen = pa_len(nla);
		const struct nla_policy *p;

		if (t <= 0 || t > set->max || pol[t].type == NLA_UNSPEC)
			continue;
		p = &pol[t];
		if (check &&
		    ((alen < p->minlen || (p->maxlen && alen > p->maxlen)) ||
		     (p->type == NLA_STRING && (!alen || pa_str(nla)[alen - 1])) ||
		     (p->type == NLA_NESTED &&
		      !walk(nest_set(set, t), pa_data(nla), alen, NULL, true))))
			return false;
		if (s && !s->first[t]) {
			s->first[t] = nla;
			s->order[s->n++] = t;
		}
		if (s)
			s->last[t] = nla;
	}
	return !check || rem <= 0;
}

/* A checked walk: see walk(). */
static bool scan(const struct aset *set, struct nlattr *head, int len,
		 struct pnl_scan *s)
{
	return walk(set, head, len, s, true);
}

/* Record a nest that scan() has already checked, without checking it again. */
static void record(const struct aset *set, struct nlattr *head, int len,
		   struct pnl_scan *s)
{
	walk(set, head, len, s, false);
}

/* Are the attributes at @head valid for @set, at every depth? */
static bool attrs_valid(const struct aset *set, struct nlattr *head, int len)
{
	return scan(set, head, len, NULL);
}

/* For the fuzzer: scan()'s verdict and nla_validate()'s, at the top level. */
void pnl_validate_both(int attrset, struct nlattr *head, int len,
		       bool *fast, bool *libnl)
{
	const struct aset *set = &asets[attrset];
	struct nlattr *nla;
	int rem;

	*fast = scan(set, head, len, NULL);
	*libnl = len >= 0 && !nla_validate(head, len, set->max, policy_of(set));
	if (*libnl) {
		nla_for_each_attr(nla, head, len, rem)
			;
		*libnl = rem <= 0;
	}
	/* the nests, as attrs_to_json() used to check them: each on its own */
	if (*libnl) {
		nla_for_each_attr(nla, head, len, rem) {
			int t = nla_type(nla);
			const struct aset *sub;
			struct nlattr *n2;
			int r2;

			if (t <= 0 || t > set->max || !set->a[t].name ||
			    (set->a[t].type != T_RESV && set->a[t].type != T_BOND))
				continue;
			sub = nest_set(set, t);
			if (nla_validate(nla_data(nla), nla_len(nla), sub->max,
					 policy_of(sub))) {
				*libnl = false;
				break;
			}
			nla_for_each_attr(n2, nla_data(nla), nla_len(nla), r2)
				;
			if (r2 > 0) {
				*libnl = false;
				break;
			}
		}
	}
}

/* "bus/name" as a "handle" key first, when both halves are present. */
static void add_handle(struct json_object *o)
{
	const char *bus = jget_str(o, "bus-name");
	const char *name = jget_str(o, "dev-name");
	char h[2 * STR_MAX];

	if (!bus || !name)
		return;
	snprintf(h, sizeof(h), "%s/%s", bus, name);
	json_object_object_add(o, "handle", json_object_new_string(h));
}

/*
 * The attributes at @head as a JSON object keyed by their spec names, or
 * NULL if any of them is malformed (short, unterminated, too long), at any
 * depth: a reply that fails validation is an error, never a garbage value.
 */
static struct json_object *attrs_to_json(const struct aset *set,
					 struct nlattr *head, int len)
{
	struct json_object *o;
	struct nlattr *nla;
	int rem;

	if (len < 0 || !attrs_valid(set, head, len))
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	/* handle first, so it leads in the output */
	json_object_object_add(o, "handle", NULL);
	nla_for_each_attr(nla, head, len, rem) {
		int t = nla_type(nla);
		const struct adesc *d;
		struct json_object *arr, *sub;

		if (t <= 0 || t > set->max || !set->a[t].name)
			continue;	/* newer kernel: skip what we do not know */
		d = &set->a[t];
		switch (d->type) {
		case T_U32:
			json_object_object_add(o, d->name,
					       json_object_new_int64(nla_get_u32(nla)));
			break;
		case T_BOOL:	/* a u32 that is 0 or 1 */
			json_object_object_add(o, d->name,
					       json_object_new_int(!!nla_get_u32(nla)));
			break;
		case T_STR:
			json_object_object_add(o, d->name,
					       json_object_new_string(nla_get_string(nla)));
			break;
		case T_MODE:
			json_object_object_add(o, d->name,
					       json_object_new_string(mode_name(nla_get_u32(nla))));
			break;
		case T_KIND:
			json_object_object_add(o, d->name,
					       json_object_new_string(kind_name(nla_get_u32(nla))));
			break;
		case T_RESV:
		case T_BOND:
			sub = attrs_to_json(d->type == T_RESV ? &devresv_set : &bond_set,
					    nla_data(nla), nla_len(nla));
			if (!sub) {
				json_object_put(o);
				return NULL;
			}
			if (!json_object_object_get_ex(o, d->name, &arr)) {
				arr = json_object_new_array();
				json_object_object_add(o, d->name, arr);
			}
			json_object_array_add(arr, sub);
			break;
		}
	}
	add_handle(o);
	if (!json_object_object_get(o, "handle"))
		json_object_object_del(o, "handle");
	return o;
}

/* Write @d's value at @w, within the room json_object_text() made. */
static char *json_scalar(char *w, const struct adesc *d, struct nlattr *nla)
{
	switch (d->type) {
	case T_U32:
		return u64_to(w, pa_u32(nla));
	case T_BOOL:
		*w++ = pa_u32(nla) ? '1' : '0';
		return w;
	case T_STR:
		*w++ = '"';
		w = jraw_to(w, pa_str(nla));
		break;
	case T_MODE:
		*w++ = '"';
		w = jraw_to(w, mode_name(pa_u32(nla)));
		break;
	case T_KIND:
		*w++ = '"';
		w = jraw_to(w, kind_name(pa_u32(nla)));
		break;
	default:
		return w;
	}
	*w++ = '"';
	return w;
}

static void json_object_text(struct sbuf *b, const struct aset *set,
			     const struct pnl_scan *s, int mark, size_t *mark_at);

/*
 * The nests of type @t from @from to @end, as comma-separated objects; a
 * comma first unless @first.
 */
static void json_nests(struct sbuf *b, const struct aset *set, int t,
		       struct nlattr *from, const char *end, bool first)
{
	const struct aset *sub = nest_set(set, t);
	struct pnl_scan ns;
	struct nlattr *nla;
	int rem;

	pa_for_each(nla, from, (int)(end - (char *)from), rem) {
		if (pa_type(nla) != t)
			continue;
		record(sub, pa_data(nla), pa_len(nla), &ns);
		if (!first)
			sb_putc(b, ',');
		first = false;
		json_object_text(b, sub, &ns, -1, NULL);
	}
}

/*
 * Room for an object's text but its nests: no value is longer, escaped,
 * than 6 bytes a byte of its attribute (the mode and kind names than 6 a
 * byte of their u32), a name and its punctuation take less than 64, and
 * the handle repeats two of the values.
 */
static char *json_room(struct sbuf *b, const struct pnl_scan *s)
{
	size_t room = 12 * (size_t)s->len + 64 * (s->n + 2);

	return sb_grow(b, room) ? b->p + b->len + room : NULL;
}

/*
 * A scanned object as the plain JSON text json-c makes of attrs_to_json()'s
 * object: "handle" first when both names are there, then each known
 * attribute where it first appears, with the value it last has, and each
 * kind of nest as one array there. *@mark_at gets where the array of nests
 * @mark ends (its ']'), or 0 if there is none. On allocation failure the
 * buffer is left oom.
 */
static void json_object_text(struct sbuf *b, const struct aset *set,
			     const struct pnl_scan *s, int mark, size_t *mark_at)
{
	bool any = false;
	char *w, *end;
	int i, t;

	if (mark_at)
		*mark_at = 0;
	end = json_room(b, s);
	if (!end)
		return;
	w = b->p + b->len;
	*w++ = '{';
	if (set->bus && s->last[set->bus] && s->last[set->dev]) {
		/* the JSON string "bus/name": '/' is not escaped */
		memcpy(w, "\"handle\":\"", 10);
		w = jraw_to(w + 10, pa_str(s->last[set->bus]));
		*w++ = '/';
		w = jraw_to(w, pa_str(s->last[set->dev]));
		*w++ = '"';
		any = true;
	}
	for (i = 0; i < s->n; i++) {
		const struct adesc *d = &set->a[s->order[i]];

		t = s->order[i];
		if (any)
			*w++ = ',';
		any = true;
		*w++ = '"';
		memcpy(w, d->name, d->len);
		w += d->len;
		*w++ = '"';
		*w++ = ':';
		if (d->type != T_RESV && d->type != T_BOND) {
			w = json_scalar(w, d, s->last[t]);
			continue;
		}
		*w++ = '[';
		/* the bound of json_room() holds, or it is a bug: stop here */
		assert(w <= end);
		b->len = w - b->p;
		json_nests(b, set, t, s->first[t], s->end, true);
		if (t == mark && mark_at)
			*mark_at = b->len;
		end = json_room(b, s);
		if (!end)
			return;
		w = b->p + b->len;
		*w++ = ']';
	}
	*w++ = '}';
	assert(w <= end);
	*w = '\0';
	b->len = w - b->p;
}

/* A pnl_dump_raw() message, scanned, as JSON text: see json_object_text(). */
void pnl_json_text(struct sbuf *b, int attrset, const struct pnl_scan *s,
		   int mark, size_t *mark_at)
{
	json_object_text(b, &asets[attrset], s, mark, mark_at);
}

/* The nests of attribute @t of a scanned message, each after a comma. */
void pnl_json_nests(struct sbuf *b, int attrset, const struct pnl_scan *s, int t)
{
	if (s->first[t])
		json_nests(b, &asets[attrset], t, s->first[t], s->end, false);
}

/* The attributes of a bond nest of a scanned message (for text printers). */
void pnl_scan_bond(struct nlattr *nla, struct pnl_scan *s)
{
	record(&bond_set, pa_data(nla), pa_len(nla), s);
}

/*
 * A family message as JSON, or NULL if it is malformed: too short for its
 * generic netlink header, or with attributes that fail validation.
 */
struct json_object *pnl_to_json(struct pctx *ctx, struct nl_msg *msg,
			       int attrset)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (!genlmsg_valid_hdr(nlh, 0) ||
	    (ctx->family && nlh->nlmsg_type != ctx->family))
		return NULL;
	return attrs_to_json(&asets[attrset], genlmsg_attrdata(nlmsg_data(nlh), 0),
			     genlmsg_attrlen(nlmsg_data(nlh), 0));
}

/* The spec name of the request attribute at byte @off of @req. */
static const char *attr_at(struct nl_msg *req, int attrset, uint32_t off)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		int t = nla_type(nla);

		if ((char *)nla - (char *)nlh == (long)off &&
		    t > 0 && t <= asets[attrset].max)
			return asets[attrset].a[t].name;
	}
	return NULL;
}

struct req {
	struct pctx *ctx;
	struct nl_msg *msg;
	int attrset;
	pnl_obj_cb cb;
	void *arg;
	bool (*seen)(struct json_object *, void *);
	pnl_raw_cb raw;
	bool done;
	bool intr;
	int err;	/* positive errno from the kernel */
	int cberr;	/* negative error class from the callback */
};

static void take_extack(struct req *r, struct nlattr *tlvs, int len)
{
	static const struct nla_policy pol[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING, .maxlen = 1024 },
		[NLMSGERR_ATTR_OFFS] = { .type = NLA_U32 },
	};
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct pctx *ctx = r->ctx;

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, tlvs, len, pol))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(ctx->kmsg, sizeof(ctx->kmsg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS] && r->msg)
		ctx->kattr = attr_at(r->msg, r->attrset,
				     nla_get_u32(tb[NLMSGERR_ATTR_OFFS]));
}

/* A kernel error code: 0 or a negative errno, anything else is garbage. */
static int kernel_errno(int error)
{
	if (error > 0 || error < -4095)
		return EPROTO;
	return -error;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req *r = arg;
	size_t ack_len = NLMSG_HDRLEN + sizeof(*e);

	(void)nla;
	r->done = true;
	if (nlh->nlmsg_len < ack_len) {
		r->err = EPROTO;
		return NL_STOP;
	}
	/*
	 * Without NLM_F_CAPPED the request follows the error, and the extack
	 * after it; its length is the kernel's word, so check it against
	 * what was received before skipping it.
	 */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
		    e->msg.nlmsg_len - NLMSG_HDRLEN > nlh->nlmsg_len - ack_len)
			goto out;
		ack_len += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && ack_len < nlh->nlmsg_len)
		take_extack(r, (struct nlattr *)((char *)nlh + ack_len),
			    nlh->nlmsg_len - ack_len);
out:
	r->err = kernel_errno(e->error);
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req *r = arg;

	/* A dump's NLMSG_DONE carries its error, and the extack after it. */
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		int err = *(int *)nlmsg_data(nlh);

		if (err) {
			r->err = kernel_errno(err);
			if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
				take_extack(r, (struct nlattr *)((char *)nlmsg_data(nlh) + sizeof(int)),
					    nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(int));
		}
	}
	r->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int on_intr(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->intr = true;
	return NL_OK;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	struct json_object *o;
	int ret = 0;

	if (r->raw && !r->cberr) {
		struct nlmsghdr *nlh = nlmsg_hdr(msg);
		struct pnl_scan s;

		/* checked as pnl_to_json() checks, without building objects */
		if (!genlmsg_valid_hdr(nlh, 0) ||
		    (r->ctx->family && nlh->nlmsg_type != r->ctx->family) ||
		    !scan(&asets[r->attrset], genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), &s))
			r->cberr = r->ctx->quiet ? -PE_KERNEL :
				   perr(r->ctx, PE_KERNEL, "a malformed reply from the kernel (message type %u)",
					nlh->nlmsg_type);
		else
			r->cberr = r->raw(r->ctx, &s, r->arg);
		return NL_OK;
	}
	if (!r->cb || r->cberr)
		return NL_OK;
	o = pnl_to_json(r->ctx, msg, r->attrset);
	if (!o) {
		r->cberr = r->ctx->quiet ? -PE_KERNEL :
			   perr(r->ctx, PE_KERNEL, "a malformed reply from the kernel (message type %u)",
				nlmsg_hdr(msg)->nlmsg_type);
		return NL_OK;
	}
	if (!r->seen || !r->seen(o, r->arg))
		ret = r->cb(r->ctx, o, r->arg);
	json_object_put(o);
	if (ret < 0)
		r->cberr = ret;
	return NL_OK;
}

static void nl_setopt(struct pctx *ctx, int opt)
{
	int one = 1;

	/* Older kernels lack these; the messages are then just shorter. */
	setsockopt(nl_socket_get_fd(ctx->sk), SOL_NETLINK, opt, &one,
		   sizeof(one));
}

struct fam {
	int id, version, mcgrp;
	bool bad;
};

static int on_family(struct nl_msg *msg, void *arg)
{
	static const struct nla_policy pol[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING, .maxlen = GENL_NAMSIZ },
		[CTRL_ATTR_VERSION] = { .type = NLA_U32 },
		[CTRL_ATTR_MCAST_GROUPS] = { .type = NLA_NESTED },
	};
	static const struct nla_policy gpol[CTRL_ATTR_MCAST_GRP_MAX + 1] = {
		[CTRL_ATTR_MCAST_GRP_NAME] = { .type = NLA_STRING, .maxlen = GENL_NAMSIZ },
		[CTRL_ATTR_MCAST_GRP_ID] = { .type = NLA_U32 },
	};
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
	struct fam *f = arg;
	int rem;

	if (nlmsg_hdr(msg)->nlmsg_type != GENL_ID_CTRL ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX,
			  (struct nla_policy *)pol)) {
		f->bad = true;
		return NL_SKIP;
	}
	if (tb[CTRL_ATTR_FAMILY_ID])
		f->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION])
		f->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return NL_OK;
	nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];

		if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, g,
				     (struct nla_policy *)gpol))
			continue;
		if (gb[CTRL_ATTR_MCAST_GRP_NAME] && gb[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(nla_get_string(gb[CTRL_ATTR_MCAST_GRP_NAME]),
			    IOMMU_PASID_MCGRP_MONITOR))
			f->mcgrp = nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return NL_OK;
}

/* A callback set of our own, cloned from the socket's. */
struct nl_cb *pnl_sock_cb(struct pctx *ctx)
{
	/* nl_socket_get_cb() hands out a reference of its own */
	struct nl_cb *s = nl_socket_get_cb(ctx->sk), *cb;

	if (!s)
		return NULL;
	cb = nl_cb_clone(s);
	nl_cb_put(s);
	return cb;
}

static int run_req(struct pctx *ctx, struct req *r, struct nl_msg *msg,
		   bool dump)
{
	struct nl_cb *cb = pnl_sock_cb(ctx);
	int ret;

	if (!cb)
		return perr(ctx, PE_KERNEL, "out of memory");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_intr, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	ctx->kmsg[0] = '\0';
	ctx->kattr = NULL;
	ctx->kerr = 0;
	r->msg = msg;
	ret = nl_send_auto(ctx->sk, msg);
	while (ret >= 0 && !r->done) {
		ret = nl_recvmsgs(ctx->sk, cb);
		/* a dump's DONE or a do's ACK ends the request */
		if (ret == 0 && dump && r->done)
			break;
	}
	nl_cb_put(cb);
	/* the callback reported already: one error, one line */
	if (r->cberr)
		return r->cberr;
	if (r->err) {
		ctx->kerr = r->err;
		/* no such device, or a family that cannot answer here */
		/* a refusal that names an attribute is the kernel's no */
		if (ctx->quiet)
			return -PE_KERNEL;
		return perr(ctx, r->err == ENODEV ||
			    (r->err == EOPNOTSUPP && !ctx->kattr) ?
			    PE_NOTSUP : PE_KERNEL, "%s",
			    ctx->kmsg[0] ? ctx->kmsg : strerror(r->err));
	}
	if (ret < 0 && !r->done)
		return perr(ctx, PE_KERNEL, "netlink: %s", nl_geterror(ret));
	return 0;
}

/*
 * Look the family up: 0 when present, 1 when the kernel lacks it, or a
 * negative error class (already reported).
 */
int pnl_family_present(struct pctx *ctx)
{
	struct req r = { .ctx = ctx };
	struct fam f = { 0 };
	struct nl_cb *cb;
	struct nl_msg *msg;
	int ret;

	if (ctx->family)
		return 0;
	if (!ctx->sk) {
		ctx->sk = nl_socket_alloc();
		if (!ctx->sk || genl_connect(ctx->sk))
			return perr(ctx, PE_NOTSUP, "cannot open a generic netlink socket: %s",
				    strerror(errno));
		nl_setopt(ctx, NETLINK_EXT_ACK);
		nl_setopt(ctx, NETLINK_CAP_ACK);
		/* read each datagram whole, however big the kernel made it */
		nl_socket_enable_msg_peek(ctx->sk);
	}
	msg = nlmsg_alloc();
	if (!msg)
		return perr(ctx, PE_KERNEL, "out of memory");
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
		    CTRL_CMD_GETFAMILY, 1);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, IOMMU_PASID_FAMILY_NAME);
	cb = pnl_sock_cb(ctx);
	if (!cb) {
		nlmsg_free(msg);
		return perr(ctx, PE_KERNEL, "out of memory");
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_family, &f);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	ret = nl_send_auto(ctx->sk, msg);
	while (ret >= 0 && !r.done)
		ret = nl_recvmsgs(ctx->sk, cb);
	nl_cb_put(cb);
	nlmsg_free(msg);
	if (r.err && r.err != ENOENT)
		return perr(ctx, PE_NOTSUP, "cannot query the generic netlink controller: %s",
			    strerror(r.err));
	if (f.bad || (f.id && f.id < GENL_MIN_ID))
		return perr(ctx, PE_KERNEL, "a malformed reply from the generic netlink controller");
	if (!f.id)
		return 1;
	ctx->family = f.id;
	ctx->family_version = f.version;
	ctx->mcgrp = f.mcgrp;
	return 0;
}

/*
 * The family exists only in the initial network namespace. Whether this
 * process is there can be told only by comparing its network namespace with
 * pid 1's: NETNS_OTHER when they differ. NETNS_INITIAL when they are the
 * same, which in a container with its own pid namespace is the container's,
 * so it says only that pid 1 is no help. NETNS_UNKNOWN when pid 1's is out
 * of reach (reading it needs ptrace access to pid 1).
 */
int pnl_netns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) || stat("/proc/1/ns/net", &init))
		return NETNS_UNKNOWN;
	if (self.st_dev != init.st_dev || self.st_ino != init.st_ino)
		return NETNS_OTHER;
	return NETNS_INITIAL;
}

int pnl_open(struct pctx *ctx)
{
	int ret = pnl_family_present(ctx);

	if (ret != 1)
		return ret;
	switch (pnl_netns()) {
	case NETNS_OTHER:
		return perr(ctx, PE_NOTSUP,
			    "iommu-pasid exists only in the initial network namespace, and this process is in another");
	case NETNS_UNKNOWN:
		return perr(ctx, PE_NOTSUP,
			    "no iommu-pasid netlink family here: this kernel lacks it (it needs the iommu-pasid patches and CONFIG_IOMMU_PASID_NETLINK), or this process is outside the initial network namespace, the only one it exists in");
	default:
		return perr(ctx, PE_NOTSUP,
			    "this kernel has no iommu-pasid netlink family (it needs the iommu-pasid patches and CONFIG_IOMMU_PASID_NETLINK; it exists only in the initial network namespace)");
	}
}

int pnl_join_monitor(struct pctx *ctx)
{
	int ret = pnl_open(ctx);

	if (ret)
		return ret;
	if (!ctx->mcgrp)
		return perr(ctx, PE_NOTSUP, "the iommu-pasid family has no monitor group");
	nl_socket_disable_seq_check(ctx->sk);
	ret = nl_socket_add_membership(ctx->sk, ctx->mcgrp);
	if (ret < 0) {
		if (errno == EPERM || ret == -NLE_PERM)
			return perr(ctx, PE_KERNEL,
				    "joining the iommu-pasid monitor group needs CAP_SYS_ADMIN");
		return perr(ctx, PE_KERNEL, "cannot join the monitor group: %s",
			    nl_geterror(ret));
	}
	return 0;
}

struct nl_msg *pnl_new(struct pctx *ctx, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctx->family, 0, flags,
			 cmd, IOMMU_PASID_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* The reply of a do request; a second one is the kernel's mistake. */
static int keep_obj(struct pctx *ctx, struct json_object *o, void *arg)
{
	struct json_object **out = arg;

	if (*out)
		return perr(ctx, PE_KERNEL, "the kernel sent two replies to one request");
	*out = json_object_get(o);
	return 0;
}

/*
 * Send a do request that has exactly one reply object, stored in *@out
 * (NULL on an error). Frees @msg.
 */
int pnl_do_one(struct pctx *ctx, struct nl_msg *msg, int attrset,
	       struct json_object **out)
{
	int ret;

	*out = NULL;
	ret = pnl_do(ctx, msg, attrset, keep_obj, out);
	if (!ret && !*out)
		ret = perr(ctx, PE_KERNEL, "the kernel sent no reply");
	if (ret) {
		json_object_put(*out);
		*out = NULL;
	}
	return ret;
}

/* A request that could not be built: frees @msg, reports, returns -class. */
int pnl_build_failed(struct pctx *ctx, struct nl_msg *msg)
{
	if (msg)
		nlmsg_free(msg);
	return perr(ctx, PE_KERNEL, "cannot build a netlink message");
}

/* Send a do request; @cb sees the reply object, if any. Frees @msg. */
int pnl_do(struct pctx *ctx, struct nl_msg *msg, int attrset, pnl_obj_cb cb,
	  void *arg)
{
	struct req r = { .ctx = ctx, .attrset = attrset, .cb = cb, .arg = arg };
	int ret;

	if (!msg)
		return pnl_build_failed(ctx, NULL);
	ret = run_req(ctx, &r, msg, false);
	nlmsg_free(msg);
	return r.cberr ? r.cberr : ret;
}

/*
 * Run the dump @tmpl describes; while the kernel marks it interrupted (its
 * state changed under it), run it again, up to four times in all, telling
 * the callback that a rerun starts (seen(NULL) or raw(NULL)) so that it
 * skips what it handed out already. A dump with neither runs once. Frees
 * @msg.
 */
static int dump_retry(struct pctx *ctx, struct nl_msg *msg,
		      const struct req *tmpl)
{
	bool rerunnable = tmpl->seen || tmpl->raw;
	int tries, ret = 0;

	if (!msg)
		return pnl_build_failed(ctx, NULL);
	for (tries = 0; tries < 4; tries++) {
		struct req r = *tmpl;

		if (!tries)
			r.seen = NULL;	/* nothing was handed out yet */
		else if (r.raw)
			r.raw(ctx, NULL, r.arg);
		else
			r.seen(NULL, r.arg);
		nlmsg_hdr(msg)->nlmsg_seq = 0;	/* let libnl renumber */
		ret = run_req(ctx, &r, msg, true);
		if (r.cberr) {
			ret = r.cberr;
			break;
		}
		if (ret || !r.intr || !rerunnable)
			break;
	}
	/* Still changing under every try: say that the listing may mix states. */
	if (!ret && tries == 4 && !ctx->quiet) {
		fflush(stdout);
		fprintf(stderr, "Warning: the listing changed while it was read, %d times; it may mix states\n",
			tries);
	}
	nlmsg_free(msg);
	return ret;
}

/*
 * Send a dump request; @cb sees each object. If the kernel marks the dump
 * interrupted, run it again, skipping what @seen says was already handed
 * out; @seen(NULL) announces each rerun. Frees @msg.
 */
int pnl_dump(struct pctx *ctx, struct nl_msg *msg, int attrset, pnl_obj_cb cb,
	    void *arg, bool (*seen)(struct json_object *, void *))
{
	struct req r = { .ctx = ctx, .attrset = attrset, .cb = cb, .arg = arg,
			 .seen = seen };

	return dump_retry(ctx, msg, &r);
}

/*
 * pnl_dump() for printing as the messages come: @raw sees each validated
 * message, and NULL when a rerun starts; it skips what it printed already.
 * Frees @msg.
 */
int pnl_dump_raw(struct pctx *ctx, struct nl_msg *msg, int attrset,
		 pnl_raw_cb raw, void *arg)
{
	struct req r = { .ctx = ctx, .attrset = attrset, .raw = raw, .arg = arg };

	return dump_retry(ctx, msg, &r);
}

/* A pnl_dump() callback that keeps every object in the json array @array. */
int pnl_collect(struct pctx *ctx, struct json_object *obj, void *array)
{
	(void)ctx;
	json_object_array_add(array, json_object_get(obj));
	return 0;
}

void pnl_close(struct pctx *ctx)
{
	if (ctx->sk)
		nl_socket_free(ctx->sk);
	ctx->sk = NULL;
	ctx->family = 0;
}
