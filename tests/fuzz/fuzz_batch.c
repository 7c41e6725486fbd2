// SPDX-License-Identifier: GPL-2.0
/*
 * Batch input through the real dispatcher: every line is split and run as a
 * command, with netlink going to a fake kernel that has nothing to say.
 * apply has a fuzzer of its own (and reads files a line names, which may
 * block), so it is turned off here (pctx.no_apply).
 */
#include <stdio.h>
#include <string.h>

#include "fake.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fake_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pctx ctx;
	FILE *f;
	int ret;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	fake_kernel(&ctx, NULL, 0);
	ctx.no_apply = true;
	ctx.force = data[0] & 1;
	ctx.json = data[size - 1] & 1;
	ret = run_batch_file(&ctx, f, "fuzz", true);
	if (ret != 0 && ret != -PE_PARTIAL)
		__builtin_trap();
	fake_done(&ctx);
	fclose(f);
	return 0;
}
