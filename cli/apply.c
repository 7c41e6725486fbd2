// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl apply FILE|- [--dry-run]: make devices' PASID settings what a
 * JSON file says. The file has the shape "pasidctl -j dev show" prints, so
 * that output, trimmed and edited, is a valid file. Entries pick devices by
 * handle or by a udev match; settable keys are mode, pool-min, pool-max and
 * resv (the complete set of reservations). Everything is checked and planned
 * before the first change; running it twice changes nothing the second time.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <netlink/msg.h>

#include "iommu_pasid.h"
#include "pasidctl.h"

/* The kernel keeps at most 32 reservations a device (IOMMU_PASID_MAX_RESV). */
#define MAX_RESV 32
/* The largest file apply reads (pasidctl-apply(8)). */
#define APPLY_MAX_BYTES (1 << 20)

/* what dev show prints and apply ignores */
static const char *const readonly_keys[] = {
	"bus-name", "dev-name", "iommu-group", "max-pasids", "allocated",
	"reserved", "bonds-global", "bonds-local", "bond", "local-ok",
	"group-max-pasids", NULL,
};

static const char *const match_keys[] = {
	"bus-name", "dev-name", "driver", "vendor", "device", "attr", NULL,
};

static bool in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (!strcmp(*l, k))
			return true;
	return false;
}

struct resv {
	struct range r;
	char label[LABEL_MAX_LEN + 1];
};

struct entry {
	struct json_object *obj;
	int mode;		/* -1: leave */
	int64_t pool_min, pool_max;	/* -1: leave */
	bool have_resv;
	int nresv;
	struct resv *resv;	/* nresv of them */
};

struct target {
	struct devref d;
	int entry;
	struct json_object *cur;	/* its state in the family's dump */
};

/* a pool side as printed: its value, or "?" where it is not known */
static void side_text(char buf[24], int64_t v)
{
	if (v >= 0)
		snprintf(buf, 24, "%lld", (long long)v);
	else
		strcpy(buf, "?");
}

/*
 * The pool the device would have after entry @e: each side the file gives,
 * else the side the device has now in @cur, or @absent when @cur lacks it.
 */
static void effective_pool(const struct entry *e, struct json_object *cur,
			   int64_t absent, int64_t *pmin, int64_t *pmax)
{
	*pmin = e->pool_min >= 0 ? e->pool_min : jget_int(cur, "pool-min", absent);
	*pmax = e->pool_max >= 0 ? e->pool_max : jget_int(cur, "pool-max", absent);
}

/*
 * The pool sides the file changes: those it gives that differ from the
 * listing. Only they are sent, so that a side the listing shows clamped (a
 * narrower group-mate) is not stored clamped.
 */
static bool min_changes(const struct entry *e, struct json_object *cur)
{
	return e->pool_min >= 0 && e->pool_min != jget_int(cur, "pool-min", -1);
}

static bool max_changes(const struct entry *e, struct json_object *cur)
{
	return e->pool_max >= 0 && e->pool_max != jget_int(cur, "pool-max", -1);
}

static bool pool_changes(const struct entry *e, struct json_object *cur)
{
	return min_changes(e, cur) || max_changes(e, cur);
}

#define DEV_LAST "the device's last PASID"
#define GROUP_LAST "the last PASID every device of its IOMMU group takes"

/* The refusal of a pool side @v (@what, @note) past @limit - 1, @whose. */
static int side_past(struct pctx *ctx, const char *file, const struct target *t,
		     const char *what, int64_t v, const char *note, int64_t limit,
		     const char *whose)
{
	return perr(ctx, PE_KERNEL,
		    "%s: dev[%d]: %s/%s: %s %lld%s is past %lld, %s; nothing changed",
		    file, t->entry, t->d.bus, t->d.name, what, (long long)v, note,
		    (long long)limit - 1, whose);
}

/*
 * What the kernel is known to refuse, found before the first change: local
 * or auto on a device whose driver takes the CPU's PASID, a pool past what
 * every device of its IOMMU group takes, a pool or reservation past the
 * device's own PASIDs.
 */
static int precheck(struct pctx *ctx, const char *file, const struct target *t,
		    const struct entry *e)
{
	int64_t gmax = jget_int(t->cur, "group-max-pasids", 0);
	int64_t max = jget_int(t->cur, "max-pasids", 0);
	/* a side not sent is kept, as the kernel checks it: as listed */
	const char *kept = max_changes(e, t->cur) ? "" : " (kept as listed)";
	int64_t pmin, pmax;
	bool same;
	int k;

	/*
	 * The pool the device would have: a side the file leaves is kept
	 * (unknown, -1, if the listing lacks it: the kernel then decides).
	 */
	effective_pool(e, t->cur, -1, &pmin, &pmax);
	/*
	 * A pool the file does not change is not sent, so there is nothing to
	 * refuse: a listing applied as it is changes nothing, even where a
	 * narrower group-mate left the pool past the group's width.
	 */
	same = !pool_changes(e, t->cur);
	/*
	 * A pool-max not sent is checked by the kernel as the new pool would
	 * read back: clamped to the group when the new pool-min lies within
	 * it (the stored pool-max stays as set).
	 */
	if (!max_changes(e, t->cur) && gmax && pmax >= gmax && pmin >= 0 && pmin < gmax)
		pmax = gmax - 1;
	if (!same && pmin >= 0 && pmax >= 0 && pmin > pmax)
		return perr(ctx, PE_KERNEL,
			    "%s: dev[%d]: %s/%s: pool-min %lld is past pool-max %lld; nothing changed",
			    file, t->entry, t->d.bus, t->d.name, (long long)pmin,
			    (long long)pmax);
	if (max && !same && pmin >= max)
		return side_past(ctx, file, t, "pool-min", pmin, "", max, DEV_LAST);
	if (max && !same && pmax >= max)
		return side_past(ctx, file, t, "pool-max", pmax, kept, max, DEV_LAST);
	for (k = 0; max && e->have_resv && k < e->nresv; k++)
		if (e->resv[k].r.last >= max)
			return perr(ctx, PE_KERNEL,
				    "%s: dev[%d]: %s/%s: resv[%d] %u-%u is past %lld, " DEV_LAST "; nothing changed",
				    file, t->entry, t->d.bus, t->d.name, k,
				    e->resv[k].r.first, e->resv[k].r.last,
				    (long long)max - 1);

	if ((e->mode == IOMMU_PASID_MODE_LOCAL || e->mode == IOMMU_PASID_MODE_AUTO) &&
	    !jget_int(t->cur, "local-ok", 1))
		return perr(ctx, PE_KERNEL,
			    "%s: dev[%d]: %s/%s: mode %s: the device's driver relies on the CPU's PASID (local-ok 0); nothing changed",
			    file, t->entry, t->d.bus, t->d.name, mode_name(e->mode));
	if (gmax && !same && pmin >= gmax)
		return side_past(ctx, file, t, "pool-min", pmin, "", gmax, GROUP_LAST);
	if (gmax && !same && pmax >= gmax)
		return side_past(ctx, file, t, "pool-max", pmax, kept, gmax, GROUP_LAST);
	return 0;
}

static int bad(struct pctx *ctx, const char *file, int i, const char *what)
{
	if (i < 0)
		return perr(ctx, PE_USAGE, "%s: %s", file, what);
	return perr(ctx, PE_USAGE, "%s: dev[%d]: %s", file, i, what);
}

static int get_u32(struct json_object *v, uint32_t max, int64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return -1;
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < 0 || x > max)
		return -1;
	*out = x;
	return 0;
}

static int check_entry(struct pctx *ctx, const char *file, int i,
		       struct json_object *o, struct entry *e)
{
	struct pmsg pm;
	char msg[300];
	int64_t a, b;

	e->obj = o;
	e->mode = -1;
	e->pool_min = e->pool_max = -1;
	if (!json_object_is_type(o, json_type_object))
		return bad(ctx, file, i, "is not an object");
	if (!!json_object_object_get(o, "handle") == !!json_object_object_get(o, "match"))
		return bad(ctx, file, i, "needs exactly one of \"handle\" and \"match\"");
	json_object_object_foreach(o, key, val) {
		if (!strcmp(key, "handle")) {
			if (!json_object_is_type(val, json_type_string))
				return bad(ctx, file, i, "\"handle\" must be a string");
			if (dev_handle_check(json_object_get_string(val), &pm)) {
				snprintf(msg, sizeof(msg), "\"handle\": %s", pm.text);
				return bad(ctx, file, i, msg);
			}
		} else if (!strcmp(key, "match")) {
			if (!json_object_is_type(val, json_type_object) ||
			    !json_object_object_length(val))
				return bad(ctx, file, i, "\"match\" must be a non-empty object");
			json_object_object_foreach(val, mk, mv) {
				if (!in_list(match_keys, mk)) {
					snprintf(msg, sizeof(msg), "unknown match key \"%s\"", mk);
					return bad(ctx, file, i, msg);
				}
				if (!strcmp(mk, "attr")) {
					if (!json_object_is_type(mv, json_type_object) ||
					    !json_object_object_length(mv))
						return bad(ctx, file, i, "\"attr\" must be a non-empty object");
					json_object_object_foreach(mv, ak, av) {
						/* a sysfs attribute of the device, not a path */
						if (!dev_name_ok(ak, 256)) {
							snprintf(msg, sizeof(msg),
								 "\"attr\" key \"%.64s\" is not an attribute name (no '/', \".\" or \"..\")",
								 ak);
							return bad(ctx, file, i, msg);
						}
						if (!json_object_is_type(av, json_type_string))
							return bad(ctx, file, i, "\"attr\" values must be strings");
					}
				} else if (!json_object_is_type(mv, json_type_string)) {
					snprintf(msg, sizeof(msg), "match key \"%s\" must be a string", mk);
					return bad(ctx, file, i, msg);
				}
			}
		} else if (!strcmp(key, "mode")) {
			uint32_t m;

			if (!json_object_is_type(val, json_type_string) ||
			    parse_mode(json_object_get_string(val), false, &m, &pm)) {
				snprintf(msg, sizeof(msg), "\"mode\": %s",
					 json_object_is_type(val, json_type_string) ?
					 pm.text : "must be global, local or auto");
				return bad(ctx, file, i, msg);
			}
			e->mode = m;
		} else if (!strcmp(key, "pool-min") || !strcmp(key, "pool-max")) {
			int64_t *v = key[5] == 'm' && key[6] == 'i' ?
				     &e->pool_min : &e->pool_max;

			/* PASID 0 is no device's to give: pools start at 1 */
			if (get_u32(val, PASID_MAX, v) || !*v) {
				snprintf(msg, sizeof(msg), "\"%s\" must be a number from 1 to %u",
					 key, PASID_MAX);
				return bad(ctx, file, i, msg);
			}
		} else if (!strcmp(key, "resv")) {
			size_t j;

			if (!json_object_is_type(val, json_type_array))
				return bad(ctx, file, i, "\"resv\" must be an array");
			if (json_object_array_length(val) > MAX_RESV)
				return bad(ctx, file, i, "too many reservations: a device holds at most 32");
			e->have_resv = true;
			e->resv = calloc(json_object_array_length(val) ?: 1,
					 sizeof(*e->resv));
			if (!e->resv)
				return perr(ctx, PE_KERNEL, "out of memory");
			for (j = 0; j < json_object_array_length(val); j++) {
				struct json_object *r = json_object_array_get_idx(val, j);
				struct resv *rv = &e->resv[e->nresv];
				const char *label;
				size_t k;

				if (!json_object_is_type(r, json_type_object))
					return bad(ctx, file, i, "\"resv\" elements must be objects");
				json_object_object_foreach(r, rk, rval) {
					(void)rval;
					if (strcmp(rk, "first") && strcmp(rk, "last") &&
					    strcmp(rk, "label")) {
						snprintf(msg, sizeof(msg), "resv[%zu]: unknown key \"%s\"", j, rk);
						return bad(ctx, file, i, msg);
					}
				}
				if (get_u32(json_object_object_get(r, "first"), PASID_MAX, &a) ||
				    get_u32(json_object_object_get(r, "last"), PASID_MAX, &b) ||
				    !a || a > b) {
					snprintf(msg, sizeof(msg),
						 "resv[%zu]: needs \"first\" <= \"last\", both from 1 to %u",
						 j, PASID_MAX);
					return bad(ctx, file, i, msg);
				}
				rv->r.first = a;
				rv->r.last = b;
				label = jget_str(r, "label");
				/* present means a string: "label": null is no label */
				if (json_object_object_get_ex(r, "label", NULL) &&
				    (!label || parse_label(label, &pm))) {
					snprintf(msg, sizeof(msg), "resv[%zu]: %s", j,
						 label ? pm.text : "\"label\" must be a string");
					return bad(ctx, file, i, msg);
				}
				snprintf(rv->label, sizeof(rv->label), "%s", label ?: "");
				for (k = 0; k < (size_t)e->nresv; k++)
					if (rv->r.first <= e->resv[k].r.last &&
					    e->resv[k].r.first <= rv->r.last) {
						snprintf(msg, sizeof(msg), "resv[%zu] overlaps resv[%zu]", j, k);
						return bad(ctx, file, i, msg);
					}
				e->nresv++;
			}
		} else if (!in_list(readonly_keys, key)) {
			snprintf(msg, sizeof(msg), "unknown key \"%s\"", key);
			return bad(ctx, file, i, msg);
		}
	}
	if (e->pool_min >= 0 && e->pool_max >= 0 && e->pool_min > e->pool_max)
		return bad(ctx, file, i, "\"pool-min\" is above \"pool-max\"");
	return 0;
}

struct plan {
	struct pctx *ctx;
	bool dry;
	int changes;
	struct json_object *jchanges;
};

static void note(struct plan *p, const char *handle, struct json_object *c,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void note(struct plan *p, const char *handle, struct json_object *c,
		 const char *fmt, ...)
{
	va_list ap;

	p->changes++;
	if (p->ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "handle", json_object_new_string(handle));
		json_object_object_foreach(c, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_array_add(p->jchanges, o);
	} else {
		char line[512];

		/* labels and names come from the kernel and from the file */
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		printf("%s%s: %s\n", p->dry ? "would " : "", tsafe(handle), tsafe(line));
	}
	json_object_put(c);
}

static struct json_object *jrange(const char *op, uint32_t first, uint32_t last,
				  const char *label)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "op", json_object_new_string(op));
	json_object_object_add(c, "first", json_object_new_int64(first));
	json_object_object_add(c, "last", json_object_new_int64(last));
	if (label && *label)
		json_object_object_add(c, "label", json_object_new_string(label));
	return c;
}

static bool have_resv(struct json_object *cur, const struct resv *rv)
{
	struct json_object *arr;
	size_t i;

	if (!json_object_object_get_ex(cur, "resv", &arr))
		return false;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *r = json_object_array_get_idx(arr, i);

		if (jget_int(r, "first", -1) == rv->r.first &&
		    jget_int(r, "last", -1) == rv->r.last &&
		    !strcmp(jget_str(r, "label") ?: "", rv->label))
			return true;
	}
	return false;
}

/*
 * Plan (dry) or make the changes for one device. Returns the number of
 * changes made, or a negative class on the first refusal.
 */
static int apply_dev(struct plan *p, const struct devref *d,
		     const struct entry *e, int *made)
{
	struct pctx *ctx = p->ctx;
	struct json_object *cur, *arr;
	const char *cmode;
	char h[256];
	int64_t pmin, pmax;
	int mode = -1, ret, i;
	size_t k;

	dev_handle(d, h, sizeof(h));
	ret = dev_get_one(ctx, d, &cur);
	if (ret)
		return ret;

	/* 1. reservations no longer wanted */
	if (e->have_resv && json_object_object_get_ex(cur, "resv", &arr)) {
		for (k = 0; k < json_object_array_length(arr); k++) {
			struct json_object *r = json_object_array_get_idx(arr, k);
			struct resv rv = { .r = { jget_int(r, "first", 0), jget_int(r, "last", 0) } };
			bool wanted = false;

			snprintf(rv.label, sizeof(rv.label), "%s", jget_str(r, "label") ?: "");
			for (i = 0; i < e->nresv; i++)
				wanted |= e->resv[i].r.first == rv.r.first &&
					  e->resv[i].r.last == rv.r.last &&
					  !strcmp(e->resv[i].label, rv.label);
			if (wanted)
				continue;
			if (!p->dry && (ret = dev_do_release(ctx, d, &rv.r, NULL)))
				goto out;
			*made += !p->dry;
			note(p, h, jrange("release", rv.r.first, rv.r.last, rv.label),
			     "release %u-%u%s%s", rv.r.first, rv.r.last,
			     *rv.label ? " label " : "", rv.label);
		}
	}

	/* 2. pool and mode, in one dev-set */
	cmode = jget_str(cur, "mode");
	if (e->mode >= 0 && (!cmode || strcmp(cmode, mode_name(e->mode))))
		mode = e->mode;
	/* -1 for a side neither the file nor the listing has */
	effective_pool(e, cur, -1, &pmin, &pmax);
	bool pool_change = pool_changes(e, cur);
	/*
	 * Only the sides the file changes are sent: the kernel keeps the other
	 * as it is at the time of the change, not as it was listed.
	 */
	if (mode >= 0 || pool_change) {
		if (!p->dry &&
		    (ret = dev_do_set(ctx, d, mode,
				      min_changes(e, cur) ? e->pool_min : -1,
				      max_changes(e, cur) ? e->pool_max : -1)))
			goto out;
		/* one dev-set, but as many changes as are listed below */
		*made += p->dry ? 0 : (mode >= 0) + pool_change;
	}
	if (mode >= 0) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "op", json_object_new_string("mode"));
		json_object_object_add(c, "mode", json_object_new_string(mode_name(mode)));
		if (cmode)
			json_object_object_add(c, "old-mode", json_object_new_string(cmode));
		note(p, h, c, "mode %s -> %s", cmode ?: "?", mode_name(mode));
	}
	if (pool_change) {
		struct json_object *c = json_object_new_object();
		bool smin = min_changes(e, cur), smax = max_changes(e, cur);
		char was[2][24], to[2][24];

		/*
		 * What is sent: the sides the file changes. A side not sent is
		 * the kernel's to keep, and may have changed since the listing,
		 * so it is neither printed nor in the JSON.
		 */
		json_object_object_add(c, "op", json_object_new_string("pool"));
		if (smin)
			json_object_object_add(c, "pool-min", json_object_new_int64(pmin));
		if (smax)
			json_object_object_add(c, "pool-max", json_object_new_int64(pmax));
		side_text(was[0], jget_int(cur, "pool-min", -1));
		side_text(was[1], jget_int(cur, "pool-max", -1));
		side_text(to[0], pmin);
		side_text(to[1], pmax);
		if (smin && smax)
			note(p, h, c, "pool %s-%s -> %s-%s", was[0], was[1], to[0], to[1]);
		else if (smin)
			note(p, h, c, "pool-min %s -> %s", was[0], to[0]);
		else
			note(p, h, c, "pool-max %s -> %s", was[1], to[1]);
	}

	/* 3. reservations to add */
	for (i = 0; e->have_resv && i < e->nresv; i++) {
		const struct resv *rv = &e->resv[i];

		if (have_resv(cur, rv))
			continue;
		if (!p->dry && (ret = dev_do_reserve(ctx, d, &rv->r, *rv->label ? rv->label : NULL)))
			goto out;
		*made += !p->dry;
		note(p, h, jrange("reserve", rv->r.first, rv->r.last, rv->label),
		     "reserve %u-%u%s%s", rv->r.first, rv->r.last,
		     *rv->label ? " label " : "", rv->label);
	}
	ret = 0;
out:
	json_object_put(cur);
	return ret;
}

static int apply_help(struct pctx *ctx, struct args *a)
{
	(void)ctx;
	(void)a;
	printf("Usage: pasidctl apply [--dry-run] { FILE | - }\n"
	       "FILE is JSON as \"pasidctl -j dev show\" prints it: {\"format-version\": 1,\n"
	       "\"dev\": [ { \"handle\" | \"match\", \"mode\", \"pool-min\", \"pool-max\", \"resv\" } ] }\n"
	       "See pasidctl-apply(8).\n");
	return 0;
}

/* The keys of one object being scanned, as offsets into the text. */
struct keyset {
	size_t *at, *len;
	size_t n, cap;
};

/*
 * What json-c lets through even in strict mode: a NUL written inside a
 * string (\u0000, which would cut a key or value there), raw control
 * characters in strings, single-quoted strings, bare words other than true,
 * false and null (NaN, Infinity), a key twice in one object (json-c keeps
 * the last, so "resv" given twice would release what the first asked for)
 * and bytes that are not UTF-8. Returns what is wrong, or NULL.
 */
static const char *json_prescan(const char *buf, size_t len)
{
	static const char *const words[] = { "true", "false", "null" };
	struct keyset stack[JSON_TOKENER_DEFAULT_DEPTH + 1] = { 0 };
	const char *why = NULL;
	char kinds[JSON_TOKENER_DEFAULT_DEPTH + 1];
	int depth = 0, k;
	size_t i, w;

	for (i = 0; i < len && !why; i++) {
		unsigned char c = buf[i];
		unsigned int cp;
		size_t start;

		if (c == '{' || c == '[') {
			if (depth == JSON_TOKENER_DEFAULT_DEPTH) {
				why = "nested too deep";
				break;
			}
			kinds[++depth] = c;
			stack[depth].n = 0;
		} else if (c == '}' || c == ']') {
			if (depth > 0)
				depth--;
		} else if (c == '\'') {
			why = "single quotes are not JSON";
		} else if (isdigit(c) || c == '-') {
			/* a number: its exponent's e is no bare word */
			while (i + 1 < len && strchr("0123456789+-.eE", buf[i + 1]))
				i++;
		} else if (isalpha(c)) {
			for (w = 0; w < 3; w++)
				if (!strncmp(buf + i, words[w], strlen(words[w])))
					break;
			if (w == 3)
				why = "a bare word (NaN, Infinity, ...) is not JSON";
			else
				i += strlen(words[w]) - 1;
		} else if (c == '"') {
			start = ++i;
			for (; i < len && buf[i] != '"' && !why; i++) {
				c = buf[i];
				if (c < 0x20) {
					why = "a string holds a control character";
				} else if (c == '\\' && i + 1 < len) {
					if (buf[i + 1] == 'u' && len - i >= 6 &&
					    !memcmp(buf + i + 2, "0000", 4))
						why = "a string holds \\u0000";
					i++;
				} else if (c >= 0x80) {
					int n = utf8_seq((const unsigned char *)buf + i,
							 len - i, &cp);

					if (!n)
						why = "a string is not UTF-8";
					else
						i += n - 1;
				}
			}
			/* a key: the string an object's ':' follows */
			w = i + 1;
			while (w < len && strchr(" \t\r\n", buf[w]))
				w++;
			if (!why && depth > 0 && kinds[depth] == '{' && w < len &&
			    buf[w] == ':') {
				struct keyset *ks = &stack[depth];
				size_t kl = i - start;

				/*
				 * Keys are plain names: one written with an
				 * escape ("mo\u0064e") could repeat another
				 * unseen by the byte comparison below.
				 */
				if (memchr(buf + start, '\\', kl)) {
					why = "a key is written with an escape (keys are plain names)";
					break;
				}
				for (k = 0; k < (int)ks->n; k++)
					if (ks->len[k] == kl &&
					    !memcmp(buf + ks->at[k], buf + start, kl))
						why = "a key is given twice in one object";
				if (ks->n == ks->cap) {
					size_t cap = ks->cap ? ks->cap * 2 : 8;
					size_t *a = realloc(ks->at, cap * sizeof(*a));
					size_t *l = a ? realloc(ks->len, cap * sizeof(*l)) : NULL;

					if (a)
						ks->at = a;
					if (!a || !l) {
						why = "out of memory";
						break;
					}
					ks->len = l;
					ks->cap = cap;
				}
				ks->at[ks->n] = start;
				ks->len[ks->n++] = kl;
			}
		} else if (c >= 0x80) {
			why = "not UTF-8";
		}
	}
	for (k = 0; k <= JSON_TOKENER_DEFAULT_DEPTH; k++) {
		free(stack[k].at);
		free(stack[k].len);
	}
	return why;
}

/*
 * Read @file (or stdin for "-") whole, at most APPLY_MAX_BYTES, and parse it
 * as one strict JSON document: no comments, single quotes, trailing data,
 * NUL bytes or invalid UTF-8.
 */
static int read_json_file(struct pctx *ctx, const char *file,
			  struct json_object **root)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	size_t len = 0, cap = 65536, n, end;
	char *buf = NULL, *nb;
	const char *why;
	struct stat st;
	int ret;

	*root = NULL;
	if (!f)
		return perr(ctx, PE_USAGE, "cannot open %s: %s", file, strerror(errno));
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		ret = perr(ctx, PE_USAGE, "%s is a directory, not a JSON file", file);
		goto out;
	}
	/* /dev/stdin, /proc/self/fd/0 or the file itself: the batch's input */
	if (ctx->batch_ino && st.st_dev == ctx->batch_dev &&
	    st.st_ino == ctx->batch_ino) {
		ret = perr(ctx, PE_USAGE, "%s is the batch being run", file);
		goto out;
	}
	for (;;) {
		if (!buf || len == cap) {
			if (buf)
				cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				ret = perr(ctx, PE_KERNEL, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > APPLY_MAX_BYTES) {
			ret = perr(ctx, PE_USAGE, "%s is larger than %d bytes", file,
				   APPLY_MAX_BYTES);
			goto out;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ret = perr(ctx, PE_USAGE, "cannot read %s: %s", file, strerror(errno));
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		ret = perr(ctx, PE_USAGE, "%s: not valid JSON: it holds a NUL byte", file);
		goto out;
	}
	buf[len] = '\0';
	why = json_prescan(buf, len);
	if (why) {
		ret = perr(ctx, PE_USAGE, "%s: not valid JSON: %s", file, why);
		goto out;
	}
	tok = json_tokener_new();
	if (!tok) {
		ret = perr(ctx, PE_KERNEL, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*root = json_tokener_parse_ex(tok, buf, len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	if (jerr != json_tokener_success) {
		ret = perr(ctx, PE_USAGE, "%s: not valid JSON: %s", file,
			   json_tokener_error_desc(jerr));
		goto out;
	}
	/* One document: only blanks may follow it. */
	while (end < len && strchr(" \t\r\n", buf[end]))
		end++;
	if (end < len) {
		ret = perr(ctx, PE_USAGE, "%s: not valid JSON: data after the document, at byte %zu",
			   file, end);
		goto out;
	}
	ret = 0;
out:
	if (ret) {
		json_object_put(*root);
		*root = NULL;
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

static int apply(struct pctx *ctx, struct args *a)
{
	struct json_object *root = NULL, *devs, *famdevs = NULL, *v;
	struct entry *ents = NULL;
	struct target *tg = NULL;
	int nent = 0, ntg = 0, i, j, ret, made = 0;
	struct plan p = { .ctx = ctx };
	const char *file = NULL, *w;

	while ((w = args_next(a))) {
		if (!strcmp(w, "--dry-run") || !strcmp(w, "dry-run"))
			p.dry = true;
		else if (!file)
			file = w;
		else
			return perr(ctx, PE_USAGE, "apply takes one file, not also \"%s\"", w);
	}
	if (!file)
		return perr(ctx, PE_USAGE, "apply needs a file (or - for stdin)");
	if (!strcmp(file, "-") && ctx->batch_stdin)
		return perr(ctx, PE_USAGE, "apply - cannot read stdin: the batch is read from it");
	if (ctx->no_apply)
		return perr(ctx, PE_USAGE, "apply is off here");

	/* read and check the whole file before anything else */
	ret = read_json_file(ctx, file, &root);
	if (ret)
		return ret;
	ret = -PE_USAGE;
	if (!json_object_is_type(root, json_type_object)) {
		bad(ctx, file, -1, "the top level must be an object");
		goto out;
	}
	{
		json_object_object_foreach(root, key, val) {
			(void)val;
			if (strcmp(key, "format-version") && strcmp(key, "dev")) {
				char msg[300];

				snprintf(msg, sizeof(msg), "unknown key \"%s\"", key);
				bad(ctx, file, -1, msg);
				goto out;
			}
		}
	}
	if (!json_object_object_get_ex(root, "format-version", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != PASIDCTL_FORMAT_VERSION) {
		bad(ctx, file, -1, "needs \"format-version\": 1");
		goto out;
	}
	if (!json_object_object_get_ex(root, "dev", &devs) ||
	    !json_object_is_type(devs, json_type_array)) {
		bad(ctx, file, -1, "needs a \"dev\" array");
		goto out;
	}
	nent = json_object_array_length(devs);
	ents = calloc(nent ?: 1, sizeof(*ents));
	if (!ents) {
		ret = perr(ctx, PE_KERNEL, "out of memory");
		goto out;
	}
	for (i = 0; i < nent; i++)
		if ((ret = check_entry(ctx, file, i, json_object_array_get_idx(devs, i), &ents[i])))
			goto out;

	/* which devices: the family's list, by handle or by udev match */
	ret = pnl_open(ctx);
	if (ret)
		goto out;
	famdevs = json_object_new_array();
	ret = pnl_dump(ctx, pnl_new(ctx, IOMMU_PASID_CMD_DEV_GET, NLM_F_DUMP), AS_DEV,
		      pnl_collect, famdevs, NULL);
	if (ret)
		goto out;
	tg = calloc(json_object_array_length(famdevs) + nent + 1, sizeof(*tg));
	if (!tg) {
		ret = perr(ctx, PE_KERNEL, "out of memory");
		goto out;
	}
	for (i = 0; i < nent; i++) {
		const char *hs = jget_str(ents[i].obj, "handle");
		struct json_object *m = json_object_object_get(ents[i].obj, "match");
		struct devref want;
		int found = 0;
		size_t k;

		if (hs && (ret = dev_resolve(ctx, hs, &want)))
			goto out;
		for (k = 0; k < json_object_array_length(famdevs); k++) {
			struct json_object *fd = json_object_array_get_idx(famdevs, k);
			const char *bus = jget_str(fd, "bus-name"), *name = jget_str(fd, "dev-name");
			char why[64];

			/* a name that does not fit is no device we can name */
			if (!bus || !name || strlen(bus) >= sizeof(want.bus) ||
			    strlen(name) >= sizeof(want.name))
				continue;
			if (hs) {
				if (strcmp(want.bus, bus) || strcmp(want.name, name))
					continue;
			} else if (!dev_match(ctx, bus, name, m, why, sizeof(why))) {
				continue;
			}
			for (j = 0; j < ntg; j++)
				if (!strcmp(tg[j].d.bus, bus) && !strcmp(tg[j].d.name, name)) {
					ret = perr(ctx, PE_USAGE, "%s: %s/%s is chosen by dev[%d] and dev[%d]",
						   file, bus, name, tg[j].entry, i);
					goto out;
				}
			snprintf(tg[ntg].d.bus, sizeof(tg[ntg].d.bus), "%s", bus);
			snprintf(tg[ntg].d.name, sizeof(tg[ntg].d.name), "%s", name);
			tg[ntg].cur = fd;
			tg[ntg++].entry = i;
			found++;
			if (hs)
				break;
		}
		if (!found && hs) {
			ret = perr(ctx, PE_NOTSUP, "%s: dev[%d]: %s/%s is not a PASID-capable device here",
				   file, i, want.bus, want.name);
			goto out;
		}
		if (!found)
			fprintf(stderr, "Note: %s: dev[%d]: no device matches\n", file, i);
	}

	/* plan everything (this catches nothing the kernel would refuse, but
	 * shows the whole change), then make it */
	for (i = 0; i < ntg; i++) {
		ret = precheck(ctx, file, &tg[i], &ents[tg[i].entry]);
		if (ret)
			goto out;
	}
	p.jchanges = json_object_new_array();
	/* a refusal is reported once, below, with what was done before it */
	ctx->quiet = true;
	for (i = 0; i < ntg; i++) {
		ret = apply_dev(&p, &tg[i].d, &ents[tg[i].entry], &made);
		if (ret)
			break;
	}
	ctx->quiet = false;
	/* on a failure, the changes made (made) are what the report lists */
	if (ctx->json && !(ret && !made)) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "format-version", json_object_new_int(PASIDCTL_FORMAT_VERSION));
		json_object_object_add(o, "dry-run", json_object_new_boolean(p.dry));
		json_object_object_add(o, "changes", json_object_get(p.jchanges));
		out_json_doc(ctx, o);
		json_object_put(o);
	} else if (!ret) {
		if (!p.changes)
			printf("no changes\n");
		else
			printf("%s%d change%s\n", p.dry ? "would make " : "", p.changes,
			       p.changes == 1 ? "" : "s");
	}
	json_object_put(p.jchanges);
	if (ret && ctx->kerr) {
		char h[256], how[64];

		/* one line: what the kernel said, where, and how far apply got */
		dev_handle(&tg[i].d, h, sizeof(h));
		if (made)
			snprintf(how, sizeof(how), "apply stopped after %d of its changes",
				 made);
		else
			snprintf(how, sizeof(how), "nothing changed");
		ret = perr(ctx, made ? PE_PARTIAL : (ret == -PE_NOTSUP ? PE_NOTSUP : PE_KERNEL),
			   "%s: %s; %s", h,
			   ctx->kmsg[0] ? ctx->kmsg : strerror(ctx->kerr), how);
	} else if (ret && made) {
		ret = perr(ctx, PE_PARTIAL, "apply stopped after %d of its changes", made);
	}
out:
	free(tg);
	for (i = 0; ents && i < nent; i++)
		free(ents[i].resv);
	free(ents);
	if (famdevs)
		json_object_put(famdevs);
	json_object_put(root);
	return ret;
}

static const struct cmd apply_cmds[] = {
	{ NULL, apply },
	{ "help", apply_help },
	{ NULL, NULL },
};

int cmd_apply(struct pctx *ctx, struct args *a)
{
	/* "apply help" is help; any other word is the file */
	if (!args_done(a) && !strcmp(args_peek(a), "help"))
		return run_cmd(ctx, apply_cmds, a, "apply");
	return apply(ctx, a);
}
