// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl status: can PASIDs be administered here, and if not, why not.
 * Exit 0 when the family is present and lists a PASID-capable device, 3
 * otherwise.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <netlink/msg.h>

#include "iommu_pasid.h"
#include "pasidctl.h"

#define PCI_EXT_CAP_ID_PASID 0x1b

/* 1: the PCI device has a PASID extended capability, 0: no, -1: unknown. */
static int pci_has_pasid_cap(const char *name)
{
	unsigned char cfg[4096];
	char p[PATH_MAX];
	unsigned int off = 0x100, hops = 0;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, cfg, sizeof(cfg));
	close(fd);
	if (n <= 0x100)
		return n == 256 ? 0 : -1;	/* unprivileged reads stop at 64 */
	while (off && off + 4 <= (size_t)n && hops++ < 256) {
		uint32_t h = cfg[off] | cfg[off + 1] << 8 | cfg[off + 2] << 16 |
			     (uint32_t)cfg[off + 3] << 24;

		if (!h)
			break;
		if ((h & 0xffff) == PCI_EXT_CAP_ID_PASID)
			return 1;
		off = (h >> 20) & 0xffc;
	}
	return 0;
}

/* The family's entry for the device @handle, or NULL. */
static struct json_object *listed(struct json_object *fam_devs, const char *handle)
{
	struct json_object *d;
	size_t i;

	for (i = 0; fam_devs && i < json_object_array_length(fam_devs); i++) {
		d = json_object_array_get_idx(fam_devs, i);
		if (!strcmp(jget_str(d, "handle") ?: "", handle))
			return d;
	}
	return NULL;
}

static int keep_global(struct pctx *ctx, struct json_object *g, void *arg)
{
	(void)ctx;
	json_object_object_add(arg, "global", json_object_get(g));
	return 0;
}

static int status(struct pctx *ctx, struct args *a)
{
	struct json_object *st = json_object_new_object();
	struct json_object *fam = json_object_new_object();
	struct json_object *iommus = json_object_new_array();
	struct json_object *devs = json_object_new_array();
	struct json_object *fam_devs = NULL;
	int present, netns, capable = 0, outside = 0;
	bool unlisted = false;
	struct json_object *g;
	struct dirent *b, *e;
	DIR *bd, *dd;
	size_t i;

	if (!args_done(a)) {
		json_object_put(st);
		json_object_put(fam);
		json_object_put(iommus);
		json_object_put(devs);
		return perr(ctx, PE_USAGE, "status takes no argument, not \"%s\"",
			    args_peek(a));
	}
	present = pnl_family_present(ctx);
	netns = pnl_netns();
	json_object_object_add(fam, "name", json_object_new_string(IOMMU_PASID_FAMILY_NAME));
	json_object_object_add(fam, "present", json_object_new_boolean(present == 0));
	json_object_object_add(fam, "netns", json_object_new_string(
		netns == NETNS_OTHER ? "other" : netns == NETNS_INITIAL ? "initial" : "unknown"));
	if (present == 0) {
		struct nl_msg *msg = pnl_new(ctx, IOMMU_PASID_CMD_DEV_GET, NLM_F_DUMP);

		json_object_object_add(fam, "version", json_object_new_int(ctx->family_version));
		json_object_object_add(fam, "monitor", json_object_new_boolean(ctx->mcgrp != 0));
		fam_devs = json_object_new_array();
		if (msg && pnl_dump(ctx, msg, AS_DEV, pnl_collect, fam_devs, NULL)) {
			unlisted = true;
			json_object_object_add(fam, "error",
					       json_object_new_string(ctx->kmsg[0] ? ctx->kmsg :
								      strerror(ctx->kerr)));
		}
	}
	json_object_object_add(st, "format-version", json_object_new_int(PASIDCTL_FORMAT_VERSION));
	json_object_object_add(st, "family", fam);
	/* The global PASID space: what capacity planning needs. */
	if (present == 0) {
		struct nl_msg *msg = pnl_new(ctx, IOMMU_PASID_CMD_GLOBAL_GET, 0);

		/* A kernel without global-get just has no "global" to show. */
		ctx->quiet = true;
		if (msg)
			pnl_do(ctx, msg, AS_GLOBAL, keep_global, st);
		ctx->quiet = false;
	}

	if ((dd = opendir("/sys/class/iommu"))) {
		while ((e = readdir(dd)))
			if (e->d_name[0] != '.')
				json_object_array_add(iommus, json_object_new_string(e->d_name));
		closedir(dd);
	}
	json_object_object_add(st, "iommus", iommus);

	/* every device on every bus: behind an IOMMU, and can it do PASIDs? */
	bd = opendir("/sys/bus");
	while (bd && (b = readdir(bd))) {
		char p[PATH_MAX];

		if (b->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/%s/devices", b->d_name);
		if (!(dd = opendir(p)))
			continue;
		while ((e = readdir(dd))) {
			struct json_object *d;
			char h[PATH_MAX];
			const char *why = NULL;
			struct json_object *fd;
			bool ok;

			if (e->d_name[0] == '.')
				continue;
			if (!dev_in_iommu_group(ctx, b->d_name, e->d_name)) {
				outside++;
				continue;
			}
			snprintf(h, sizeof(h), "%s/%s", b->d_name, e->d_name);
			fd = listed(fam_devs, h);
			ok = fd;
			if (present != 0 && netns == NETNS_OTHER)
				why = "the iommu-pasid family is not in this network namespace to ask";
			else if (present != 0 && netns == NETNS_UNKNOWN)
				why = "no iommu-pasid family here to ask (the kernel lacks it, or this process is outside the initial network namespace)";
			else if (present != 0)
				why = "the kernel has no iommu-pasid family to ask";
			else if (unlisted)
				why = "the iommu-pasid family did not list the devices (see its error)";
			else if (!ok && !strcmp(b->d_name, "pci") &&
				 pci_has_pasid_cap(e->d_name) == 0)
				why = "the device has no PCI PASID capability";
			else if (!ok && !strcmp(b->d_name, "pci") &&
				 pci_has_pasid_cap(e->d_name) == 1)
				why = "the device has a PASID capability but its IOMMU driver does not enable PASIDs for it";
			else if (!ok)
				why = "its IOMMU driver reports no PASID support for it";
			capable += ok;
			d = json_object_new_object();
			json_object_object_add(d, "handle", json_object_new_string(h));
			json_object_object_add(d, "pasid-capable", json_object_new_boolean(ok));
			if (fd && jget_int(fd, "local-ok", -1) >= 0)
				json_object_object_add(d, "local-ok",
						       json_object_new_boolean(jget_int(fd, "local-ok", 0)));
			if (why)
				json_object_object_add(d, "reason", json_object_new_string(why));
			json_object_array_add(devs, d);
		}
		closedir(dd);
	}
	if (bd)
		closedir(bd);
	json_object_object_add(st, "dev", devs);
	json_object_object_add(st, "not-behind-iommu", json_object_new_int(outside));
	json_object_object_add(st, "usable", json_object_new_boolean(present == 0 && capable));

	if (ctx->json) {
		out_json_doc(ctx, st);
	} else {
		if (present == 0)
			printf("family iommu-pasid: present, version %d%s\n", ctx->family_version,
			       ctx->mcgrp ? ", monitor group" : "");
		else if (netns == NETNS_OTHER)
			printf("family iommu-pasid: not in this network namespace; it exists only in the initial one\n");
		else if (netns == NETNS_UNKNOWN)
			printf("family iommu-pasid: not found; this kernel lacks the iommu-pasid patches or CONFIG_IOMMU_PASID_NETLINK, or this process is outside the initial network namespace\n");
		else
			printf("family iommu-pasid: missing; this kernel lacks the iommu-pasid patches or CONFIG_IOMMU_PASID_NETLINK\n");
		if (json_object_object_get_ex(st, "global", &g))
			printf("global PASIDs: floor %lld, %lld in use; %lld values in use as local PASIDs\n",
			       (long long)jget_int(g, "floor", 0),
			       (long long)jget_int(g, "in-use", 0),
			       (long long)jget_int(g, "local-values", 0));
		if (!json_object_array_length(iommus))
			printf("iommus: none registered; enable the IOMMU in firmware and on the kernel command line (intel_iommu=on, amd_iommu=on)\n");
		else {
			printf("iommus:");
			for (i = 0; i < json_object_array_length(iommus); i++)
				printf(" %s", tsafe(json_object_get_string(json_object_array_get_idx(iommus, i))));
			putchar('\n');
		}
		for (i = 0; i < json_object_array_length(devs); i++) {
			struct json_object *d = json_object_array_get_idx(devs, i);
			const char *why = jget_str(d, "reason");

			int64_t lok = jget_int(d, "local-ok", -1);

			printf("  %s: %s%s%s\n", tsafe(jget_str(d, "handle")),
			       why ? "no PASIDs: " : "PASID-capable", why ?: "",
			       why || lok < 0 ? "" : lok ? ", local PASIDs allowed" :
			       ", global PASIDs only (its driver takes the CPU's PASID)");
		}
		printf("%d device%s not behind an IOMMU\n", outside, outside == 1 ? "" : "s");
		printf("%s\n", present == 0 && capable ?
		       "usable: yes" : "usable: no, nothing here can be given PASIDs");
	}
	json_object_put(st);
	if (fam_devs)
		json_object_put(fam_devs);
	return present == 0 && capable ? 0 : -PE_NOTSUP;
}

static int status_help(struct pctx *ctx, struct args *a)
{
	(void)ctx;
	(void)a;
	printf("Usage: pasidctl status\n"
	       "Says whether this kernel has the iommu-pasid family, which IOMMUs and\n"
	       "devices it has, and why a device cannot be given PASIDs.\n");
	return 0;
}

static const struct cmd status_cmds[] = {
	{ NULL, status },
	{ "help", status_help },
	{ NULL, NULL },
};

int cmd_status(struct pctx *ctx, struct args *a)
{
	return run_cmd(ctx, status_cmds, a, "status");
}
