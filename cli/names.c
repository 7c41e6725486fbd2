// SPDX-License-Identifier: GPL-2.0
/*
 * Devices: turning the names people have at hand into the kernel's
 * bus/device handle, and looking up driver and hwdb names. Everything that
 * touches libudev is here. libudev reads sysfs and the hwdb file directly, so
 * this works without a udev daemon (as in the test VM).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libudev.h>

#include "pasidctl.h"

static struct udev *get_udev(struct pctx *ctx)
{
	if (!ctx->udev)
		ctx->udev = udev_new();
	return ctx->udev;
}

static bool is_bus(const char *subsystem)
{
	char p[PATH_MAX];

	if (!subsystem)
		return false;
	snprintf(p, sizeof(p), "/sys/bus/%s", subsystem);
	return access(p, F_OK) == 0;
}

/* From a udev device (maybe a class device such as a /dev node's), up to
 * the first device that sits on a bus: that is what the family names. */
static int from_udev_dev(struct pctx *ctx, struct udev_device *u,
			 const char *what, struct devref *d)
{
	struct udev_device *p;

	for (p = u; p; p = udev_device_get_parent(p)) {
		const char *ss = udev_device_get_subsystem(p);

		if (is_bus(ss)) {
			snprintf(d->bus, sizeof(d->bus), "%s", ss);
			snprintf(d->name, sizeof(d->name), "%s",
				 udev_device_get_sysname(p));
			udev_device_unref(u);
			return 0;
		}
	}
	udev_device_unref(u);
	return perr(ctx, PE_NOTSUP, "%s is not a device on a bus", what);
}

/* The one bus that has a device called @name. */
static int find_bare(struct pctx *ctx, const char *name, struct devref *d)
{
	DIR *dir = opendir("/sys/bus");
	struct dirent *e;
	int found = 0;

	if (!dir)
		return perr(ctx, PE_NOTSUP, "cannot read /sys/bus: %s", strerror(errno));
	while ((e = readdir(dir))) {
		char p[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/%s/devices/%s", e->d_name, name);
		if (access(p, F_OK))
			continue;
		if (found++) {
			perr(ctx, PE_USAGE, "device name \"%s\" is on more than one bus (%s and %.64s); write BUS/%s",
			     name, d->bus, e->d_name, name);
			closedir(dir);
			return -PE_USAGE;
		}
		snprintf(d->bus, sizeof(d->bus), "%.63s", e->d_name);
		snprintf(d->name, sizeof(d->name), "%.127s", name);
	}
	closedir(dir);
	if (!found)
		return perr(ctx, PE_NOTSUP, "no device \"%s\" on any bus", name);
	return 0;
}

/*
 * A bus or device name as sysfs has it: printable, without blanks or '/',
 * and not "." or "..", which would name a directory rather than a device.
 */
bool dev_name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	const char *p;

	if (!n || n >= max || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (p = s; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == '/')
			return false;
	return true;
}

/*
 * Is @s a device handle by its form alone: a device node or sysfs path
 * (absolute), BUS/NAME, a PCI address or a bare NAME? Checked before any
 * lookup, so that a file of handles is refused before netlink is opened.
 */
int dev_handle_check(const char *s, struct pmsg *m)
{
	const char *slash;
	char bus[64];
	size_t blen;

	if (!s || !*s) {
		snprintf(m->text, sizeof(m->text), "empty device name");
		return -PE_USAGE;
	}
	if (s[0] == '/') {
		if (strlen(s) < PATH_MAX)
			return 0;
		snprintf(m->text, sizeof(m->text), "device path is too long");
		return -PE_USAGE;
	}
	slash = strchr(s, '/');
	blen = slash ? (size_t)(slash - s) : 0;
	if (slash && blen < sizeof(bus)) {
		memcpy(bus, s, blen);
		bus[blen] = '\0';
	}
	if (slash ? blen >= sizeof(bus) || !dev_name_ok(bus, sizeof(bus)) ||
		    !dev_name_ok(slash + 1, sizeof(((struct devref *)0)->name)) :
		    !dev_name_ok(s, sizeof(((struct devref *)0)->name))) {
		snprintf(m->text, sizeof(m->text),
			 "bad device handle \"%.64s\" (want BUS/NAME, a PCI address, a device name or path)",
			 s);
		return -PE_USAGE;
	}
	return 0;
}

/*
 * Resolve @s: BUS/NAME, a PCI address with or without domain, a device name
 * found on one bus, a sysfs path, or a /dev node.
 */
int dev_resolve(struct pctx *ctx, const char *s, struct devref *d)
{
	struct pmsg pm;
	char pci[32];
	const char *slash;

	memset(d, 0, sizeof(*d));
	if (dev_handle_check(s, &pm))
		return perr(ctx, PE_USAGE, "%s", pm.text);
	if (s[0] == '/') {
		struct udev_device *u = NULL;
		char real[PATH_MAX];
		struct stat st;

		if (!get_udev(ctx))
			return perr(ctx, PE_NOTSUP, "cannot use libudev");
		if (stat(s, &st))
			return perr(ctx, PE_NOTSUP, "%s: %s", s, strerror(errno));
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			u = udev_device_new_from_devnum(ctx->udev,
							S_ISCHR(st.st_mode) ? 'c' : 'b',
							st.st_rdev);
		} else if (realpath(s, real) && !strncmp(real, "/sys/", 5)) {
			u = udev_device_new_from_syspath(ctx->udev, real);
		} else {
			return perr(ctx, PE_USAGE, "%s is neither a device node nor a sysfs device", s);
		}
		if (!u)
			return perr(ctx, PE_NOTSUP, "%s: no such device", s);
		return from_udev_dev(ctx, u, s, d);
	}
	slash = strchr(s, '/');
	if (slash) {
		size_t blen = slash - s;

		if (!blen || !slash[1] || strchr(slash + 1, '/') ||
		    blen >= sizeof(d->bus) || strlen(slash + 1) >= sizeof(d->name))
			return perr(ctx, PE_USAGE, "bad device handle \"%s\" (want BUS/NAME)", s);
		memcpy(d->bus, s, blen);
		/* pci/6a:01.0 is pci/0000:6a:01.0 */
		if (!strcmp(d->bus, "pci") && parse_pci_addr(slash + 1, pci, sizeof(pci)))
			snprintf(d->name, sizeof(d->name), "%s", pci);
		else
			snprintf(d->name, sizeof(d->name), "%s", slash + 1);
		return 0;
	}
	if (parse_pci_addr(s, pci, sizeof(pci))) {
		strcpy(d->bus, "pci");
		snprintf(d->name, sizeof(d->name), "%s", pci);
		return 0;
	}
	return find_bare(ctx, s, d);
}

const char *dev_handle(const struct devref *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->bus, d->name);
	return buf;
}

static struct udev_device *udev_dev(struct pctx *ctx, const char *bus,
				    const char *name)
{
	if (!bus || !name || !get_udev(ctx))
		return NULL;
	return udev_device_new_from_subsystem_sysname(ctx->udev, bus, name);
}

static const char *hwdb_prop(struct udev_hwdb *hwdb, const char *modalias,
			     const char *key)
{
	struct udev_list_entry *e;

	udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0))
		if (!strcmp(udev_list_entry_get_name(e), key))
			return udev_list_entry_get_value(e);
	return NULL;
}

/* Adds "driver", "vendor" and "model" to @out when known. */
void dev_names(struct pctx *ctx, const char *bus, const char *name,
	       struct json_object *out)
{
	struct udev_device *u = udev_dev(ctx, bus, name);
	const char *drv, *vendor, *model, *modalias;

	if (!u)
		return;
	drv = udev_device_get_driver(u);
	if (drv)
		json_object_object_add(out, "driver", json_object_new_string(drv));
	vendor = udev_device_get_property_value(u, "ID_VENDOR_FROM_DATABASE");
	model = udev_device_get_property_value(u, "ID_MODEL_FROM_DATABASE");
	modalias = udev_device_get_sysattr_value(u, "modalias");
	if ((!vendor || !model) && modalias) {
		/*
		 * No udev daemon filled the database: ask the hwdb. Each query
		 * reuses the hwdb's list, so copy a value before the next one.
		 */
		struct udev_hwdb *hwdb = ctx->hwdb;

		/* one hwdb for all the devices of a listing */
		if (!hwdb)
			hwdb = ctx->hwdb = udev_hwdb_new(ctx->udev);

		if (vendor)
			json_object_object_add(out, "vendor", json_object_new_string(vendor));
		else if (hwdb && (vendor = hwdb_prop(hwdb, modalias, "ID_VENDOR_FROM_DATABASE")))
			json_object_object_add(out, "vendor", json_object_new_string(vendor));
		if (model)
			json_object_object_add(out, "model", json_object_new_string(model));
		else if (hwdb && (model = hwdb_prop(hwdb, modalias, "ID_MODEL_FROM_DATABASE")))
			json_object_object_add(out, "model", json_object_new_string(model));
	} else {
		if (vendor)
			json_object_object_add(out, "vendor", json_object_new_string(vendor));
		if (model)
			json_object_object_add(out, "model", json_object_new_string(model));
	}
	udev_device_unref(u);
}

static bool str_eq_ci(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

/*
 * Does device @bus/@name match every key of @match (bus-name, dev-name as a
 * glob, driver, vendor, device, attr)? On a mismatch @why says which key.
 */
bool dev_match(struct pctx *ctx, const char *bus, const char *name,
	       struct json_object *match, char *why, size_t whylen)
{
	struct udev_device *u = udev_dev(ctx, bus, name);
	bool ok = true;

	json_object_object_foreach(match, key, val) {
		const char *want = json_object_get_string(val);
		const char *have = NULL;

		if (!strcmp(key, "bus-name")) {
			ok = !strcmp(want, bus);
		} else if (!strcmp(key, "dev-name")) {
			ok = !fnmatch(want, name, 0);
		} else if (!strcmp(key, "driver")) {
			have = u ? udev_device_get_driver(u) : NULL;
			ok = have && !strcmp(have, want);
		} else if (!strcmp(key, "vendor") || !strcmp(key, "device")) {
			have = u ? udev_device_get_sysattr_value(u, key) : NULL;
			ok = str_eq_ci(have, want);
		} else if (!strcmp(key, "attr")) {
			json_object_object_foreach(val, an, av) {
				have = u ? udev_device_get_sysattr_value(u, an) : NULL;
				ok = have && !strcmp(have, json_object_get_string(av));
				if (!ok) {
					key = an;
					break;
				}
			}
		} else {
			ok = false;
		}
		if (!ok) {
			snprintf(why, whylen, "%s", key);
			break;
		}
	}
	if (u)
		udev_device_unref(u);
	return ok;
}

bool dev_in_iommu_group(struct pctx *ctx, const char *bus, const char *name)
{
	char p[PATH_MAX];

	(void)ctx;
	snprintf(p, sizeof(p), "/sys/bus/%s/devices/%s/iommu_group", bus, name);
	return access(p, F_OK) == 0;
}
