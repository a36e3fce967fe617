/* SPDX-License-Identifier: ISC */
/* fuzz_dnswire.c -- DNS answers on arbitrary bytes, as the re-ask of a
 * truncated answer reads them (src/dnswire.h), and names for the query
 * builder.  The first byte: bit 0 asks AAAA (else A), bit 1 asks with
 * EDNS0, bit 2 makes the rest a name to build a query for; else the rest
 * is an answer to the query for "a.test" with ID 0x1234. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"
#include "fuzz.h"

#define QID	0x1234

/* The builder's rule written out again: labels of 1..63 bytes split at
 * dots, one trailing dot allowed, at most 255 bytes in wire form. */
static size_t
wire_len(const char *name)
{
	size_t	len = strlen(name), label = 0, wire = 1, i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (name[i] != '.') {
			label++;
			continue;
		}
		if (label == 0 || label > 63)
			return (0);
		wire += label + 1;
		label = 0;
	}
	if (label > 63)
		return (0);
	if (label > 0)
		wire += label + 1;
	return (wire <= 255 ? wire : 0);
}

static void
check_query(const uint8_t *data, size_t size, uint16_t qtype, bool edns)
{
	struct ap_dnswire_answer	 a;
	uint8_t				 q[AP_DNSWIRE_QUERY_MAX];
	uint8_t				 r[AP_DNSWIRE_QUERY_MAX];
	char				*name;
	size_t				 n, want;

	if ((name = malloc(size + 1)) == NULL)
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	n = ap_dnswire_query(q, sizeof(q), QID, name, qtype, edns);
	/* A NUL inside ends the name for both. */
	want = wire_len(name);
	if (want == 0) {
		FUZZ_CHECK(n == 0, "'%s' gave %zu bytes", fuzz_show(name,
		    strlen(name)), n);
		free(name);
		return;
	}
	FUZZ_CHECK(n == 12 + want + 4 + (edns ? 11 : 0), "'%s': %zu bytes, "
	    "wire name %zu", fuzz_show(name, strlen(name)), n, want);
	/* The query with QR set is an answer to itself, with nothing. */
	memcpy(r, q, n);
	r[2] |= 0x80;
	FUZZ_CHECK(ap_dnswire_parse(r, n, q, n, &a) == AP_DNSWIRE_ANSWER,
	    "'%s'", fuzz_show(name, strlen(name)));
	FUZZ_CHECK(a.naddrs == 0 && a.rcode == 0 && !a.tc, "'%s'",
	    fuzz_show(name, strlen(name)));
	free(name);
}

/* Whether the alen bytes at addr occur in the packet past its header. */
static bool
in_packet(const uint8_t *pkt, size_t len, const uint8_t *addr, size_t alen)
{
	size_t	i;

	for (i = 12; i + alen <= len; i++)
		if (memcmp(pkt + i, addr, alen) == 0)
			return (true);
	return (false);
}

static void
check_answer(const uint8_t *data, size_t size, uint16_t qtype, bool edns)
{
	struct ap_dnswire_answer	 a, again;
	enum ap_dnswire_rc		 rc;
	uint8_t				 q[AP_DNSWIRE_QUERY_MAX], *pkt;
	size_t				 qlen, alen, i;

	qlen = ap_dnswire_query(q, sizeof(q), QID, "a.test", qtype, edns);
	FUZZ_CHECK(qlen > 0, "no query");
	/* Exactly the bytes, so a read past them is the sanitizer's. */
	if ((pkt = malloc(size > 0 ? size : 1)) == NULL)
		return;
	memcpy(pkt, data, size);
	rc = ap_dnswire_parse(pkt, size, q, qlen, &a);
	FUZZ_CHECK(rc == AP_DNSWIRE_ANSWER || rc == AP_DNSWIRE_FOREIGN ||
	    rc == AP_DNSWIRE_MALFORMED, "rc %d", (int)rc);
	FUZZ_CHECK(a.naddrs <= AP_DNSWIRE_MAX_ADDRS, "%zu", a.naddrs);
	if (rc != AP_DNSWIRE_ANSWER)
		FUZZ_CHECK(a.naddrs == 0, "%zu addresses, rc %d", a.naddrs,
		    (int)rc);
	if (size < 12 || pkt[0] != QID >> 8 || pkt[1] != (QID & 0xff) ||
	    (pkt[2] & 0x80) == 0)
		FUZZ_CHECK(rc == AP_DNSWIRE_FOREIGN, "rc %d for no answer of "
		    "ours", (int)rc);
	if (rc == AP_DNSWIRE_ANSWER) {
		FUZZ_CHECK(a.tc == ((pkt[2] & 0x02) != 0), "tc %d", a.tc);
		FUZZ_CHECK(a.rcode == (pkt[3] & 0x0f), "rcode %d", a.rcode);
	}
	/* Every address is bytes of the packet. */
	alen = qtype == AP_DNS_TYPE_A ? 4 : 16;
	for (i = 0; i < a.naddrs; i++)
		FUZZ_CHECK(in_packet(pkt, size, a.addrs[i], alen),
		    "address %zu not in the packet", i);
	/* The same bytes, the same answer. */
	FUZZ_CHECK(ap_dnswire_parse(pkt, size, q, qlen, &again) == rc &&
	    memcmp(&a, &again, sizeof(a)) == 0, "two answers");
	free(pkt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t	qtype;
	bool		edns;

	if (size == 0)
		return (0);
	qtype = (data[0] & 1) ? AP_DNS_TYPE_AAAA : AP_DNS_TYPE_A;
	edns = (data[0] & 2) != 0;
	if (data[0] & 4)
		check_query(data + 1, size - 1, qtype, edns);
	else
		check_answer(data + 1, size - 1, qtype, edns);
	return (0);
}
