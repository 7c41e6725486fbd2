// SPDX-License-Identifier: GPL-2.0
/*
 * The command-line parsers: the first byte picks one (numbers, ranges, range
 * lists, labels, modes, kinds, PCI addresses, device handles, batch line
 * splitting), the rest is its argument. Each must return a result or a
 * message that is a terminated string, and never touch memory it does not
 * own (ASan) or overflow (UBSan).
 */
#include <stdlib.h>
#include <string.h>

#include "pasidctl.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct range r[16];
	struct pmsg m;
	char *s, out[32], *argv[64];
	uint32_t v;
	int ret = 0;

	if (!size)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	m.text[0] = '\0';
	switch (data[0] % 10) {
	case 0:
		if (data[0] & 0x80) {
			/* a pid: decimal digits only, 1 to PID_MAX_LIMIT */
			ret = parse_pid(s, &v, &m);
			if (!ret && (!v || v >= PID_MAX_LIMIT ||
				     s[strspn(s, "0123456789")]))
				abort();
			break;
		}
		ret = parse_u32(s, PASID_MAX, &v, &m);
		if (!ret && v > PASID_MAX)
			abort();
		break;
	case 1:
		ret = parse_range(s, r, &m);
		if (!ret && (r[0].first > r[0].last || r[0].last > PASID_MAX))
			abort();
		break;
	case 2:
		ret = parse_range_list(s, r, 16, &m);
		for (int i = 1; i < ret; i++)
			if (r[i].first <= r[i - 1].last)
				abort();
		ret = ret < 0 ? ret : 0;
		break;
	case 3:
		ret = parse_label(s, &m);
		if (!ret && (strlen(s) > LABEL_MAX_LEN || strpbrk(s, " \t\n")))
			abort();
		break;
	case 4:
		ret = parse_mode(s, data[0] & 0x80, &v, &m);
		break;
	case 5:
		ret = parse_kind(s, &v, &m);
		break;
	case 6:
		if (parse_pci_addr(s, out, sizeof(out)) && strlen(out) != 12)
			abort();
		break;
	case 7:
		ret = dev_handle_check(s, &m);
		/* a path (absolute) is resolved; a BUS/NAME never climbs */
		if (!ret && s[0] != '/') {
			const char *sl = strchr(s, '/');
			const char *nm = sl ? sl + 1 : s;

			if (!strcmp(nm, "..") || !strcmp(nm, ".") ||
			    (sl && strchr(nm, '/')))
				abort();
		}
		break;
	case 8:
		ret = split_line(s, argv, 64, &m);
		ret = ret < 0 ? ret : 0;
		break;
	case 9:
		ret = !dev_name_ok(s, 64);
		break;
	}
	/* a failure always says why */
	if (ret && data[0] % 10 != 9 && !m.text[0])
		abort();
	free(s);
	return 0;
}
