/* SPDX-License-Identifier: ISC */
/* text.c -- see text.h.  What may be shown as it is, and the \xHH form of
 * the rest; the writers keep their own fast paths (tables of bytes that
 * need no look) and call here for everything else. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "text.h"

size_t
ap_text_utf8_len(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n, i;
	unsigned char		 lo = 0x80, hi = 0xbf;

	if (len == 0)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] < 0xc2)
		return (0);			/* continuation or overlong */
	else if (s[0] < 0xe0)
		n = 2;
	else if (s[0] < 0xf0) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (s[0] < 0xf5) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
	} else
		return (0);
	if (len < n)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	}
	return (n);
}

/* A C1 control, U+0080-U+009F (CSI is U+009B). */
static bool
text_c1(const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;

	return (n == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

bool
ap_text_dangerous(const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	uint32_t		 cp;

	if (n == 2)
		return (text_c1(str, n));
	if (n != 3)
		return (false);
	cp = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
	    (s[2] & 0x3f);
	return ((cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
}

size_t
ap_text_safe_len(const char *s, size_t len)
{
	unsigned char	 c;
	size_t		 n;

	if (len == 0)
		return (0);
	c = (unsigned char)s[0];
	if (c < 0x80)
		return (c >= 0x20 && c < 0x7f);
	if ((n = ap_text_utf8_len(s, len)) == 0 || ap_text_dangerous(s, n))
		return (0);
	return (n);
}

void
ap_text_hex(unsigned char c, char out[4])
{
	static const char	 hex[] = "0123456789abcdef";

	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0x0f];
}

bool
ap_text_is_safe(const char *s, size_t len, bool tab)
{
	size_t	 i, n;

	for (i = 0; i < len; i += n) {
		if (tab && s[i] == '\t')
			n = 1;
		else if ((n = ap_text_safe_len(s + i, len - i)) == 0)
			return (false);
	}
	return (true);
}

size_t
ap_text_escape(char *dst, size_t dstlen, const char *s, size_t len,
    const struct ap_text_opts *o)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n, o_len = 0, max, need;
	char			 esc[4];
	bool			 keep;

	if (dstlen == 0)
		return (0);
	/* Room for "..." and the NUL whatever happens. */
	max = o->max;
	if (max > dstlen - 1)
		max = dstlen - 1;
	if (max > 3 && max + 3 > dstlen - 1)
		max = dstlen - 1 - 3;
	for (i = 0; i < len; i += n) {
		n = 1;
		keep = false;
		if (o->tab && u[i] == '\t')
			keep = true;
		else if (u[i] == '\\')
			keep = !o->backslash;
		else if (o->also != NULL && u[i] != '\0' &&
		    strchr(o->also, u[i]) != NULL)
			keep = false;
		else if ((n = ap_text_safe_len(s + i, len - i)) != 0)
			keep = true;
		else
			n = 1;
		need = keep ? n : u[i] == '\\' ? 2 : 4;
		if (o_len + need > max)
			break;
		if (keep)
			memcpy(dst + o_len, s + i, n);
		else if (u[i] == '\\')
			memcpy(dst + o_len, "\\\\", 2);
		else {
			ap_text_hex(u[i], esc);
			memcpy(dst + o_len, esc, 4);
		}
		o_len += need;
	}
	if (i < len && o_len + 3 <= dstlen - 1) {
		memcpy(dst + o_len, "...", 3);
		o_len += 3;
	}
	dst[o_len] = '\0';
	return (o_len);
}

uint32_t
ap_fnv1a(const void *p, size_t len, bool fold_case)
{
	const unsigned char	*s = p;
	uint32_t		 h = 2166136261u;
	unsigned char		 c;
	size_t			 i;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (fold_case && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return (h);
}
