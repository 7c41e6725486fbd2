// SPDX-License-Identifier: GPL-2.0
/*
 * Objects, command dispatch and batch mode. Each object has its own file
 * with its own command table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libudev.h>

#include "pasidctl.h"

void usage(FILE *f)
{
	fprintf(f,
		"Usage: pasidctl [OPTIONS] OBJECT { COMMAND | help }\n"
		"       pasidctl [OPTIONS] -b FILE|-\n"
		"where  OBJECT := { dev | proc | global | monitor | status | apply }\n"
		"       OPTIONS := { -j[son] | -p[retty] | -b[atch] FILE | -f[orce] |\n"
		"                    -n[umeric] | -t[imestamp] | -V[ersion] | -h[elp] }\n"
		"Exit codes: 0 ok, 1 usage, 2 refused by the kernel, 3 not supported here,\n"
		"            4 a batch or apply partly failed. See pasidctl(8).\n");
}

static int do_help(struct pctx *ctx, struct args *a)
{
	(void)ctx;
	(void)a;
	usage(stdout);
	return 0;
}

static const struct cmd objects[] = {
	{ NULL, do_help },
	{ "dev", cmd_dev },
	{ "proc", cmd_proc },
	{ "global", cmd_global },
	{ "monitor", cmd_monitor },
	{ "status", cmd_status },
	{ "apply", cmd_apply },
	{ "help", do_help },
	{ NULL, NULL },
};

/*
 * Run the command named by the next argument from @tbl, whose entry 0 is
 * the default when no argument is left. Keywords match exactly.
 */
int run_cmd(struct pctx *ctx, const struct cmd *tbl, struct args *a,
	    const char *object)
{
	const char *w = args_peek(a);
	int i;

	if (!w)
		return tbl[0].fn(ctx, a);
	for (i = 1; tbl[i].fn; i++) {
		if (!strcmp(tbl[i].name, w)) {
			args_next(a);
			/* help takes no words: "dev help extra" is a mistake */
			if (!strcmp(w, "help") && !args_done(a))
				return perr(ctx, PE_USAGE, "help takes no arguments, not \"%s\"",
					    args_peek(a));
			return tbl[i].fn(ctx, a);
		}
	}
	return perr(ctx, PE_USAGE, "unknown %s%s\"%s\"; try \"pasidctl %s%shelp\"",
		    object ? object : "object", object ? " command " : " ", w,
		    object ? object : "", object ? " " : "");
}

/* "KEYWORD VALUE": the value, or a usage error naming the keyword. */
const char *kw_value(struct pctx *ctx, struct args *a, const char *kw)
{
	const char *v;
	int i;

	/* a keyword given twice would silently lose its first value */
	for (i = 0; i < a->nkws; i++)
		if (!strcmp(a->kws[i], kw)) {
			perr(ctx, PE_USAGE, "\"%s\" is given twice", kw);
			return NULL;
		}
	if (a->nkws < (int)(sizeof(a->kws) / sizeof(a->kws[0])))
		a->kws[a->nkws++] = kw;
	v = args_next(a);
	if (!v)
		perr(ctx, PE_USAGE, "\"%s\" needs a value", kw);
	return v;
}

int run_args(struct pctx *ctx, int argc, char **argv)
{
	struct args a = { .argc = argc, .argv = argv };

	if (!argc)
		return perr(ctx, PE_USAGE, "no object given; try \"pasidctl -h\"");
	return run_cmd(ctx, objects, &a, NULL);
}

/*
 * Every line of @file is a command without "pasidctl". Without -f the
 * batch stops at the first failed line; any failure makes it exit 4.
 */
/*
 * Read one line of at most BATCH_LINE_MAX bytes into @buf: 1 for a line, 0
 * at the end, -EIO on a read error, -E2BIG for a longer line, which ends the
 * batch (its end may never come). *@len counts every byte read, NULs
 * included.
 */
static int read_line(FILE *f, char *buf, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		/* BATCH_LINE_MAX bytes, then only the newline may come */
		if (n == BATCH_LINE_MAX && c != '\n')
			return -E2BIG;
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	*len = n;
	if (ferror(f))
		return -EIO;
	return n ? 1 : 0;
}

int run_batch(struct pctx *ctx, const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	struct stat st;
	int ret;

	if (!f)
		return perr(ctx, PE_USAGE, "cannot open batch file %s: %s", file,
			    strerror(errno));
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		if (f != stdin)
			fclose(f);
		return perr(ctx, PE_USAGE, "batch file %s is a directory", file);
	}
	ret = run_batch_file(ctx, f, file, f == stdin);
	if (f != stdin)
		fclose(f);
	return ret;
}

/*
 * The lines of @f, named @file in messages; @is_stdin when apply may not
 * read stdin because the batch comes from it.
 */
int run_batch_file(struct pctx *ctx, FILE *f, const char *file, bool is_stdin)
{
	int lineno = 0, failed = 0, ret = 0, got;
	char *line, *argv[64];
	struct stat st;
	size_t len;

	line = malloc(BATCH_LINE_MAX + 2);	/* the newline, the NUL */
	if (!line)
		return perr(ctx, PE_KERNEL, "out of memory");
	ctx->batch_stdin = is_stdin;
	if (!fstat(fileno(f), &st)) {
		ctx->batch_dev = st.st_dev;
		ctx->batch_ino = st.st_ino;
	}
	while ((got = read_line(f, line, &len))) {
		struct pmsg pm;
		char shown[128];
		int argc;

		lineno++;
		if (got == -EIO || got == -E2BIG) {
			if (got == -EIO)
				perr(ctx, PE_USAGE, "cannot read batch file %s: %s",
				     file, strerror(errno ?: EIO));
			else
				perr(ctx, PE_USAGE, "%s:%d: the line is longer than %d bytes; the batch ends here",
				     file, lineno, BATCH_LINE_MAX);
			failed++;
			break;
		}
		/* the line as written, for the message if it fails */
		snprintf(shown, sizeof(shown), "%s", line);
		shown[strcspn(shown, "\n")] = '\0';
		if (strlen(line) != len) {
			perr(ctx, PE_USAGE, "%s:%d: the line holds a NUL byte", file,
			     lineno);
			ret = -PE_USAGE;
		} else if ((argc = split_line(line, argv, 64, &pm)) < 0) {
			perr(ctx, PE_USAGE, "%s:%d: %s", file, lineno, pm.text);
			ret = -PE_USAGE;
		} else if (argc == 0) {
			continue;
		} else {
			ret = run_args(ctx, argc, argv);
		}
		if (fflush(stdout) && !ret) {
			ret = perr(ctx, PE_USAGE, "writing the output: %s",
				   strerror(errno));
			ctx->out_reported = true;
		}
		if (ret) {
			failed++;
			fprintf(stderr, "Error: batch line %d failed: %s\n", lineno,
				tsafe(shown));
			if (!ctx->force)
				break;
		}
	}
	free(line);
	ctx->batch_stdin = false;
	ctx->batch_dev = ctx->batch_ino = 0;
	return failed ? -PE_PARTIAL : 0;
}
