// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for pasidctl's parsers and printers, linked against
 * everything in cli/ but main(). TAP on stdout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libudev.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "iommu_pasid.h"

#include "fake.h"
#include "pasidctl.h"

static int n, failed;
static struct pmsg pm;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	n++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * Run @fn with stdout, and with @err stderr too (as a terminal shows
 * them), captured; returns the text (static buffer).
 */
static char *capture_fds(void (*fn)(void *), void *arg, bool err)
{
	static char buf[65536];
	FILE *tmp = tmpfile();
	int o = dup(1), e = dup(2);
	size_t len;

	fflush(stdout);
	fflush(stderr);
	dup2(fileno(tmp), 1);
	if (err)
		dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	close(o);
	close(e);
	rewind(tmp);
	len = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[len] = '\0';
	fclose(tmp);
	return buf;
}

static char *capture(void (*fn)(void *), void *arg)
{
	return capture_fds(fn, arg, false);
}

static char *capture_both(void (*fn)(void *), void *arg)
{
	return capture_fds(fn, arg, true);
}

static void test_u32(void)
{
	static const struct {
		const char *s;
		uint32_t max;
		int ok;
		uint32_t v;
	} t[] = {
		{ "0", 10, 1, 0 },
		{ "42", 100, 1, 42 },
		{ "0x10", 100, 1, 16 },
		{ "0XfF", 1000, 1, 255 },
		{ "1048575", PASID_MAX, 1, PASID_MAX },
		{ "1048576", PASID_MAX, 0, 0 },		/* past 2^20 - 1 */
		{ "99999999999999999999", PASID_MAX, 0, 0 },	/* overflow */
		{ "-1", PASID_MAX, 0, 0 },
		{ "+1", PASID_MAX, 0, 0 },
		{ "0x", PASID_MAX, 0, 0 },
		{ "", PASID_MAX, 0, 0 },
		{ "12a", PASID_MAX, 0, 0 },
		{ " 1", PASID_MAX, 0, 0 },
		{ "1.5", PASID_MAX, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t v = 12345;
		int r = parse_u32(t[i].s, t[i].max, &v, &pm);

		if (t[i].ok)
			ok(r == 0 && v == t[i].v, "parse_u32(\"%s\") = %u", t[i].s, t[i].v);
		else
			ok(r == -PE_USAGE && v == 12345 && pm.text[0],
			   "parse_u32(\"%s\") fails with a message (%s)", t[i].s, pm.text);
	}
}

/* Process ids: decimal only, 1 to PID_MAX_LIMIT - 1; "0x10" is no pid 16. */
static void test_pid(void)
{
	static const struct {
		const char *s;
		int ok;
		uint32_t v;
		const char *msg;	/* part of the error message */
	} t[] = {
		{ "1", 1, 1, NULL },
		{ "4242", 1, 4242, NULL },
		{ "010", 1, 10, NULL },		/* leading zeros: still decimal */
		{ "0000000000000000000000001", 1, 1, NULL },
		{ "4194303", 1, PID_MAX_LIMIT - 1, NULL },
		{ "4194304", 0, 0, "out of range" },
		{ "99999999999", 0, 0, "out of range" },
		{ "99999999999999999999999", 0, 0, "out of range" },	/* past 64 bits */
		{ "0", 0, 0, "start at 1" },
		{ "000", 0, 0, "start at 1" },
		{ "0x10", 0, 0, "not a decimal number" },
		{ "0X10", 0, 0, "not a decimal number" },
		{ "0x", 0, 0, "not a decimal number" },
		{ "-5", 0, 0, "not a decimal number" },
		{ "+5", 0, 0, "not a decimal number" },
		{ " 5", 0, 0, "not a decimal number" },
		{ "5 ", 0, 0, "not a decimal number" },
		{ "12a", 0, 0, "not a decimal number" },
		{ "1e3", 0, 0, "not a decimal number" },
		{ "abc", 0, 0, "not a decimal number" },
		{ "", 0, 0, "empty" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t v = 12345;
		int r;

		pm.text[0] = '\0';
		r = parse_pid(t[i].s, &v, &pm);
		if (t[i].ok)
			ok(r == 0 && v == t[i].v, "parse_pid(\"%s\") = %u", t[i].s, t[i].v);
		else
			ok(r == -PE_USAGE && v == 12345 && strstr(pm.text, t[i].msg),
			   "parse_pid(\"%s\") fails: %s", t[i].s, pm.text);
	}
	ok(parse_pid(NULL, &(uint32_t){ 0 }, &pm) == -PE_USAGE,
	   "parse_pid(NULL) fails");
}

static void test_range(void)
{
	static const struct {
		const char *s;
		int ok;
		uint32_t first, last;
		const char *msg;	/* part of the error message */
	} t[] = {
		{ "100-199", 1, 100, 199, NULL },
		{ "7", 1, 7, 7, NULL },
		{ "0x10-0x1f", 1, 16, 31, NULL },
		{ "5-5", 1, 5, 5, NULL },
		{ "0-1048575", 1, 0, PASID_MAX, NULL },
		{ "5-3", 0, 0, 0, "5 is above 3" },
		{ "-1", 0, 0, 0, "first PASID is missing" },
		{ "1-", 0, 0, 0, "last PASID is missing" },
		{ "0x", 0, 0, 0, "not a number" },
		{ "1-1048576", 0, 0, 0, "out of range" },
		{ "1-4294967296", 0, 0, 0, "out of range" },
		{ "", 0, 0, 0, "empty" },
		{ "a-b", 0, 0, 0, "not a number" },
		{ "1--2", 0, 0, 0, "not a number" },
		{ "1-2-3", 0, 0, 0, "not a number" },
		/* a 40-63 character token once overflowed a stack buffer */
		{ "1-00000000000000000000000000000000000000009999999", 0, 0, 0,
		  "out of range" },
		{ "000000000000000000000000000000000000000000000000000000000000x",
		  0, 0, 0, "not a number" },
		{ "1-00000000000000000000000000000000000000000000000000000000000000000009",
		  0, 0, 0, "too long" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct range r = { 0, 0 };
		int ret = parse_range(t[i].s, &r, &pm);

		if (t[i].ok)
			ok(!ret && r.first == t[i].first && r.last == t[i].last,
			   "parse_range(\"%s\") = %u-%u", t[i].s, t[i].first, t[i].last);
		else
			ok(ret == -PE_USAGE && strstr(pm.text, t[i].msg),
			   "parse_range(\"%s\") fails: %s", t[i].s, pm.text);
	}
}

static void test_list(void)
{
	struct range r[4];
	int ret;

	ret = parse_range_list("1-63,128", r, 4, &pm);
	ok(ret == 2 && r[0].first == 1 && r[0].last == 63 && r[1].first == 128 &&
	   r[1].last == 128, "parse_range_list(\"1-63,128\") = 1-63 and 128");
	ret = parse_range_list("1-9,5-20", r, 4, &pm);
	ok(ret == -PE_USAGE && strstr(pm.text, "overlap"),
	   "overlapping ranges in a list fail: %s", pm.text);
	ret = parse_range_list("10,1", r, 4, &pm);
	ok(ret == -PE_USAGE, "descending list fails: %s", pm.text);
	ret = parse_range_list("1,,2", r, 4, &pm);
	ok(ret == -PE_USAGE && strstr(pm.text, "empty"), "empty element fails: %s", pm.text);
	ret = parse_range_list("1,", r, 4, &pm);
	ok(ret == -PE_USAGE, "trailing comma fails: %s", pm.text);
	ret = parse_range_list("1,2,3,4,5", r, 4, &pm);
	ok(ret == -PE_USAGE && strstr(pm.text, "more than"), "too many ranges fail: %s", pm.text);
	ret = parse_range_list("1,5-3", r, 4, &pm);
	ok(ret == -PE_USAGE && strstr(pm.text, "above"), "a bad range inside fails: %s", pm.text);
}

static void test_keywords(void)
{
	uint32_t v = 99;

	ok(!parse_mode("global", false, &v, &pm) && v == 1, "mode global = 1");
	ok(!parse_mode("local", false, &v, &pm) && v == 2, "mode local = 2");
	ok(!parse_mode("auto", false, &v, &pm) && v == 3, "mode auto = 3");
	ok(parse_mode("default", false, &v, &pm) == -PE_USAGE, "mode default is refused for devices");
	ok(!parse_mode("default", true, &v, &pm) && v == 0, "mode default = 0 for processes");
	ok(parse_mode("glob", false, &v, &pm) == -PE_USAGE, "no prefix matching: \"glob\" fails");
	ok(parse_mode("Global", false, &v, &pm) == -PE_USAGE, "keywords are exact: \"Global\" fails");
	ok(!parse_kind("local", &v, &pm) && v == 1, "kind local = 1");
	ok(parse_kind("auto", &v, &pm) == -PE_USAGE, "kind auto fails: %s", pm.text);
	ok(!strcmp(mode_name(3), "auto") && !strcmp(kind_name(0), "global"),
	   "mode and kind names are the spec's");
	ok(!parse_label("vm-guest1", &pm), "label vm-guest1 is fine");
	ok(!parse_label("0123456789012345678901234567890", &pm), "a 31-character label is fine");
	ok(parse_label("01234567890123456789012345678901", &pm) == -PE_USAGE,
	   "a 32-character label fails: %s", pm.text);
	ok(parse_label("a b", &pm) == -PE_USAGE, "a label with a blank fails");
	ok(parse_label("", &pm) == -PE_USAGE, "an empty label fails");
}

static void test_pci(void)
{
	char out[32];

	ok(parse_pci_addr("0000:6a:01.0", out, sizeof(out)) == 1 &&
	   !strcmp(out, "0000:6a:01.0"), "PCI address with domain");
	ok(parse_pci_addr("6a:01.0", out, sizeof(out)) == 1 &&
	   !strcmp(out, "0000:6a:01.0"), "PCI address without domain gets 0000");
	ok(parse_pci_addr("6A:01.7", out, sizeof(out)) == 1 &&
	   !strcmp(out, "0000:6a:01.7"), "upper case hex is written lower case");
	ok(parse_pci_addr("6a:01.8", out, sizeof(out)) == 0, "function 8 is not PCI");
	ok(parse_pci_addr("6a:20.0", out, sizeof(out)) == 0, "slot 0x20 is not PCI");
	ok(parse_pci_addr("svamock1", out, sizeof(out)) == 0, "a name is not a PCI address");
	ok(parse_pci_addr("0000:6a:01.0x", out, sizeof(out)) == 0, "trailing junk is not PCI");
	/* sscanf's %x took signs, blanks and 0x: -a:01.0 became fffffff6 */
	ok(parse_pci_addr("-a:01.0", out, sizeof(out)) == 0, "a sign is not PCI");
	ok(parse_pci_addr("+a:01.0", out, sizeof(out)) == 0, "a plus sign is not PCI");
	ok(parse_pci_addr(" a:01.0", out, sizeof(out)) == 0, "a blank is not PCI");
	ok(parse_pci_addr("0x:01.0", out, sizeof(out)) == 0, "0x is not PCI");
	ok(parse_pci_addr("0000:0x:01.0", out, sizeof(out)) == 0, "0x inside is not PCI");
	ok(parse_pci_addr("00:01.-0", out, sizeof(out)) == 0, "a negative function is not PCI");
	ok(parse_pci_addr("0000:00:1f.7", out, sizeof(out)) == 1 &&
	   !strcmp(out, "0000:00:1f.7"), "the last slot and function are PCI");
}

static void test_split(void)
{
	char line[] = "dev reserve pci/0000:6a:01.0 range 1-9 label \"vm 1\"  # comment\n";
	char line2[] = "   # only a comment\n";
	char line3[] = "dev \"unterminated\n";
	char *argv[16];
	int c;

	c = split_line(line, argv, 16, &pm);
	ok(c == 7 && !strcmp(argv[0], "dev") && !strcmp(argv[4], "1-9") &&
	   !strcmp(argv[6], "vm 1"), "split_line: words, quotes and a comment");
	ok(split_line(line2, argv, 16, &pm) == 0, "split_line: a comment line has no words");
	ok(split_line(line3, argv, 16, &pm) == -PE_USAGE && strstr(pm.text, "quote"),
	   "split_line: unterminated quote fails");
}

static struct json_object *devobj(void)
{
	return json_tokener_parse(
		"{\"handle\":\"svamock/svamock2\",\"bus-name\":\"svamock\",\"dev-name\":\"svamock2\","
		"\"iommu-group\":1,\"max-pasids\":256,\"pool-min\":40,\"pool-max\":200,"
		"\"mode\":\"local\",\"allocated\":1,\"reserved\":19,\"bonds-global\":0,"
		"\"bonds-local\":1,\"resv\":[{\"first\":1,\"last\":9,\"label\":\"vm1\"},"
		"{\"first\":20,\"last\":29}],\"bond\":[{\"pid\":44,\"pasid\":40,\"kind\":\"local\","
		"\"users\":1}]}");
}

static void print_dev(void *arg)
{
	struct pctx ctx = { .numeric = true };

	print_dev_text(&ctx, arg);
}

static void print_list(void *arg)
{
	struct pctx *ctx = arg;
	struct out_list l;
	struct json_object *o = devobj();

	out_list_begin(&l, ctx, "dev");
	out_list_item(&l, o, print_dev_text);
	out_list_item(&l, o, print_dev_text);
	out_list_end(&l, false);
	json_object_put(o);
}

static void print_empty(void *arg)
{
	struct out_list l;

	out_list_begin(&l, arg, "proc");
	out_list_end(&l, false);
}

static void test_printers(void)
{
	struct json_object *o = devobj(), *p;
	struct pctx ctx = { .json = true, .numeric = true };
	char *s;

	s = capture(print_dev, o);
	ok(!strcmp(s, "svamock/svamock2: iommu-group 1 max-pasids 256 pool-min 40 pool-max 200 mode local\n"
		      "    allocated 1 reserved 19 bonds-global 0 bonds-local 1\n"
		      "    resv first 1 last 9 label vm1\n"
		      "    resv first 20 last 29\n"
		      "    bond pid 44 pasid 40 kind local users 1\n"),
	   "dev text output uses the spec's names");
	json_object_put(o);

	s = capture(print_list, &ctx);
	p = json_tokener_parse(s);
	ok(p && jget_int(p, "format-version", 0) == 1 &&
	   json_object_array_length(json_object_object_get(p, "dev")) == 2,
	   "streamed JSON list parses back with format-version and 2 elements");
	ok(p && !strstr(s, "\\/"), "handles are not slash-escaped");
	json_object_put(p);

	ctx.pretty = true;
	s = capture(print_list, &ctx);
	p = json_tokener_parse(s);
	ok(p && json_object_array_length(json_object_object_get(p, "dev")) == 2 &&
	   strstr(s, "\n    {"), "pretty streamed JSON parses back, indented");
	json_object_put(p);

	s = capture(print_empty, &ctx);
	p = json_tokener_parse(s);
	ok(p && json_object_array_length(json_object_object_get(p, "proc")) == 0,
	   "an empty pretty list is valid JSON");
	json_object_put(p);
	ctx.pretty = false;
	s = capture(print_empty, &ctx);
	ok(!strcmp(s, "{\"format-version\":1,\"proc\":[]}\n"), "an empty list is {\"format-version\":1,\"proc\":[]}");
}

/* What "udevadm hwdb --test" says the vendor of a PCI device is. */
static const char *hwdb_vendor(const char *pci)
{
	static char v[256];
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "udevadm hwdb --test=$(cat /sys/bus/pci/devices/%s/modalias) 2>/dev/null | "
		 "sed -n 's/^ID_VENDOR_FROM_DATABASE=//p'", pci);
	v[0] = '\0';
	p = popen(cmd, "r");
	if (p) {
		if (fgets(v, sizeof(v), p))
			v[strcspn(v, "\n")] = '\0';
		pclose(p);
	}
	return v;
}

/* Handles: the forms people type, resolved against this host's sysfs. */
static void test_resolve(void)
{
	struct pctx ctx = { 0 };
	struct json_object *names;
	struct devref d;
	char h[300];
	FILE *saved = stderr;

	stderr = fopen("/dev/null", "w");	/* the expected errors */
	ok(!dev_resolve(&ctx, "pci/0000:6a:01.0", &d) &&
	   !strcmp(dev_handle(&d, h, sizeof(h)), "pci/0000:6a:01.0"),
	   "BUS/NAME is taken as it is");
	ok(!dev_resolve(&ctx, "pci/6a:01.0", &d) && !strcmp(d.name, "0000:6a:01.0"),
	   "pci/BB:SS.F gets the domain 0000");
	ok(!dev_resolve(&ctx, "6a:01.0", &d) && !strcmp(d.bus, "pci") &&
	   !strcmp(d.name, "0000:6a:01.0"), "a bare PCI address is on the pci bus");
	ok(!dev_resolve(&ctx, "svamock/svamock7", &d) && !strcmp(d.bus, "svamock"),
	   "a simulated device's handle");
	ok(dev_resolve(&ctx, "a/b/c", &d) == -PE_USAGE, "two slashes are a usage error");
	ok(dev_resolve(&ctx, "/pci", &d) == -PE_NOTSUP, "a path that does not exist: not here");
	ok(dev_resolve(&ctx, "no-such-device-anywhere", &d) == -PE_NOTSUP,
	   "a name on no bus: not here");
	ok(dev_resolve(&ctx, "/dev/null", &d) == -PE_NOTSUP,
	   "/dev/null is not a device on a bus");
	if (!access("/sys/bus/pci/devices/0000:00:00.0", F_OK)) {
		ok(!dev_resolve(&ctx, "/sys/bus/pci/devices/0000:00:00.0", &d) &&
		   !strcmp(dev_handle(&d, h, sizeof(h)), "pci/0000:00:00.0"),
		   "a sysfs path resolves to its bus and name (%s)", h);
		ok(!dev_resolve(&ctx, "0000:00:00.0", &d) && !strcmp(d.bus, "pci"),
		   "a PCI address with domain");
		names = json_object_new_object();
		dev_names(&ctx, "pci", "0000:00:00.0", names);
		if (!access("/usr/lib/udev/hwdb.bin", F_OK) || !access("/etc/udev/hwdb.bin", F_OK))
			ok(jget_str(names, "vendor") &&
			   !strcmp(jget_str(names, "vendor"), hwdb_vendor("0000:00:00.0")),
			   "hwdb names the vendor of pci/0000:00:00.0 as udevadm does (%s)",
			   jget_str(names, "vendor") ?: "none");
		else
			ok(1, "# SKIP no hwdb.bin on this host");
		json_object_put(names);
	} else {
		ok(1, "# SKIP no PCI device 0000:00:00.0 on this host");
	}
	fclose(stderr);
	stderr = saved;
	if (ctx.hwdb)
		udev_hwdb_unref(ctx.hwdb);
	if (ctx.udev)
		udev_unref(ctx.udev);
}

/* A reply with one malformed attribute, at any depth, is refused whole. */
static struct json_object *reply(int cmd, int set, void (*fill)(struct nl_msg *))
{
	struct nl_msg *msg = nlmsg_alloc();
	struct pctx ctx = { 0 };
	struct json_object *o;

	genlmsg_put(msg, 0, 0, 1, 0, 0, cmd, 1);
	fill(msg);
	o = pnl_to_json(&ctx, msg, set);
	nlmsg_free(msg);
	return o;
}

static void fill_short_u32(struct nl_msg *m)
{
	nla_put_u32(m, IOMMU_PASID_A_GLOBAL_IN_USE, 3);
	nla_put(m, IOMMU_PASID_A_GLOBAL_FLOOR, 0, NULL);
}

static void fill_u16(struct nl_msg *m)
{
	nla_put_u16(m, IOMMU_PASID_A_GLOBAL_LOCAL_VALUES, 9);
}

static void fill_long_u32(struct nl_msg *m)
{
	uint64_t v = 1;

	nla_put(m, IOMMU_PASID_A_GLOBAL_FLOOR, sizeof(v), &v);
}

static void fill_good(struct nl_msg *m)
{
	nla_put_u32(m, IOMMU_PASID_A_GLOBAL_IN_USE, 3);
	nla_put_u32(m, 200, 5);		/* unknown: a newer kernel's */
}

static void fill_unterminated(struct nl_msg *m)
{
	nla_put(m, IOMMU_PASID_A_MM_COMM, 4, "abcd");
}

static void fill_long_string(struct nl_msg *m)
{
	char s[400];

	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	nla_put_string(m, IOMMU_PASID_A_MM_COMM, s);
}

static void fill_bad_nested(struct nl_msg *m)
{
	struct nlattr *b;

	nla_put_u32(m, IOMMU_PASID_A_MM_PID, 7);
	b = nla_nest_start(m, IOMMU_PASID_A_MM_BOND);
	nla_put_u32(m, IOMMU_PASID_A_BOND_PASID, 5);
	nla_put(m, IOMMU_PASID_A_BOND_USERS, 2, "xx");
	nla_nest_end(m, b);
}

static void fill_truncated_nest(struct nl_msg *m)
{
	/* a nest whose inner attribute claims more than the nest holds */
	struct nlattr *b = nla_nest_start(m, IOMMU_PASID_A_MM_BOND);
	struct nlattr *in = nla_reserve(m, IOMMU_PASID_A_BOND_PASID, 4);

	in->nla_len = 200;
	nla_nest_end(m, b);
}

static void test_reply_attrs(void)
{
	struct nl_msg *msg;
	struct json_object *o, *r;
	struct nlattr *nest;
	struct pctx ctx = { 0 };

	o = reply(IOMMU_PASID_CMD_GLOBAL_GET, AS_GLOBAL, fill_good);
	ok(o && jget_int(o, "in-use", -1) == 3, "a good reply, with an unknown attribute skipped");
	json_object_put(o);
	ok(!reply(IOMMU_PASID_CMD_GLOBAL_GET, AS_GLOBAL, fill_short_u32),
	   "a reply with a short u32 is refused");
	ok(!reply(IOMMU_PASID_CMD_GLOBAL_GET, AS_GLOBAL, fill_u16),
	   "a reply with a u16 for a u32 is refused");
	ok(!reply(IOMMU_PASID_CMD_GLOBAL_GET, AS_GLOBAL, fill_long_u32),
	   "a reply with an 8-byte u32 is refused");
	ok(!reply(IOMMU_PASID_CMD_MM_GET, AS_MM, fill_unterminated),
	   "a reply with an unterminated string is refused");
	ok(!reply(IOMMU_PASID_CMD_MM_GET, AS_MM, fill_long_string),
	   "a reply with a 400-byte string is refused");
	ok(!reply(IOMMU_PASID_CMD_MM_GET, AS_MM, fill_bad_nested),
	   "a reply with a short u32 inside a bond nest is refused");
	ok(!reply(IOMMU_PASID_CMD_MM_GET, AS_MM, fill_truncated_nest),
	   "a reply with an inner attribute past its nest is refused");

	/* too short for its generic netlink header */
	msg = nlmsg_alloc();
	nlmsg_put(msg, 0, 0, 1, 0, 0);
	ok(!pnl_to_json(&ctx, msg, AS_GLOBAL), "a message without a genl header is refused");
	nlmsg_free(msg);
	/* another family's message */
	ctx.family = 30;
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 31, 0, 0, IOMMU_PASID_CMD_GLOBAL_GET, 1);
	ok(!pnl_to_json(&ctx, msg, AS_GLOBAL), "another family's message is refused");
	nlmsg_free(msg);
	ctx.family = 0;

	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 1, 0, 0, IOMMU_PASID_CMD_DEV_GET, 1);
	nla_put_u32(msg, IOMMU_PASID_A_DEV_LOCAL_OK, 7);
	nla_put_u32(msg, IOMMU_PASID_A_DEV_GROUP_MAX_PASIDS, 16);
	o = pnl_to_json(&ctx, msg, AS_DEV);
	ok(o && jget_int(o, "local-ok", -1) == 1 &&
	   jget_int(o, "group-max-pasids", -1) == 16,
	   "local-ok is 0 or 1 whatever byte the kernel sends");
	json_object_put(o);
	nlmsg_free(msg);

	/* a device's reservation is the dev-resv subset: no device handle */
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, 1, 0, 0, IOMMU_PASID_CMD_DEV_GET, 1);
	nest = nla_nest_start(msg, IOMMU_PASID_A_DEV_RESV);
	nla_put_u32(msg, IOMMU_PASID_A_RESV_FIRST, 5);
	nla_put_u32(msg, IOMMU_PASID_A_RESV_LAST, 9);
	nla_put_string(msg, IOMMU_PASID_A_RESV_BUS_NAME, "evilbus");
	nla_put_string(msg, IOMMU_PASID_A_RESV_DEV_NAME, "evildev");
	nla_nest_end(msg, nest);
	o = pnl_to_json(&ctx, msg, AS_DEV);
	r = NULL;
	if (o && json_object_object_get_ex(o, "resv", &r))
		r = json_object_array_get_idx(r, 0);
	ok(r && jget_int(r, "first", -1) == 5 && jget_int(r, "last", -1) == 9 &&
	   !json_object_object_get_ex(r, "bus-name", NULL) &&
	   !json_object_object_get_ex(r, "dev-name", NULL) &&
	   !json_object_object_get_ex(r, "handle", NULL),
	   "a reservation listed by a device carries first, last and label only");
	json_object_put(o);
	nlmsg_free(msg);
}

/*
 * The one-walk validator and libnl's nla_validate() with the same policy
 * agree, on the edges of every rule (the fuzzer of kernel messages checks
 * the same on whatever it makes).
 */
static void test_scan_verdicts(void)
{
	static const struct {
		const char *what;
		int set;
		uint8_t b[32];
		int len;
		bool valid;
	} t[] = {
		{ "a u32", AS_GLOBAL, { 8, 0, 1, 0, 3, 0, 0, 0 }, 8, true },
		{ "a 3-byte u32", AS_GLOBAL, { 7, 0, 1, 0, 3, 0, 0, 0 }, 8, false },
		{ "a 5-byte u32", AS_GLOBAL, { 9, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0 }, 12, false },
		{ "an empty string", AS_MM, { 4, 0, 2, 0 }, 4, false },
		{ "a string of its NUL", AS_MM, { 5, 0, 2, 0, 0, 0, 0, 0 }, 8, true },
		{ "an unterminated string", AS_MM, { 6, 0, 2, 0, 'a', 'b', 0, 0 }, 8, false },
		{ "an empty nest", AS_MM, { 4, 0, 6, 0 }, 4, true },
		{ "a nest with a short u32", AS_MM,
		  { 11, 0, 6, 0, 7, 0, 4, 0, 1, 2, 3, 0 }, 12, false },
		{ "an unknown type, any length", AS_GLOBAL, { 5, 0, 60, 0, 1, 0, 0, 0 }, 8, true },
		{ "type 0", AS_GLOBAL, { 5, 0, 0, 0, 1, 0, 0, 0 }, 8, true },
		{ "the nested flag on a u32", AS_GLOBAL, { 8, 0, 1, 0x80, 3, 0, 0, 0 }, 8, true },
		{ "trailing bytes", AS_GLOBAL, { 8, 0, 1, 0, 3, 0, 0, 0, 1, 0 }, 10, false },
		{ "a length past the end", AS_GLOBAL, { 12, 0, 1, 0, 3, 0, 0, 0 }, 8, false },
		{ "a length under the header", AS_GLOBAL, { 2, 0, 1, 0 }, 4, false },
		{ "no padding after the last", AS_MM, { 5, 0, 2, 0, 0 }, 5, true },
		{ "nothing", AS_DEV, { 0 }, 0, true },
	};
	uint32_t buf[8];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool fast, libnl;

		memcpy(buf, t[i].b, sizeof(buf));
		pnl_validate_both(t[i].set, (struct nlattr *)buf, t[i].len, &fast, &libnl);
		ok(fast == t[i].valid && libnl == t[i].valid,
		   "%s: %s (scan %d, nla_validate %d)", t[i].what,
		   t[i].valid ? "valid" : "refused", fast, libnl);
	}
}

/* ------------------------------------------------------------ streaming */

/* names for the bonds of the next mm(), when set */
static const char *bond_bus, *bond_dev;

static struct nl_msg *mm(int pid, const char *comm, int nbonds, bool pasid_last)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *b;
	int i;

	genlmsg_put(m, 0, 0, 0x20, 0, NLM_F_MULTI, IOMMU_PASID_CMD_MM_GET, 1);
	if (pid)
		nla_put_u32(m, IOMMU_PASID_A_MM_PID, pid);
	if (comm)
		nla_put_string(m, IOMMU_PASID_A_MM_COMM, comm);
	if (!pasid_last)
		nla_put_u32(m, IOMMU_PASID_A_MM_PASID, 5);
	for (i = 0; i < nbonds; i++) {
		b = nla_nest_start(m, IOMMU_PASID_A_MM_BOND);
		nla_put_string(m, IOMMU_PASID_A_BOND_BUS_NAME, bond_bus ?: "svamock");
		if (i != 1)
			nla_put_string(m, IOMMU_PASID_A_BOND_DEV_NAME, bond_dev ?: "svamock1");
		nla_put_u32(m, IOMMU_PASID_A_BOND_PASID, 100 + pid * 10 + i);
		nla_put_u32(m, IOMMU_PASID_A_BOND_KIND, i & 1);
		nla_put_u32(m, IOMMU_PASID_A_BOND_USERS, 1);
		nla_nest_end(m, b);
	}
	if (pasid_last) {
		nla_put_u32(m, IOMMU_PASID_A_MM_MODE, 3);
		nla_put_u32(m, IOMMU_PASID_A_MM_PASID, 6);
	}
	return m;
}

/* One datagram of the family's answer and then the dump, for fake.c. */
/* The bytes of dump_input()'s family reply and ACK, before its dump. */
static size_t dump_prologue_len;

static size_t dump_input(uint8_t *out, size_t cap)
{
	struct nl_msg *all = nlmsg_alloc_size(65536), *m;
	struct nlattr *g, *e;
	size_t len = 0;
	int step;

	for (step = 0; step < 3; step++) {
		struct nlmsghdr *h;
		size_t dn;

		nlmsg_hdr(all)->nlmsg_len = 0;
		if (step == 0) {
			m = nlmsg_alloc();
			genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 1);
			nla_put_u16(m, CTRL_ATTR_FAMILY_ID, 0x20);
			nla_put_u32(m, CTRL_ATTR_VERSION, 1);
			g = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
			e = nla_nest_start(m, 1);
			nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, "monitor");
			nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, 5);
			nla_nest_end(m, e);
			nla_nest_end(m, g);
			h = nlmsg_hdr(m);
			dn = h->nlmsg_len;
			memcpy(out + len + 2, h, dn);
			nlmsg_free(m);
		} else if (step == 1) {
			/* the ACK of the family lookup */
			struct nlmsghdr a = { .nlmsg_len = 36, .nlmsg_type = NLMSG_ERROR };

			memset(out + len + 2, 0, 36);
			memcpy(out + len + 2, &a, sizeof(a));
			dn = 36;
		} else {
			size_t off = 0;
			char longbus[256], longdev[256];
			struct nl_msg *ms[9];
			int k = 0;

			ms[k++] = mm(7, "a\"b\\c/\x01\xc3\xa9", 3, true);	/* bonds before pasid */
			ms[k++] = mm(7, NULL, 2, false);	/* more of 7's bonds */
			ms[k++] = mm(8, "x", 0, false);		/* no bonds at first */
			ms[k++] = mm(8, NULL, 1, false);	/* then one */
			ms[k++] = mm(0, "nopid", 1, false);	/* no pid: never merged */
			ms[k++] = mm(9, "", 1, false);
			/* the longest names the kernel may send, escapes in a handle */
			memset(longbus, 'b', 255);
			longbus[255] = '\0';
			memset(longdev, '\x1b', 255);
			longdev[255] = '\0';
			bond_bus = longbus;
			bond_dev = longdev;
			ms[k++] = mm(10, "\x9b\xff", 3, false);
			bond_dev = "d\xc3\xa9v\x7f\"\\";
			ms[k++] = mm(11, NULL, 2, false);
			bond_bus = bond_dev = NULL;
			ms[k++] = mm(12, "svamock-mass", 1, false);
			struct nlmsghdr done = { .nlmsg_len = 20, .nlmsg_type = NLMSG_DONE,
						 .nlmsg_flags = NLM_F_MULTI };

			for (int i = 0; i < k; i++) {
				h = nlmsg_hdr(ms[i]);
				memcpy(out + len + 2 + off, h, h->nlmsg_len);
				off += NLMSG_ALIGN(h->nlmsg_len);
				nlmsg_free(ms[i]);
			}
			memset(out + len + 2 + off, 0, 20);
			memcpy(out + len + 2 + off, &done, sizeof(done));
			dn = off + 20;
		}
		out[len] = dn & 0xff;
		out[len + 1] = dn >> 8;
		len += 2 + dn;
		if (step == 1)
			dump_prologue_len = len;
		if (len > cap)
			abort();
	}
	nlmsg_free(all);
	return len;
}

/* Append a datagram of @k messages (freed), then NLMSG_DONE if @done. */
static void put_dgram(uint8_t *out, size_t *len, struct nl_msg **ms, int k,
		      bool done)
{
	struct nlmsghdr d = { .nlmsg_len = 20, .nlmsg_type = NLMSG_DONE,
			      .nlmsg_flags = NLM_F_MULTI };
	size_t off = 0;

	for (int i = 0; i < k; i++) {
		struct nlmsghdr *h = nlmsg_hdr(ms[i]);

		memcpy(out + *len + 2 + off, h, h->nlmsg_len);
		off += NLMSG_ALIGN(h->nlmsg_len);
		nlmsg_free(ms[i]);
	}
	if (done) {
		memset(out + *len + 2 + off, 0, 20);
		memcpy(out + *len + 2 + off, &d, sizeof(d));
		off += 20;
	}
	out[*len] = off & 0xff;
	out[*len + 1] = off >> 8;
	*len += 2 + off;
}

static struct nl_msg *flagged(struct nl_msg *m, int flags)
{
	nlmsg_hdr(m)->nlmsg_flags |= flags;
	return m;
}

/*
 * A dump interrupted twice (NLM_F_DUMP_INTR), as the kernel sends one
 * whose objects change: the first run breaks off inside process 8, the
 * second after it, the third is whole. Every process must print once.
 */
static size_t dump_rerun(uint8_t *out, size_t cap)
{
	size_t len = dump_input(out, cap);
	struct nl_msg *ms[4];

	/* dump_input()'s own dump is the first part: drop it */
	len = dump_prologue_len;
	ms[0] = mm(7, "seven", 2, false);
	ms[1] = mm(8, "eight", 1, false);
	ms[2] = flagged(mm(8, NULL, 1, false), NLM_F_DUMP_INTR);
	put_dgram(out, &len, ms, 3, true);
	ms[0] = mm(7, "seven", 2, false);
	ms[1] = mm(8, "eight", 2, false);
	ms[2] = flagged(mm(9, "nine", 1, false), NLM_F_DUMP_INTR);
	put_dgram(out, &len, ms, 3, true);
	ms[0] = mm(7, "seven", 2, false);
	ms[1] = mm(8, "eight", 2, false);
	ms[2] = mm(9, "nine", 1, false);
	ms[3] = mm(10, "ten", 1, false);
	put_dgram(out, &len, ms, 4, true);
	if (len > cap)
		abort();
	return len;
}

/* A dump that breaks off on a malformed message after two processes. */
static size_t dump_bad(uint8_t *out, size_t cap)
{
	struct nl_msg *ms[4];
	size_t len;

	dump_input(out, cap);
	len = dump_prologue_len;
	ms[0] = mm(7, "seven", 2, false);
	ms[1] = mm(8, "eight", 1, false);
	ms[2] = mm(9, "nine", 1, false);
	/* a 2-byte pasid: the reply is malformed */
	ms[3] = nlmsg_alloc();
	genlmsg_put(ms[3], 0, 0, 0x20, 0, NLM_F_MULTI, IOMMU_PASID_CMD_MM_GET, 1);
	nla_put_u16(ms[3], IOMMU_PASID_A_MM_PASID, 5);
	put_dgram(out, &len, ms, 4, true);
	return len;
}

static uint8_t stream_in[65536];
static size_t stream_len;
static bool stream_json, stream_nostream;

static void run_proc_show(void *arg)
{
	char *argv[] = { "proc", "show", NULL };
	struct pctx ctx;

	(void)arg;
	fake_kernel(&ctx, stream_in, stream_len);
	ctx.json = stream_json;
	ctx.no_stream = stream_nostream;
	if (run_args(&ctx, 2, argv))
		printf("FAILED\n");
	fake_done(&ctx);
}

/*
 * The listing printed as messages come is byte for byte what json-c and
 * the text printers make of the merged objects: escapes, a process split
 * over messages (with its bonds not last), no bonds at first, no pid.
 */
/* Valid UTF-8 without DEL or C1 controls, raw or encoded? */
static bool utf8_clean(const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	size_t left = strlen(s);

	while (left) {
		unsigned int cp;
		int k = utf8_seq(c, left, &cp);

		if (!k || (cp >= 0x7f && cp <= 0x9f))
			return false;
		c += k;
		left -= k;
	}
	return true;
}

static void compare_paths(const char *what, char *(*cap)(void (*)(void *), void *),
			  const char *must)
{
	static char a[65536];
	char *b;

	for (int json = 0; json < 2; json++) {
		stream_json = json;
		stream_nostream = true;
		snprintf(a, sizeof(a), "%s", cap(run_proc_show, NULL));
		stream_nostream = false;
		b = cap(run_proc_show, NULL);
		ok(!strcmp(a, b) && strstr(a, must) && strlen(a) > 30,
		   "proc show %s, %s: streamed output is the json-c path's, byte for byte",
		   json ? "-j" : "(text)", what);
		if (getenv("SHOW_STREAM") || strcmp(a, b) || !strstr(a, must))
			printf("# json-c:   %s\n# streamed: %s\n", a, b);
		if (json)
			ok(utf8_clean(b), "proc show -j, %s: valid UTF-8, no raw DEL or C1", what);
	}
}

static int count_of(const char *s, const char *what)
{
	int found = 0;

	for (; (s = strstr(s, what)); s++)
		found++;
	return found;
}

/*
 * The listing printed as messages come is byte for byte what json-c and
 * the text printers make of the merged objects: escapes, a process split
 * over messages (with its bonds not last), no bonds at first, no pid; a
 * dump run again after NLM_F_DUMP_INTR prints each process once; an error
 * comes where the json-c path puts it.
 */
static void test_stream(void)
{
	stream_len = dump_input(stream_in, sizeof(stream_in));
	compare_paths("a dump with escapes and split processes", capture, "svamock");
	stream_len = dump_rerun(stream_in, sizeof(stream_in));
	compare_paths("a dump run three times", capture, "ten");
	stream_json = false;
	ok(count_of(capture(run_proc_show, NULL), "pid 8 ") == 1,
	   "proc show (text), a dump run three times: process 8 printed once");
	stream_len = dump_bad(stream_in, sizeof(stream_in));
	compare_paths("a malformed message after two processes, stdout and stderr",
		      capture_both, "Error: a malformed reply");
}

static int saved_stderr;

/* An NLMSG_ERROR datagram: @error, and @msg as the extended ACK's message. */
static size_t put_err(uint8_t *out, size_t len, int error, const char *msg)
{
	uint32_t b[64] = { 0 };
	struct nlmsghdr *h = (struct nlmsghdr *)b;
	struct nlmsgerr *e = NLMSG_DATA(h);
	size_t sz = NLMSG_HDRLEN + sizeof(*e);

	h->nlmsg_type = NLMSG_ERROR;
	e->error = error;
	e->msg.nlmsg_len = 16;
	e->msg.nlmsg_type = 0x20;
	if (msg) {
		struct nlattr *a = (struct nlattr *)((char *)b + sz);

		h->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = NLA_HDRLEN + strlen(msg) + 1;
		memcpy(a + 1, msg, strlen(msg) + 1);
		sz += NLA_ALIGN(a->nla_len);
	}
	h->nlmsg_len = sz;
	out[len] = sz & 0xff;
	out[len + 1] = sz >> 8;
	memcpy(out + len + 2, b, sz);
	return len + 2 + sz;
}

/*
 * dev reserve of two ranges: the second refused, and the undo of the first
 * refused too. The refusal and the failed undo are one line each, the
 * second naming the range and the kernel's reason.
 */
static void test_reserve_undo(void)
{
	char *argv[] = { "dev", "reserve", "svamock/svamock1", "range", "1-3,5-7", NULL };
	static char err[4096];
	struct pctx ctx;
	size_t len;
	int ret;

	dump_input(stream_in, sizeof(stream_in));
	len = dump_prologue_len;
	len = put_err(stream_in, len, 0, NULL);
	len = put_err(stream_in, len, -EBUSY, "PASID 5 is in use");
	len = put_err(stream_in, len, -EINVAL, "no such reservation");
	fake_kernel(&ctx, stream_in, len);
	fake_stderr_begin();
	ret = run_args(&ctx, 5, argv);
	fake_stderr_take(err, sizeof(err));
	fake_done(&ctx);
	dup2(saved_stderr, 2);
	ok(ret < 0 && fake_error_lines() == 2 &&
	   strstr(err, "Error: PASID 5 is in use") &&
	   strstr(err, "Error: could not undo the reservation 1-3: no such reservation"),
	   "dev reserve: a refused range and a refused undo are two lines, the undo's with its reason");
	if (fake_error_lines() != 2)
		printf("# stderr: %s\n", err);
}

/* ---------------------------------------------------------------- apply */

/*
 * svamock/svamock1 as the kernel lists it: 1024 PASIDs, pool 1-100, mode
 * global; without pool-max unless @pool_max.
 */
static uint32_t apply_group_max;	/* group-max-pasids listed, 0: none */

static struct nl_msg *dev_msg(int flags, bool pool_max)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 0, 0x20, 0, flags, IOMMU_PASID_CMD_DEV_GET, 1);
	nla_put_string(m, IOMMU_PASID_A_DEV_BUS_NAME, "svamock");
	nla_put_string(m, IOMMU_PASID_A_DEV_DEV_NAME, "svamock1");
	nla_put_u32(m, IOMMU_PASID_A_DEV_MAX_PASIDS, 1024);
	if (apply_group_max)
		nla_put_u32(m, IOMMU_PASID_A_DEV_GROUP_MAX_PASIDS, apply_group_max);
	nla_put_u32(m, IOMMU_PASID_A_DEV_POOL_MIN, 1);
	if (pool_max)
		nla_put_u32(m, IOMMU_PASID_A_DEV_POOL_MAX, 100);
	nla_put_u32(m, IOMMU_PASID_A_DEV_MODE, IOMMU_PASID_MODE_GLOBAL);
	return m;
}

static const char *apply_json;
static bool apply_pool_max;
static bool apply_real;		/* not --dry-run: the dev-set is ACKed */
static int apply_ret;
/* the pool sides of the dev-set sent: -1 no dev-set, -2 the side not sent */
static int64_t apply_sent_min, apply_sent_max;

/*
 * apply --dry-run of apply_json, the kernel answering with the family, the
 * device list (a dump of one device) and that device (a do).
 */
static void run_apply(void *arg)
{
	char path[64];
	char *argv[] = { "apply", "--dry-run", path, NULL };
	char *argv_real[] = { "apply", path, NULL };
	struct nl_msg *ms[1];
	struct pctx ctx;
	size_t len;
	int fd;

	(void)arg;
	fd = memfd_create("apply.json", 0);
	if (fd < 0 || write(fd, apply_json, strlen(apply_json)) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	dump_input(stream_in, sizeof(stream_in));
	len = dump_prologue_len;
	ms[0] = dev_msg(NLM_F_MULTI, apply_pool_max);
	put_dgram(stream_in, &len, ms, 1, true);
	ms[0] = dev_msg(0, apply_pool_max);
	put_dgram(stream_in, &len, ms, 1, false);
	len = put_err(stream_in, len, 0, NULL);
	if (apply_real)
		len = put_err(stream_in, len, 0, NULL);
	fake_kernel(&ctx, stream_in, len);
	apply_ret = apply_real ? run_args(&ctx, 2, argv_real) : run_args(&ctx, 3, argv);
	apply_sent_min = apply_sent_max = -1;
	if (fake_sent(IOMMU_PASID_CMD_DEV_SET)) {
		struct nlattr *tb[IOMMU_PASID_A_DEV_MAX + 1];
		struct nlmsghdr *h = (struct nlmsghdr *)fake_sent(IOMMU_PASID_CMD_DEV_SET);

		if (genlmsg_parse(h, 0, tb, IOMMU_PASID_A_DEV_MAX, NULL))
			abort();
		apply_sent_min = tb[IOMMU_PASID_A_DEV_POOL_MIN] ?
				 (int64_t)nla_get_u32(tb[IOMMU_PASID_A_DEV_POOL_MIN]) : -2;
		apply_sent_max = tb[IOMMU_PASID_A_DEV_POOL_MAX] ?
				 (int64_t)nla_get_u32(tb[IOMMU_PASID_A_DEV_POOL_MAX]) : -2;
	}
	fake_done(&ctx);
	close(fd);
}

/*
 * apply (--dry-run unless apply_real) of a file with one entry for
 * svamock/svamock1, its keys after the handle @dev, against a listing with
 * or without pool-max: what it printed.
 */
static char *apply_entry(const char *dev, bool pool_max)
{
	static char file[256];

	snprintf(file, sizeof(file),
		 "{\"format-version\": 1, \"dev\": [{\"handle\": \"svamock/svamock1\", %s}]}",
		 dev);
	apply_json = file;
	apply_pool_max = pool_max;
	return capture_both(run_apply, NULL);
}

/*
 * The pool a device would have: a side the file leaves is the device's.
 * Checked before any change against what the listing says, and what the
 * dev-set carries.
 */
static void test_apply_pool(void)
{
	static const struct {
		const char *dev;	/* the file's entry, after the handle */
		bool pool_max;		/* the listing has pool-max */
		int ret;
		const char *want;	/* part of stdout and stderr */
	} t[] = {
		{ "\"pool-max\": 50", true, 0, "would svamock/svamock1: pool-max 100 -> 50\n" },
		{ "\"pool-min\": 20", true, 0, "would svamock/svamock1: pool-min 1 -> 20\n" },
		{ "\"pool-min\": 20, \"pool-max\": 60", true, 0, "pool 1-100 -> 20-60\n" },
		{ "\"pool-min\": 20, \"pool-max\": 100", true, 0, "would svamock/svamock1: pool-min 1 -> 20\n" },
		/* a pool-min the kernel refuses whatever the pool-max it keeps */
		{ "\"pool-min\": 2000", false, -PE_KERNEL,
		  "pool-min 2000 is past 1023, the device's last PASID; nothing changed\n" },
		{ "\"pool-min\": 1, \"pool-max\": 100", true, 0, "no changes\n" },
		{ "\"mode\": \"global\"", true, 0, "no changes\n" },
		{ "\"pool-min\": 200", true, -PE_KERNEL,
		  "svamock/svamock1: pool-min 200 is past pool-max 100; nothing changed\n" },
		{ "\"pool-max\": 1024", true, -PE_KERNEL,
		  "pool-max 1024 is past 1023, the device's last PASID; nothing changed\n" },
		/* no pool-max listed: the check before the change leaves it to the kernel */
		{ "\"pool-min\": 200", false, 0, "would svamock/svamock1: pool-min 1 -> 200\n" },
		{ "\"pool-max\": 50", false, 0, "would svamock/svamock1: pool-max ? -> 50\n" },
		/* one dev-set, two changes */
		{ "\"mode\": \"local\", \"pool-min\": 20", true, 0,
		  "mode global -> local\nwould svamock/svamock1: pool-min 1 -> 20\nwould make 2 changes\n" },
		/* nothing of the pool in the file: no pool change, known side or not */
		{ "\"mode\": \"local\"", false, 0, "would svamock/svamock1: mode global -> local\nwould make 1 change\n" },
		{ "\"pool-min\": 1", false, 0, "no changes\n" },
	};
	size_t i;
	char *out;
	bool good;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out = apply_entry(t[i].dev, t[i].pool_max);
		/* a refusal: one Error: line, and nothing else */
		good = apply_ret == t[i].ret && strstr(out, t[i].want) &&
		       (!t[i].ret || (!strncmp(out, "Error: ", 7) &&
				      strchr(out, '\n') == out + strlen(out) - 1));
		ok(good, "apply --dry-run {%s}%s: %s%.*s", t[i].dev,
		   t[i].pool_max ? "" : ", no pool-max listed",
		   t[i].ret ? "refused, " : "", (int)strcspn(t[i].want, "\n"), t[i].want);
		if (!good)
			printf("# exit %d, output: %s\n", apply_ret, out);
	}
}

/*
 * A dev-set carries only the pool sides the file gives: the kernel keeps
 * the other as it is when the change is made (a side listed long ago, or
 * not listed at all, is never sent back).
 */
static void test_apply_sides(void)
{
	static const struct {
		const char *dev;
		bool pool_max;		/* the listing has pool-max */
		int64_t min, max;	/* sent; -2 not sent, -1 no dev-set */
	} t[] = {
		{ "\"pool-min\": 20", true, 20, -2 },
		{ "\"pool-max\": 50", true, -2, 50 },
		{ "\"pool-min\": 20, \"pool-max\": 60", true, 20, 60 },
		/* a side given as listed is not sent: it may be listed clamped */
		{ "\"pool-min\": 20, \"pool-max\": 100", true, 20, -2 },
		{ "\"pool-max\": 50", false, -2, 50 },
		{ "\"pool-min\": 200", false, 200, -2 },
		{ "\"mode\": \"local\"", true, -2, -2 },
		{ "\"mode\": \"local\"", false, -2, -2 },
		{ "\"pool-min\": 1", false, -1, -1 },
		{ "\"resv\": [{\"first\": 500, \"last\": 510}]", false, -1, -1 },
		{ "\"pool-min\": 1, \"pool-max\": 100", true, -1, -1 },
	};
	size_t i;
	char *out;
	bool good;

	apply_real = true;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out = apply_entry(t[i].dev, t[i].pool_max);
		good = apply_ret == 0 && apply_sent_min == t[i].min &&
		       apply_sent_max == t[i].max;
		ok(good, "apply {%s}%s: dev-set pool-min %s, pool-max %s", t[i].dev,
		   t[i].pool_max ? "" : ", no pool-max listed",
		   t[i].min == -1 ? "(none)" : t[i].min == -2 ? "not sent" : "sent",
		   t[i].max == -1 ? "(none)" : t[i].max == -2 ? "not sent" : "sent");
		if (!good)
			printf("# exit %d, sent min %lld max %lld, output: %s\n", apply_ret,
			       (long long)apply_sent_min, (long long)apply_sent_max, out);
	}
	apply_real = false;
}

/*
 * A pool-max the file leaves is kept, and the kernel checks the pool as it
 * would read back: where the listing shows a pool past its group's width
 * (a narrower group-mate left nothing of it), a pool-min alone within the
 * width is taken (the kernel clamps), one past it is refused before any
 * change. Changes are counted one by one, also when a dev-set carries two
 * and a later request fails.
 */
static void test_apply_kept(void)
{
	char *out;
	bool good;

	apply_group_max = 64;
	out = apply_entry("\"pool-min\": 70, \"resv\": []", true);
	good = apply_ret == -PE_KERNEL &&
	       strstr(out, "pool-min 70 is past 63, the last PASID every device of its IOMMU group takes; nothing changed") &&
	       !strncmp(out, "Error: ", 7) && strchr(out, '\n') == out + strlen(out) - 1;
	ok(good, "apply --dry-run of pool-min alone past the group, the listed pool-max past it too: refused before any change");
	if (!good)
		printf("# exit %d, output: %s\n", apply_ret, out);
	out = apply_entry("\"pool-min\": 20", true);
	good = apply_ret == 0 && strstr(out, "would svamock/svamock1: pool-min 1 -> 20\n");
	ok(good, "apply --dry-run of pool-min alone within the group, the listed pool-max past it: taken, as the kernel clamps");
	if (!good)
		printf("# exit %d, output: %s\n", apply_ret, out);
	apply_group_max = 0;

	/* mode and pool in one dev-set, then a reservation the kernel never answers */
	apply_real = true;
	out = apply_entry("\"mode\": \"local\", \"pool-min\": 20, \"resv\": [{\"first\": 500, \"last\": 510}]", true);
	apply_real = false;
	good = apply_ret == -PE_PARTIAL && strstr(out, "apply stopped after 2 of its changes");
	ok(good, "apply stopped after a dev-set of mode and pool counts 2 changes");
	if (!good)
		printf("# exit %d, output: %s\n", apply_ret, out);
}

int main(void)
{
	saved_stderr = dup(2);
	printf("TAP version 13\n");
	test_u32();
	test_pid();
	test_range();
	test_list();
	test_keywords();
	test_pci();
	test_split();
	test_printers();
	test_reply_attrs();
	test_scan_verdicts();
	test_resolve();
	test_stream();
	test_reserve_undo();
	test_apply_pool();
	test_apply_sides();
	test_apply_kept();
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
