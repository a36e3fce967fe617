/* SPDX-License-Identifier: ISC */
/* text.h -- terminal-safe text: the one place that says which bytes may
 * reach a terminal, a log or a spreadsheet as they are (well-formed UTF-8
 * that moves no cursor and reorders nothing) and how the rest is shown
 * (\xHH per byte).  The line parser, the text, csv and nagios writers and
 * the JSON and Prometheus escapers all ask here.  Pure: no I/O. */
#ifndef AP_TEXT_H
#define AP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when the
 * bytes there start none (RFC 3629: overlong forms, surrogates, code
 * points past U+10FFFF, a truncated sequence, a stray continuation). */
size_t	ap_text_utf8_len(const char *s, size_t len);

/* True for the n-byte sequence at s (well-formed UTF-8) that a terminal
 * or a web UI would obey rather than show: the C1 controls (CSI is
 * U+009B) and the bidirectional and zero-width format characters
 * ("Trojan Source": U+200B-U+200F, U+202A-U+202E, U+2066-U+2069). */
bool	ap_text_dangerous(const char *s, size_t n);

/* Bytes of the character at s that may be shown as they are: 1 for
 * printable ASCII (0x20-0x7e), the UTF-8 length for a sequence that is
 * well-formed and not dangerous, 0 when the byte at s must be escaped
 * (NUL, the C0 controls including tab, DEL, anything else). */
size_t	ap_text_safe_len(const char *s, size_t len);

/* The \xHH escape of one byte into out (4 bytes, no NUL). */
void	ap_text_hex(unsigned char c, char out[4]);

/*
 * Copy s[0..len) into dst (dstlen bytes, always NUL-terminated) with what
 * ap_text_safe_len() refuses, and the bytes in also (NULL: none), as
 * \xHH each, and the backslash as \\ when backslash is set (so the copy
 * cannot be mistaken for the bytes it shows).  Tabs pass when tab is set.
 * When the copy would pass max bytes (or dstlen), it stops before the
 * character that would and appends "...": dstlen must then leave room
 * for it.  Returns the length written.
 */
struct ap_text_opts {
	const char	*also;		/* extra bytes to escape, or NULL */
	bool		 backslash;	/* '\\' as "\\\\" */
	bool		 tab;		/* '\t' passes as it is */
	size_t		 max;		/* bytes of output before "..." */
};
size_t	ap_text_escape(char *dst, size_t dstlen, const char *s, size_t len,
	    const struct ap_text_opts *);

/* True when every character of s[0..len) passes ap_text_safe_len() (or
 * is a tab, when tab is set). */
bool	ap_text_is_safe(const char *s, size_t len, bool tab);

/* FNV-1a, 32 bits, over len bytes; fold_case lower-cases ASCII letters
 * first (names are blind to case).  The one hash of names, label sets and
 * addresses (blackbox_exporter's probe_ip_addr_hash is this over the 4 or
 * 16 address bytes); for tables and identities, never for security. */
uint32_t	ap_fnv1a(const void *, size_t len, bool fold_case);

#endif
