// SPDX-License-Identifier: GPL-2.0
/*
 * apply files: the input is the file, read and checked by the real apply
 * command (--dry-run), then the device list and the devices' state come
 * from a fake kernel with nothing to say, so everything up to netlink runs.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fake_quiet();
	fd = memfd_create("apply.json", 0);
	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *argv[] = { "apply", "--dry-run", path, NULL };
	struct pctx ctx;
	int ret;

	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	fake_kernel(&ctx, NULL, 0);
	ctx.json = size && (data[0] & 1);
	fake_stderr_begin();
	ret = run_args(&ctx, 3, argv);
	/* one Error: line for a failure, none for success */
	if (ret > 0 || ret < -PE_PARTIAL || fake_error_lines() != (ret < 0))
		__builtin_trap();
	fake_done(&ctx);
	return 0;
}
