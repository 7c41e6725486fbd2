// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel messages through pasidctl's real netlink code: the first byte picks
 * a command, the rest is what the kernel answers (length-prefixed datagrams,
 * see fake.h): the controller's family reply, then dump replies, ACKs with
 * extended ACK, NLMSG_DONE with errors, or monitor notifications. Nothing
 * the kernel sends may crash pasidctl, leak, or read out of bounds.
 */
#include <stdlib.h>
#include <string.h>

#include <netlink/msg.h>

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

static const char *const cmds[][6] = {
	{ "dev", "show", NULL },
	{ "dev", "show", "svamock/svamock1", NULL },
	{ "proc", "show", NULL },
	{ "proc", "show", "1", NULL },
	{ "global", "show", NULL },
	{ "global", "set", "floor", "5", NULL },
	{ "dev", "set", "svamock/svamock1", "mode", "local", NULL },
	{ "dev", "reserve", "svamock/svamock1", "range", "1-3", NULL },
	{ "status", NULL },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Monitor: each datagram, as a message, to the monitor's handler. */
static void monitor(struct pctx *ctx, const uint8_t *d, size_t len)
{
	ctx->family = 0x20;
	while (len >= 2) {
		size_t n = d[0] | d[1] << 8;
		struct nlmsghdr *h;
		struct nl_msg *msg;

		d += 2;
		len -= 2;
		if (n > len)
			n = len;
		if (n >= sizeof(*h)) {
			h = malloc(n);
			if (!h)
				return;
			memcpy(h, d, n);
			if (h->nlmsg_len <= n) {
				msg = nlmsg_convert(h);
				if (msg) {
					monitor_on_event(msg, ctx);
					nlmsg_free(msg);
				}
			}
			free(h);
		}
		d += n;
		len -= n;
	}
}

/*
 * pasidctl's one-walk validator (scan() in nl.c) against libnl's
 * nla_validate() with the same policy: the input, read as an attribute
 * stream of each attribute set, must get the same verdict from both.
 */
static void same_verdict(const uint8_t *d, size_t len)
{
	void *copy = malloc(len + 1);	/* aligned, as a received message is */
	int set;

	if (!copy)
		return;
	memcpy(copy, d, len);
	for (set = AS_DEV; set <= AS_GLOBAL; set++) {
		bool fast, libnl;

		pnl_validate_both(set, copy, (int)len, &fast, &libnl);
		if (fast != libnl)
			__builtin_trap();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pctx ctx;
	unsigned int c;
	int argc = 0, ret;

	if (!size)
		return 0;
	same_verdict(data + 1, size - 1);
	c = data[0] % (NCMDS + 1);
	fake_kernel(&ctx, data + 1, size - 1);
	ctx.json = data[0] & 0x80;
	if (c == NCMDS) {
		monitor(&ctx, data + 1, size - 1);
	} else {
		char *argv[6];

		while (cmds[c][argc]) {
			argv[argc] = (char *)cmds[c][argc];
			argc++;
		}
		argv[argc] = NULL;
		fake_stderr_begin();
		if (c == 2) {
			/*
			 * proc show: the listing streamed from the messages
			 * must be byte for byte what the json-c objects make,
			 * whatever the kernel sends (reruns, errors, escapes).
			 */
			static char streamed[1 << 20], objects[1 << 20];
			size_t ls, lo;
			int ro;

			fake_stdout_begin();
			ret = run_args(&ctx, argc, argv);
			ls = fake_stdout_take(streamed, sizeof(streamed));
			fake_done(&ctx);
			fake_kernel(&ctx, data + 1, size - 1);
			ctx.json = data[0] & 0x80;
			ctx.no_stream = true;
			fake_stdout_begin();
			ro = run_args(&ctx, argc, argv);
			lo = fake_stdout_take(objects, sizeof(objects));
			if (ro != ret || ls != lo || memcmp(streamed, objects, ls))
				__builtin_trap();
			/* JSON is valid UTF-8 without raw DEL or C1 controls */
			for (size_t i = 0; ctx.json && i < ls;) {
				unsigned int cp;
				int k = utf8_seq((unsigned char *)streamed + i, ls - i, &cp);

				if (!k || (cp >= 0x7f && cp <= 0x9f))
					__builtin_trap();
				i += k;
			}
			/* both runs said their error: two lines for one */
			if (ret < 0 && fake_error_lines() != 2)
				__builtin_trap();
			fake_quiet();
			fake_done(&ctx);
			return 0;
		}
		ret = run_args(&ctx, argc, argv);
		/*
		 * A failure says so once; success says nothing of the kind.
		 * (status exits 3 with its report, no error, when no device
		 * can do PASIDs.)
		 */
		if (ret > 0 || (strcmp(argv[0], "status") &&
				fake_error_lines() != (ret < 0)))
			__builtin_trap();
	}
	fake_done(&ctx);
	return 0;
}
