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
 * disk or a closed pipe must not look like success to a script, and is
 * reported even when the command failed anyway.
 */
static int out_done(const struct pctx *ctx, int status)
{
	int failed = fflush(stdout), err = errno;

	if (failed || ferror(stdout)) {
		/* errno is the flush's; an earlier failed write left none */
		if (!ctx->out_reported)
			fprintf(stderr, "Error: writing the output%s%s\n",
				failed ? ": " : " failed", failed ? strerror(err) : "");
		return status ?: PE_USAGE;
	}
	return status;
}

/*
 * A bad option, named as it was written. getopt_long() leaves optopt 0 for
 * an unknown long option, the option's letter for a long option given a
 * value it does not take or lacking one it needs, and the letter itself
 * for a short one (which may sit in a cluster such as -xj, where optind
 * has not moved on yet).
 */
static void bad_option(struct pctx *ctx, char **argv, int opt)
{
	const char *word = argv[optind - 1], *eq;

	if (!opt) {
		perr(ctx, PE_USAGE, "unknown option \"%s\"; try \"pasidctl -h\"", word);
	} else if (strchr("jpfntVh", opt)) {
		/* only a long option can be given a value: --json=1 */
		eq = strchr(word, '=');
		perr(ctx, PE_USAGE, "option \"%.*s\" takes no value",
		     eq ? (int)(eq - word) : (int)strlen(word), word);
	} else if (opt == 'b') {
		perr(ctx, PE_USAGE, "option \"%s\" needs a value",
		     !strncmp(word, "--", 2) ? word : "-b");
	} else {
		perr(ctx, PE_USAGE, "unknown option \"-%c\"; try \"pasidctl -h\"", opt);
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
			return out_done(&ctx, 0);
		case 'h':
			usage(stdout);
			return out_done(&ctx, 0);
		default:
			bad_option(&ctx, argv, optopt);
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
	return out_done(&ctx, -ret);
}
