// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for PASID values, ranges, lists, policy keywords, labels, PCI
 * addresses and batch lines. They take no context and leave a message in
 * perr_buf on failure, so the host unit tests can call them directly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pasidctl.h"

char perr_buf[256];

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(perr_buf, sizeof(perr_buf), fmt, ap);
	va_end(ap);
	return -PE_USAGE;
}

/* Decimal or 0x-prefixed hexadecimal, nothing else, at most @max. */
int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;
	const char *p = s;
	int base = 10, digits = 0;

	if (!s || !*s)
		return fail("empty number");
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; *p; p++) {
		int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			return fail("\"%s\" is not a number", s);
		v = v * base + d;
		if (v > max)
			return fail("\"%s\" is out of range (at most %u)", s, max);
		digits++;
	}
	if (!digits)
		return fail("\"%s\" is not a number", s);
	*out = (uint32_t)v;
	return 0;
}

/* "A-B" with A <= B, or "A" alone; PASIDs are 20 bits. */
int parse_range(const char *s, struct range *r)
{
	char buf[64];
	char *dash;

	if (!s || !*s)
		return fail("empty range");
	if (strlen(s) >= sizeof(buf))
		return fail("range \"%.20s...\" is too long", s);
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!buf[0])
		return fail("bad range \"%s\": the first PASID is missing", s);
	if (dash && !dash[1])
		return fail("bad range \"%s\": the last PASID is missing", s);
	if (parse_u32(buf, PASID_MAX, &r->first))
		return fail("bad range \"%s\": %s", s, strcpy(buf, perr_buf));
	if (!dash) {
		r->last = r->first;
		return 0;
	}
	if (parse_u32(dash + 1, PASID_MAX, &r->last))
		return fail("bad range \"%s\": %s", s, strcpy(buf, perr_buf));
	if (r->last < r->first)
		return fail("bad range \"%s\": %u is above %u", s, r->first,
			    r->last);
	return 0;
}

/* "1-63,128": ranges, ascending and not overlapping. Returns the count. */
int parse_range_list(const char *s, struct range *r, int max)
{
	char buf[256];
	char *tok, *save;
	int n = 0;

	if (!s || !*s)
		return fail("empty range list");
	if (strlen(s) >= sizeof(buf))
		return fail("range list is too long");
	strcpy(buf, s);
	if (buf[strlen(buf) - 1] == ',' || buf[0] == ',' || strstr(buf, ",,"))
		return fail("bad range list \"%s\": empty element", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return fail("range list \"%s\" has more than %d ranges",
				    s, max);
		if (parse_range(tok, &r[n]))
			return -PE_USAGE;
		if (n && r[n].first <= r[n - 1].last)
			return fail("bad range list \"%s\": ranges must ascend without overlap",
				    s);
		n++;
	}
	return n;
}

static const char *const modes[] = { "default", "global", "local", "auto" };
static const char *const kinds[] = { "global", "local" };

const char *mode_name(uint32_t mode)
{
	return mode < 4 ? modes[mode] : "unknown";
}

const char *kind_name(uint32_t kind)
{
	return kind < 2 ? kinds[kind] : "unknown";
}

int parse_mode(const char *s, bool allow_default, uint32_t *out)
{
	uint32_t i;

	for (i = allow_default ? 0 : 1; s && i < 4; i++) {
		if (!strcmp(s, modes[i])) {
			*out = i;
			return 0;
		}
	}
	return fail("mode must be %sglobal, local or auto, not \"%s\"",
		    allow_default ? "default, " : "", s ? s : "");
}

int parse_kind(const char *s, uint32_t *out)
{
	uint32_t i;

	for (i = 0; s && i < 2; i++) {
		if (!strcmp(s, kinds[i])) {
			*out = i;
			return 0;
		}
	}
	return fail("kind must be global or local, not \"%s\"", s ? s : "");
}

int parse_label(const char *s)
{
	const char *p;

	if (!s || !*s)
		return fail("empty label");
	if (strlen(s) > LABEL_MAX_LEN)
		return fail("label \"%s\" is longer than %d characters", s,
			    LABEL_MAX_LEN);
	for (p = s; *p; p++)
		if (!isgraph((unsigned char)*p))
			return fail("label \"%s\" has a blank or control character",
				    s);
	return 0;
}

/*
 * A PCI address "DDDD:BB:SS.F" or "BB:SS.F" (domain 0), written out in the
 * kernel's form. Returns 1 if @s is one, 0 if it does not look like one.
 */
int parse_pci_addr(const char *s, char *out, size_t len)
{
	unsigned int dom = 0, bus, slot, fn;
	int n = 0;

	if (sscanf(s, "%4x:%2x:%2x.%1u%n", &dom, &bus, &slot, &fn, &n) == 4 &&
	    !s[n] && n == 12) {
		;
	} else if (dom = 0, sscanf(s, "%2x:%2x.%1u%n", &bus, &slot, &fn, &n) == 3 &&
		   !s[n] && n == 7) {
		;
	} else {
		return 0;
	}
	if (slot > 31 || fn > 7)
		return 0;
	snprintf(out, len, "%04x:%02x:%02x.%u", dom, bus, slot, fn);
	return 1;
}

/*
 * Split a batch line into words: blanks separate, double quotes group, '#'
 * at the start of a word begins a comment. Returns the word count.
 */
int split_line(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line, *w;

	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return fail("more than %d words on a line", max);
		w = p;
		argv[n++] = w;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"') {
				char *q = strchr(p + 1, '"');

				if (!q)
					return fail("unterminated quote");
				memmove(p, p + 1, q - p - 1);
				memmove(q - 1, q + 1, strlen(q + 1) + 1);
				p = q - 1;
				continue;
			}
			p++;
		}
		if (*p)
			*p++ = '\0';
	}
}
