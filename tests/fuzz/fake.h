/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzers' stand-in for the kernel: a libnl socket whose send goes
 * nowhere and whose receive hands out datagrams cut from the fuzzer's
 * input, so pasidctl's real request and reply code runs on hostile replies.
 */
#ifndef PASIDCTL_FUZZ_FAKE_H
#define PASIDCTL_FUZZ_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "pasidctl.h"

/*
 * Make @ctx talk to a fake kernel that answers with @data: a sequence of
 * datagrams, each a 2-byte little-endian length and that many bytes. When
 * they run out, receiving fails (as a closed socket does).
 */
void fake_kernel(struct pctx *ctx, const uint8_t *data, size_t len);
/*
 * The last request of the family sent with generic netlink command @cmd
 * since fake_kernel(), or NULL (also when it was longer than 1024 bytes).
 */
const struct nlmsghdr *fake_sent(uint8_t cmd);
/* Free what fake_kernel() and the commands left in @ctx. */
void fake_done(struct pctx *ctx);
/* Send stdout to /dev/null: output is not what is fuzzed, its paths are. */
void fake_quiet(void);
/*
 * Catch what the next command writes to stderr, then count its lines that
 * start with "Error: ": a failure must report itself exactly once.
 */
void fake_stderr_begin(void);
int fake_error_lines(void);
/* what went to stderr since fake_stderr_begin() (at most @cap - 1 bytes) */
size_t fake_stderr_take(char *buf, size_t cap);
/* stdout into memory, and what was written since (at most @cap - 1 bytes) */
void fake_stdout_begin(void);
size_t fake_stdout_take(char *buf, size_t cap);

#endif
