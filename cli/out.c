// SPDX-License-Identifier: GPL-2.0
/*
 * Output. Objects are json_objects keyed by the spec's attribute names
 * (nl.c builds them); -j serializes them, text mode prints them with the
 * printers below. The unfiltered proc show is written straight from the
 * messages instead (proc.c, nl.c), with the same escapes (jraw_to(),
 * tsafe()), byte for byte. Lists are printed one element at a time, so a
 * dump of any size needs the memory of one element. JSON is valid UTF-8
 * whatever the kernel sends, and text is safe on a terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "pasidctl.h"

static int json_flags(const struct pctx *ctx)
{
	return JSON_C_TO_STRING_NOSLASHESCAPE |
	       (ctx->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			      JSON_C_TO_STRING_PLAIN);
}

int64_t jget_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return def;
	return json_object_get_int64(v);
}

const char *jget_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * The length of the valid UTF-8 sequence at @s (1-4), or 0 if it is not one:
 * no overlong forms, surrogates or values past U+10FFFF. *@cp gets its value.
 */
int utf8_seq(const unsigned char *s, size_t avail, unsigned int *cp)
{
	unsigned int c = s[0], n, i, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * @s for a terminal: control characters (C0, DEL and C1, raw or as UTF-8,
 * which could move the cursor, retitle the terminal or forge lines; process
 * names and arguments are anyone's to choose) and bytes that are not UTF-8
 * as \xNN. Returns one of a few rotating static buffers.
 */
const char *tsafe(const char *s)
{
	/* room for two kernel strings of 255 bytes or a message of 511, escaped */
	static char bufs[4][2560];
	static unsigned int next;
	char *b = bufs[next++ % 4], *p = b;
	const unsigned char *c = (const unsigned char *)s;
	size_t left;

	if (!s)
		return NULL;
	left = strlen(s);
	while (left && p < b + sizeof(bufs[0]) - 17) {
		unsigned int cp;
		int n = utf8_seq(c, left, &cp);

		if (n && cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f)) {
			memcpy(p, c, n);
			p += n;
		} else {
			/* each byte of a control or of what is not UTF-8 */
			n = n ?: 1;
			for (int i = 0; i < n; i++)
				p += sprintf(p, "\\x%02x", c[i]);
		}
		c += n;
		left -= n;
	}
	*p = '\0';
	return b;
}

/* Room for @n more bytes and a NUL; on allocation failure, oom for good. */
bool sb_grow(struct sbuf *b, size_t n)
{
	char *p;
	size_t cap;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = (b->len + n + 1) * 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* The length of @s if it is plain printable ASCII and short, else -1. */
static long plain_len(const char *s)
{
	size_t n;

	for (n = 0; n < 500 && s[n] >= 0x20 && s[n] < 0x7f; n++)
		;
	return s[n] ? -1 : (long)n;
}

/* @s as tsafe() prints it, without a copy when it is plain printable ASCII. */
void sb_tsafe(struct sbuf *b, const char *s)
{
	long n = plain_len(s);

	if (n >= 0)
		sb_put(b, s, n);
	else
		sb_puts(b, tsafe(s));
}

/* "@bus/@name" as sb_tsafe() prints it (kernel strings, < 256 bytes each). */
void sb_tsafe_handle(struct sbuf *b, const char *bus, const char *name)
{
	long nb = plain_len(bus), nn = plain_len(name);
	char h[1024];

	if (nb >= 0 && nn >= 0) {
		sb_put(b, bus, nb);
		sb_putc(b, '/');
		sb_put(b, name, nn);
		return;
	}
	snprintf(h, sizeof(h), "%s/%s", bus, name);
	sb_puts(b, tsafe(h));
}

/* Write @v in decimal at @w (20 bytes at most); returns where it ends. */
char *u64_to(char *w, uint64_t v)
{
	char d[20];
	int n = 0;

	do {
		d[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*w++ = d[--n];
	return w;
}

void sb_u64(struct sbuf *b, uint64_t v)
{
	if (sb_grow(b, 20))
		b->len = u64_to(b->p + b->len, v) - b->p;
	if (!b->oom)
		b->p[b->len] = '\0';
}

/* Insert @n bytes of @s at @at. */
void sb_insert(struct sbuf *b, size_t at, const char *s, size_t n)
{
	if (!n || at > b->len || !sb_grow(b, n))
		return;
	memmove(b->p + at + n, b->p + at, b->len - at + 1);
	memcpy(b->p + at, s, n);
	b->len += n;
}

/*
 * What pasidctl's JSON makes of a byte at or above 0x7f, at @c with @left
 * bytes to the end of the string: a UTF-8 character as it is, but DEL and
 * the C1 controls as \u00XX (a terminal may act on them), and a byte that
 * is not UTF-8 as \ufffd, so that the output is valid UTF-8 whatever a
 * process names itself. Written at @w (6 bytes at most a byte read); sets
 * *@used to the bytes read.
 */
static char *json_high(char *w, const unsigned char *c, size_t left, int *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int cp;
	int n = utf8_seq(c, left, &cp);

	if (!n) {
		memcpy(w, "\\ufffd", 6);
		*used = 1;
		return w + 6;
	}
	*used = n;
	if (cp <= 0x9f) {
		memcpy(w, "\\u00", 4);
		w[4] = hex[cp >> 4];
		w[5] = hex[cp & 15];
		return w + 6;
	}
	memcpy(w, c, n);
	return w + n;
}

/*
 * Write @s at @w as a JSON string's contents: escaped as json-c escapes with
 * NOSLASHESCAPE, and from 0x7f on as json_high() says; at most 6 bytes a
 * byte. Returns where it ends.
 */
char *jraw_to(char *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *c = (const unsigned char *)s;
	size_t left = strlen(s);

	while (left) {
		int used = 1;

		if (likely(*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\')) {
			*w++ = *c;
		} else if (*c >= 0x7f) {
			w = json_high(w, c, left, &used);
		} else {
			*w++ = '\\';
			switch (*c) {
			case '"': *w++ = '"'; break;
			case '\\': *w++ = '\\'; break;
			case '\b': *w++ = 'b'; break;
			case '\n': *w++ = 'n'; break;
			case '\r': *w++ = 'r'; break;
			case '\t': *w++ = 't'; break;
			case '\f': *w++ = 'f'; break;
			default:
				memcpy(w, "u00", 3);
				w[3] = hex[*c >> 4];
				w[4] = hex[*c & 15];
				w += 5;
			}
		}
		c += used;
		left -= used;
	}
	return w;
}

/*
 * json-c's text of an object, with what it leaves raw from 0x7f on (only
 * inside strings) as jraw_to() writes it: the text itself when there is
 * none, else a copy in *@copy, which the caller frees (and the text as it
 * is if there is no memory for one).
 */
const char *json_safe(const char *json, char **copy)
{
	const unsigned char *c = (const unsigned char *)json;
	size_t left;
	char *w;

	*copy = NULL;
	while (*c && *c < 0x7f)
		c++;
	if (!*c)
		return json;
	left = strlen(json);
	w = *copy = malloc(6 * left + 1);
	if (!w)
		return json;
	c = (const unsigned char *)json;
	while (left) {
		int used = 1;

		if (*c < 0x7f)
			*w++ = *c;
		else
			w = json_high(w, c, left, &used);
		c += used;
		left -= used;
	}
	*w = '\0';
	return *copy;
}

/* Print @s with every line after the first indented by @ind spaces. */
static void put_indented(const char *s, int ind)
{
	for (; *s; s++) {
		putchar(*s);
		if (*s == '\n')
			printf("%*s", ind, "");
	}
}

/* Print @obj's JSON text with @flags to @f, then @end. */
static void put_json(FILE *f, struct json_object *obj, int flags,
		     const char *end, int indent)
{
	char *copy;
	const char *t = json_safe(json_object_to_json_string_ext(obj, flags), &copy);

	if (indent)
		put_indented(t, indent);
	else
		fputs(t, f);
	fputs(end, f);
	free(copy);
}

void out_json_doc(struct pctx *ctx, struct json_object *obj)
{
	put_json(stdout, obj, json_flags(ctx), "\n", 0);
}

/* One object per line, flushed: for monitor and other line consumers. */
void out_json_line(struct pctx *ctx, struct json_object *obj)
{
	put_json(stdout, obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		 "\n", 0);
	(void)ctx;
	fflush(stdout);
}

/*
 * A list printed as it arrives. Its JSON header goes out with the first
 * object, so that a request the kernel refuses before any prints nothing on
 * stdout (no empty list that reads as "none").
 */
void out_list_begin(struct out_list *l, struct pctx *ctx, const char *key)
{
	l->ctx = ctx;
	l->key = key;
	l->count = 0;
	l->begun = false;
}

static void out_list_header(struct out_list *l)
{
	struct pctx *ctx = l->ctx;

	if (l->begun || !ctx->json)
		return;
	l->begun = true;
	if (ctx->pretty)
		printf("{\n  \"format-version\": %d,\n  \"%s\": [", PASIDCTL_FORMAT_VERSION, l->key);
	else
		printf("{\"format-version\":%d,\"%s\":[", PASIDCTL_FORMAT_VERSION, l->key);
}

/* A list element already written as plain JSON text (no -p). */
void out_list_item_text(struct out_list *l, const char *json, size_t len)
{
	out_list_header(l);
	if (l->count)
		putchar(',');
	fwrite(json, 1, len, stdout);
	l->count++;
}

void out_list_item(struct out_list *l, struct json_object *obj,
		   void (*text)(struct pctx *, struct json_object *))
{
	struct pctx *ctx = l->ctx;

	if (!ctx->json) {
		text(ctx, obj);
		l->count++;
		return;
	}
	out_list_header(l);
	if (ctx->pretty) {
		printf("%s\n    ", l->count ? "," : "");
		put_json(stdout, obj, json_flags(ctx), "", 4);
	} else {
		fputs(l->count ? "," : "", stdout);
		put_json(stdout, obj, json_flags(ctx), "", 0);
	}
	l->count++;
}

/*
 * End the list: @failed when the kernel stopped it. A failed list that
 * printed nothing prints nothing; one cut short is closed, so what came is
 * still one JSON document, and the exit status says it is incomplete.
 */
void out_list_end(struct out_list *l, bool failed)
{
	if (!l->ctx->json || (failed && !l->begun))
		return;
	out_list_header(l);
	if (l->ctx->pretty)
		printf("%s]\n}\n", l->count ? "\n  " : "");
	else
		printf("]}\n");
}

/*
 * Report an error: "Error: ..." on stderr, and with -j also a JSON object
 * there. Kernel errors carry the extack message, errno and attribute.
 */
int perr(struct pctx *ctx, int class, const char *fmt, ...)
{
	char raw[512];
	const char *msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/*
	 * What anyone chose, escaped, in the text and the JSON alike; tsafe()
	 * has room for the whole message escaped, so no character or escape
	 * is cut (a cut in @raw is escaped as bytes that are not UTF-8).
	 */
	msg = tsafe(raw);
	fflush(stdout);
	fprintf(stderr, "Error: %s\n", msg);
	if (ctx && ctx->json) {
		struct json_object *o = json_object_new_object();
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "message", json_object_new_string(msg));
		if (class == PE_KERNEL && ctx->kerr)
			json_object_object_add(e, "errno", json_object_new_int(ctx->kerr));
		if (class == PE_KERNEL && ctx->kattr)
			json_object_object_add(e, "attribute",
					       json_object_new_string(ctx->kattr));
		json_object_object_add(e, "exit-code", json_object_new_int(class));
		json_object_object_add(o, "error", e);
		put_json(stderr, o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
			 "\n", 0);
		json_object_put(o);
	}
	return -class;
}

/* " key value" for every integer key present, in this order. */
static void print_ints(struct json_object *o, const char *const *keys)
{
	for (; *keys; keys++) {
		struct json_object *v;

		if (json_object_object_get_ex(o, *keys, &v) && v)
			printf(" %s %s", *keys, json_object_get_string(v));
	}
}

void print_bond_text(struct json_object *b, bool with_dev, bool with_pid)
{
	static const char *const keys[] = { "pasid", "kind", "users", NULL };

	printf("    bond");
	if (with_dev)
		printf(" %s", tsafe(jget_str(b, "handle")) ?: "?");
	/* A bond of a process that exited while a driver holds it has none. */
	if (with_pid && json_object_object_get_ex(b, "pid", NULL))
		printf(" pid %lld", (long long)jget_int(b, "pid", 0));
	else if (with_pid)
		printf(" pid -");
	print_ints(b, keys);
	putchar('\n');
}

static void print_names(struct pctx *ctx, struct json_object *dev)
{
	struct json_object *n;
	const char *s;

	if (ctx->numeric)
		return;
	n = json_object_new_object();
	dev_names(ctx, jget_str(dev, "bus-name"), jget_str(dev, "dev-name"), n);
	if ((s = jget_str(n, "driver")))
		printf(" driver %s", tsafe(s));
	if ((s = jget_str(n, "vendor")))
		printf(" vendor \"%s\"", tsafe(s));
	if ((s = jget_str(n, "model")))
		printf(" model \"%s\"", tsafe(s));
	json_object_put(n);
}

void print_dev_text(struct pctx *ctx, struct json_object *dev)
{
	static const char *const line1[] = { "iommu-group", "max-pasids",
		"pool-min", "pool-max", "mode", "local-ok", NULL };
	static const char *const line2[] = { "allocated", "reserved",
		"bonds-global", "bonds-local", NULL };
	struct json_object *arr;
	size_t i;

	printf("%s:", tsafe(jget_str(dev, "handle")) ?: "?");
	print_names(ctx, dev);
	print_ints(dev, line1);
	/* Only when the group narrows it: devices of a group share a table. */
	if (jget_int(dev, "group-max-pasids", 0) &&
	    jget_int(dev, "group-max-pasids", 0) < jget_int(dev, "max-pasids", 0))
		printf(" group-max-pasids %lld",
		       (long long)jget_int(dev, "group-max-pasids", 0));
	printf("\n   ");
	print_ints(dev, line2);
	putchar('\n');
	if (json_object_object_get_ex(dev, "resv", &arr))
		for (i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *r = json_object_array_get_idx(arr, i);

			printf("    resv first %lld last %lld",
			       (long long)jget_int(r, "first", 0),
			       (long long)jget_int(r, "last", 0));
			if (jget_str(r, "label"))
				printf(" label %s", tsafe(jget_str(r, "label")));
			putchar('\n');
		}
	if (json_object_object_get_ex(dev, "bond", &arr))
		for (i = 0; i < json_object_array_length(arr); i++)
			print_bond_text(json_object_array_get_idx(arr, i), false, true);
}

void print_proc_text(struct pctx *ctx, struct json_object *mm)
{
	static const char *const keys[] = { "pasid", "mode", "max-pasids", NULL };
	struct json_object *arr;
	size_t i;

	(void)ctx;
	printf("pid %lld comm %s", (long long)jget_int(mm, "pid", 0),
	       tsafe(jget_str(mm, "comm")) ?: "?");
	print_ints(mm, keys);
	putchar('\n');
	if (json_object_object_get_ex(mm, "bond", &arr))
		for (i = 0; i < json_object_array_length(arr); i++)
			print_bond_text(json_object_array_get_idx(arr, i), true, false);
}
