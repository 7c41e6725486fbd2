// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl [OPTIONS] OBJECT { COMMAND | help }
 *
 * Options and exit codes; everything else is reachable without main(), so
 * the host unit tests link it all.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include <libudev.h>

#include "pasidctl.h"

/*
 * The exit status @status, unless the output could not be written: a full
 * disk or a closed pipe must not look like success to a script.
 */
static int out_done(int status)
{
	if ((fflush(stdout) || ferror(stdout)) && !status) {
		fprintf(stderr, "Error: writing the output: %s\n",
			strerror(errno ?: EIO));
		return PE_USAGE;
	}
	return status;
}

/* A bad option, named as it was written ("--json=1", "-x"). */
static void bad_option(struct pctx *ctx, const char *word, int opt)
{
	const char *eq;

	if (word && !strncmp(word, "--", 2)) {
		eq = strchr(word, '=');
		if (eq && opt)
			perr(ctx, PE_USAGE, "option \"%.*s\" takes no value",
			     (int)(eq - word), word);
		else if (opt)
			perr(ctx, PE_USAGE, "option \"%s\" needs a value", word);
		else
			perr(ctx, PE_USAGE, "unknown option \"%s\"; try \"pasidctl -h\"",
			     word);
	} else if (opt == 'b') {
		perr(ctx, PE_USAGE, "option \"-b\" needs a value");
	} else {
		perr(ctx, PE_USAGE, "unknown option \"-%c\"; try \"pasidctl -h\"",
		     opt ?: '?');
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "timestamp", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pctx ctx = { 0 };
	const char *batch = NULL;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jpb:fntVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx.json = true;
			break;
		case 'p':
			ctx.pretty = true;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'f':
			ctx.force = true;
			break;
		case 'n':
			ctx.numeric = true;
			break;
		case 't':
			ctx.timestamp = true;
			break;
		case 'V':
			printf("pasidctl %s (iommu-pasid family version 1, JSON format-version %d)\n",
			       PASIDCTL_VERSION, PASIDCTL_FORMAT_VERSION);
			return out_done(0);
		case 'h':
			usage(stdout);
			return out_done(0);
		default:
			bad_option(&ctx, argv[optind - 1], optopt);
			return PE_USAGE;
		}
	}
	if (batch) {
		if (optind < argc) {
			perr(&ctx, PE_USAGE, "-b takes no command on the command line");
			return PE_USAGE;
		}
		ret = run_batch(&ctx, batch);
	} else {
		ret = run_args(&ctx, argc - optind, argv + optind);
	}
	pnl_close(&ctx);
	if (ctx.hwdb)
		udev_hwdb_unref(ctx.hwdb);
	if (ctx.udev)
		udev_unref(ctx.udev);
	/* internal errors (-ENOMEM, -EIO) count as refusals */
	if (ret < -PE_PARTIAL)
		ret = -PE_KERNEL;
	return out_done(-ret);
}
