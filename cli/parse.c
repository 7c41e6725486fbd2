// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for PASID values, ranges, lists, policy keywords, labels, PCI
 * addresses and batch lines. They take no context and leave a message in
 * the caller's struct pmsg on failure, so the host unit tests (and the
 * fuzzers) can call them directly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pasidctl.h"

static int fail(struct pmsg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct pmsg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
	return -PE_USAGE;
}

/* Decimal or 0x-prefixed hexadecimal, nothing else, at most @max. */
int parse_u32(const char *s, uint32_t max, uint32_t *out, struct pmsg *m)
{
	unsigned long long v = 0;
	const char *p = s;
	int base = 10, digits = 0;

	if (!s || !*s)
		return fail(m, "empty number");
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
			return fail(m, "\"%s\" is not a number", s);
		v = v * base + d;
		if (v > max)
			return fail(m, "\"%s\" is out of range (at most %u)", s, max);
		digits++;
	}
	if (!digits)
		return fail(m, "\"%s\" is not a number", s);
	*out = (uint32_t)v;
	return 0;
}

/*
 * A process id: decimal digits only, from 1 to PID_MAX_LIMIT - 1 (pids are
 * below pid_max, at most PID_MAX_LIMIT). No sign and
 * no "0x": pids are decimal everywhere else (ps, /proc), so "0x10" is a
 * slip rather than pid 16. Leading zeros are harmless: "010" is 10.
 */
int parse_pid(const char *s, uint32_t *out, struct pmsg *m)
{
	unsigned long long v = 0;
	const char *p;

	if (!s || !*s)
		return fail(m, "empty process id");
	for (p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return fail(m, "bad process id \"%s\": not a decimal number", s);
		v = v * 10 + (*p - '0');
		if (v >= PID_MAX_LIMIT)
			return fail(m, "bad process id \"%s\": out of range (at most %u)",
				    s, PID_MAX_LIMIT - 1);
	}
	if (!v)
		return fail(m, "bad process id \"%s\": process ids start at 1", s);
	*out = (uint32_t)v;
	return 0;
}

/* "A-B" with A <= B, or "A" alone; PASIDs are 20 bits. */
int parse_range(const char *s, struct range *r, struct pmsg *m)
{
	struct pmsg why;
	char buf[64];
	char *dash;

	if (!s || !*s)
		return fail(m, "empty range");
	if (strlen(s) >= sizeof(buf))
		return fail(m, "range \"%.20s...\" is too long", s);
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!buf[0])
		return fail(m, "bad range \"%s\": the first PASID is missing", s);
	if (dash && !dash[1])
		return fail(m, "bad range \"%s\": the last PASID is missing", s);
	if (parse_u32(buf, PASID_MAX, &r->first, &why))
		return fail(m, "bad range \"%s\": %s", s, why.text);
	if (!dash) {
		r->last = r->first;
		return 0;
	}
	if (parse_u32(dash + 1, PASID_MAX, &r->last, &why))
		return fail(m, "bad range \"%s\": %s", s, why.text);
	if (r->last < r->first)
		return fail(m, "bad range \"%s\": %u is above %u", s, r->first,
			    r->last);
	return 0;
}

/* "1-63,128": ranges, ascending and not overlapping. Returns the count. */
int parse_range_list(const char *s, struct range *r, int max,
		     struct pmsg *m)
{
	char buf[256];
	char *tok, *save;
	int n = 0;

	if (!s || !*s)
		return fail(m, "empty range list");
	if (strlen(s) >= sizeof(buf))
		return fail(m, "range list is too long");
	strcpy(buf, s);
	if (buf[strlen(buf) - 1] == ',' || buf[0] == ',' || strstr(buf, ",,"))
		return fail(m, "bad range list \"%s\": empty element", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return fail(m, "range list \"%s\" has more than %d ranges",
				    s, max);
		if (parse_range(tok, &r[n], m))
			return -PE_USAGE;
		if (n && r[n].first <= r[n - 1].last)
			return fail(m, "bad range list \"%s\": ranges must ascend without overlap",
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

int parse_mode(const char *s, bool allow_default, uint32_t *out,
	       struct pmsg *m)
{
	uint32_t i;

	for (i = allow_default ? 0 : 1; s && i < 4; i++) {
		if (!strcmp(s, modes[i])) {
			*out = i;
			return 0;
		}
	}
	return fail(m, "mode must be %sglobal, local or auto, not \"%s\"",
		    allow_default ? "default, " : "", s ? s : "");
}

int parse_kind(const char *s, uint32_t *out, struct pmsg *m)
{
	uint32_t i;

	for (i = 0; s && i < 2; i++) {
		if (!strcmp(s, kinds[i])) {
			*out = i;
			return 0;
		}
	}
	return fail(m, "kind must be global or local, not \"%s\"", s ? s : "");
}

int parse_label(const char *s, struct pmsg *m)
{
	const char *p;

	if (!s || !*s)
		return fail(m, "empty label");
	if (strlen(s) > LABEL_MAX_LEN)
		return fail(m, "label \"%s\" is longer than %d characters", s,
			    LABEL_MAX_LEN);
	for (p = s; *p; p++)
		if (!isgraph((unsigned char)*p))
			return fail(m, "label \"%s\" has a blank or control character",
				    s);
	return 0;
}

/* @n hex digits at @s, nothing else: no sign, blank or 0x. */
static bool hex_field(const char *s, int n, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		v = v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' :
			      tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*out = v;
	return true;
}

/*
 * A PCI address "DDDD:BB:SS.F" or "BB:SS.F" (domain 0), written out in the
 * kernel's form. Returns 1 if @s is one, 0 if it does not look like one.
 */
int parse_pci_addr(const char *s, char *out, size_t len)
{
	unsigned int dom = 0, bus, slot, fn;
	size_t n = strlen(s);

	if (n == 12) {
		if (!hex_field(s, 4, &dom) || s[4] != ':')
			return 0;
		s += 5;
	} else if (n != 7) {
		return 0;
	}
	if (!hex_field(s, 2, &bus) || s[2] != ':' || !hex_field(s + 3, 2, &slot) ||
	    s[5] != '.' || s[6] < '0' || s[6] > '7' || slot > 31)
		return 0;
	fn = s[6] - '0';
	snprintf(out, len, "%04x:%02x:%02x.%u", dom, bus, slot, fn);
	return 1;
}

/*
 * Split a batch line into words: blanks separate, double quotes group, '#'
 * at the start of a word begins a comment. Returns the word count.
 */
int split_line(char *line, char **argv, int max, struct pmsg *m)
{
	int n = 0;
	char *p = line, *w;

	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return fail(m, "more than %d words on a line", max);
		w = p;
		argv[n++] = w;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"') {
				char *q = strchr(p + 1, '"');

				if (!q)
					return fail(m, "unterminated quote");
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
