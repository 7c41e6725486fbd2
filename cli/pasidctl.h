/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pasidctl: administer device PASID pools, reservations and SVA policy
 * through the iommu-pasid generic netlink family.
 */
#ifndef PASIDCTL_H
#define PASIDCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/netlink.h>

#define PASIDCTL_VERSION	"1.0"
#define PASIDCTL_FORMAT_VERSION	1
#define PASID_MAX		0xfffffU	/* PASIDs are 20 bits wide */
#define PID_MAX_LIMIT		4194304U	/* the kernel's largest pid_max */
#define LABEL_MAX_LEN		31

/*
 * Errors travel as negative values of these classes; main() turns them into
 * the exit status (documented in pasidctl(8)).
 */
enum {
	PE_OK = 0,
	PE_USAGE = 1,		/* bad command line, number, range or file */
	PE_KERNEL = 2,		/* the kernel refused */
	PE_NOTSUP = 3,		/* no family, no such device */
	PE_PARTIAL = 4,		/* a batch or apply partly failed */
};

struct nl_sock;
struct nl_msg;
struct udev;
struct udev_hwdb;

struct pctx {
	bool json;
	bool pretty;
	bool force;
	/* a failed write of the output was already reported (batch, monitor) */
	bool out_reported;
	bool numeric;
	bool timestamp;
	/* netlink, opened on first use */
	struct nl_sock *sk;
	int family;
	int family_version;
	int mcgrp;
	/* udev and its hwdb, created on first use */
	struct udev *udev;
	struct udev_hwdb *hwdb;
	/* the last kernel error, for the JSON error object */
	int kerr;
	char kmsg[256];
	const char *kattr;
	/* report kernel refusals to the caller only, not on stderr */
	bool quiet;
	/* the batch is read from stdin (apply - may not), or from this file */
	bool batch_stdin;
	unsigned long batch_dev, batch_ino;
	/* apply refused (the batch fuzzer: apply reads files lines name) */
	bool no_apply;
	/* list through json-c objects only (tests compare the two ways) */
	bool no_stream;
};

/* An argument cursor. */
struct args {
	int argc;
	char **argv;
	const char *kws[8];	/* the keywords given so far, each once */
	int nkws;
};

static inline bool args_done(const struct args *a) { return a->argc <= 0; }
static inline const char *args_peek(const struct args *a)
{
	return a->argc > 0 ? a->argv[0] : NULL;
}
static inline const char *args_next(struct args *a)
{
	if (a->argc <= 0)
		return NULL;
	a->argc--;
	return *a->argv++;
}

struct cmd {
	const char *name;
	int (*fn)(struct pctx *ctx, struct args *a);
};

int run_cmd(struct pctx *ctx, const struct cmd *tbl, struct args *a,
	    const char *object);
int run_args(struct pctx *ctx, int argc, char **argv);
const char *kw_value(struct pctx *ctx, struct args *a, const char *kw);

/* What a parse.c parser says when it fails. */
struct pmsg {
	char text[256];
};

/*
 * Run parse.c's parser @fn on the arguments that follow; on failure report
 * its message as a usage error.
 */
#define PARSE(ctx, fn, ...) \
	do { \
		struct pmsg pm_; \
		if (fn(__VA_ARGS__, &pm_)) \
			return perr(ctx, PE_USAGE, "%s", pm_.text); \
	} while (0)
/* The longest batch line (pasidctl(8)). */
#define BATCH_LINE_MAX 4096
int run_batch(struct pctx *ctx, const char *file);
int run_batch_file(struct pctx *ctx, FILE *f, const char *file, bool is_stdin);
int monitor_on_event(struct nl_msg *msg, void *arg);
void usage(FILE *f);

/* parse.c: pure parsers, unit-tested on the host */
struct range {
	uint32_t first, last;
};

int parse_u32(const char *s, uint32_t max, uint32_t *out, struct pmsg *m);
int parse_pid(const char *s, uint32_t *out, struct pmsg *m);
int parse_range(const char *s, struct range *r, struct pmsg *m);
int parse_range_list(const char *s, struct range *r, int max,
		     struct pmsg *m);
int parse_mode(const char *s, bool allow_default, uint32_t *out,
	       struct pmsg *m);
int parse_kind(const char *s, uint32_t *out, struct pmsg *m);
int parse_label(const char *s, struct pmsg *m);
int parse_pci_addr(const char *s, char *out, size_t len);
int split_line(char *line, char **argv, int max, struct pmsg *m);
const char *mode_name(uint32_t mode);
const char *kind_name(uint32_t kind);

/* errors: print "Error: ..." (and JSON with -j) and return -class */
int perr(struct pctx *ctx, int class, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* nl.c */
int pnl_open(struct pctx *ctx);
int pnl_join_monitor(struct pctx *ctx);
struct nl_msg *pnl_new(struct pctx *ctx, uint8_t cmd, int flags);
int pnl_build_failed(struct pctx *ctx, struct nl_msg *msg);
int pnl_do_one(struct pctx *ctx, struct nl_msg *msg, int attrset,
	       struct json_object **out);
struct nl_cb;
struct nl_cb *pnl_sock_cb(struct pctx *ctx);
typedef int (*pnl_obj_cb)(struct pctx *ctx, struct json_object *obj, void *arg);
int pnl_do(struct pctx *ctx, struct nl_msg *msg, int attrset, pnl_obj_cb cb,
	  void *arg);
int pnl_dump(struct pctx *ctx, struct nl_msg *msg, int attrset, pnl_obj_cb cb,
	    void *arg, bool (*seen)(struct json_object *, void *));
struct json_object *pnl_to_json(struct pctx *ctx, struct nl_msg *msg,
			       int attrset);
int pnl_family_present(struct pctx *ctx);
enum { NETNS_INITIAL, NETNS_OTHER, NETNS_UNKNOWN };
int pnl_netns(void);
int pnl_collect(struct pctx *ctx, struct json_object *obj, void *array);
/*
 * A message's attributes after one validating walk (nl.c): where each
 * known attribute first appears and its last value, indexed by type, and
 * the types in the order they first appear.
 */
#define PNL_SCAN_MAX 31
struct pnl_scan {
	struct nlattr *first[PNL_SCAN_MAX + 1];
	struct nlattr *last[PNL_SCAN_MAX + 1];
	unsigned char order[PNL_SCAN_MAX + 1];
	int n;
	int len;		/* the bytes of the attributes */
	const char *end;	/* where they end */
};
/*
 * Reading attributes that scan() has checked, inline: libnl's accessors
 * are calls into the library, and a dump makes millions of them.
 */
static inline void *pa_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline int pa_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline int pa_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline uint32_t pa_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, pa_data(a), sizeof(v));
	return v;
}

static inline const char *pa_str(const struct nlattr *a)
{
	return pa_data(a);
}

/* nla_for_each_attr(), inline */
#define pa_for_each(pos, head, len, rem)					\
	for (pos = (head), rem = (len);						\
	     rem >= NLA_HDRLEN && pos->nla_len >= NLA_HDRLEN &&			\
	     pos->nla_len <= rem;						\
	     rem -= NLA_ALIGN(pos->nla_len),					\
	     pos = (struct nlattr *)((char *)pos + NLA_ALIGN(pos->nla_len)))

/* @s NULL: the dump is being run again (see pnl_dump()) */
typedef int (*pnl_raw_cb)(struct pctx *ctx, const struct pnl_scan *s, void *arg);
int pnl_dump_raw(struct pctx *ctx, struct nl_msg *msg, int attrset,
		 pnl_raw_cb raw, void *arg);
struct sbuf;
void pnl_json_text(struct sbuf *b, int attrset, const struct pnl_scan *s,
		   int mark, size_t *mark_at);
void pnl_json_nests(struct sbuf *b, int attrset, const struct pnl_scan *s, int t);
void pnl_scan_bond(struct nlattr *nla, struct pnl_scan *s);
void pnl_validate_both(int attrset, struct nlattr *head, int len,
		       bool *fast, bool *libnl);
void pnl_close(struct pctx *ctx);
enum { AS_DEV, AS_MM, AS_GLOBAL, AS_RESV };

/* names.c: device handles and names through libudev */
struct devref {
	char bus[64];
	char name[128];
};
int dev_resolve(struct pctx *ctx, const char *s, struct devref *d);
int dev_handle_check(const char *s, struct pmsg *m);
bool dev_name_ok(const char *s, size_t max);
const char *dev_handle(const struct devref *d, char *buf, size_t len);
void dev_names(struct pctx *ctx, const char *bus, const char *name,
	       struct json_object *out);
bool dev_match(struct pctx *ctx, const char *bus, const char *name,
	       struct json_object *match, char *why, size_t whylen);
bool dev_in_iommu_group(struct pctx *ctx, const char *bus, const char *name);

/* out.c: one output path for text and JSON */
struct out_list {
	struct pctx *ctx;
	const char *key;
	int count;
	bool begun;	/* the JSON header is out */
};
/* A growing text buffer (out.c). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
#define likely(x) __builtin_expect(!!(x), 1)
bool sb_grow(struct sbuf *b, size_t n);

/* Append @n bytes; on allocation failure the buffer stops growing (oom). */
static inline void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom || (b->len + n + 1 > b->cap && !sb_grow(b, n)))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void sb_putc(struct sbuf *b, char c)
{
	sb_put(b, &c, 1);
}

static inline void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

char *u64_to(char *w, uint64_t v);
char *jraw_to(char *w, const char *s);
void sb_u64(struct sbuf *b, uint64_t v);
const char *json_safe(const char *json, char **copy);
void sb_tsafe(struct sbuf *b, const char *s);
void sb_tsafe_handle(struct sbuf *b, const char *bus, const char *name);
void sb_insert(struct sbuf *b, size_t at, const char *s, size_t n);

void out_list_begin(struct out_list *l, struct pctx *ctx, const char *key);
void out_list_item_text(struct out_list *l, const char *json, size_t len);
void out_list_item(struct out_list *l, struct json_object *obj,
		   void (*text)(struct pctx *, struct json_object *));
void out_list_end(struct out_list *l, bool failed);
void out_json_line(struct pctx *ctx, struct json_object *obj);
void out_json_doc(struct pctx *ctx, struct json_object *obj);
void print_dev_text(struct pctx *ctx, struct json_object *dev);
void print_proc_text(struct pctx *ctx, struct json_object *mm);
void print_bond_text(struct json_object *b, bool with_dev, bool with_pid);
const char *tsafe(const char *s);
int utf8_seq(const unsigned char *s, size_t avail, unsigned int *cp);
int64_t jget_int(struct json_object *o, const char *key, int64_t def);
const char *jget_str(struct json_object *o, const char *key);

/* objects */
int cmd_dev(struct pctx *ctx, struct args *a);
int cmd_proc(struct pctx *ctx, struct args *a);
int cmd_global(struct pctx *ctx, struct args *a);
int cmd_monitor(struct pctx *ctx, struct args *a);
int cmd_status(struct pctx *ctx, struct args *a);
int cmd_apply(struct pctx *ctx, struct args *a);

/* shared by dev.c and apply.c */
int dev_get_one(struct pctx *ctx, const struct devref *d,
		struct json_object **out);
/* mode < 0, pool_min < 0, pool_max < 0: not sent (the kernel keeps it) */
int dev_do_set(struct pctx *ctx, const struct devref *d, int mode,
	       int64_t pool_min, int64_t pool_max);
int dev_do_reserve(struct pctx *ctx, const struct devref *d,
		   const struct range *r, const char *label);
int dev_do_release(struct pctx *ctx, const struct devref *d,
		   const struct range *r, const char *label);

#endif
