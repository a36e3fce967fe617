/* SPDX-License-Identifier: ISC */
/* output_prom.c -- Prometheus text format for node_exporter's textfile
 * collector, with blackbox_exporter's metric names.  A family's samples
 * must sit together, so write() only keeps what the metrics need and end()
 * writes the whole file; putting it in place is outfile.c's job.  Series
 * are named by target, host and port (not the address, so DNS round robin
 * does not churn them; -m adds it, one series per address) and carry the
 * --label pairs, so files of several runs sit side by side. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "xmalloc.h"


/* One sample set: the label text is escaped once, when the record comes. */
struct prom_rec {
	struct prom_rec	*next;		/* same hash bucket */
	uint64_t	 hash;		/* of labels */
	int64_t		 duration_us;	/* target start to verdict */
	uint32_t	 addr_hash;	/* blackbox_exporter's ipHash() */
	unsigned char	 success;	/* 1 connected, else 0 */
	unsigned char	 known;		/* 0: cancelled, no verdict */
	unsigned char	 protocol;	/* 4, 6, 0: no address */
	char		*icmp;		/* icmp="..",icmp_from=".."; NULL */
	char		 labels[];	/* target="..",host="..",... */
};

struct prom_state {
	struct prom_rec	**recs;		/* arrival order */
	size_t		  nrecs;
	size_t		  cap;
	struct prom_rec	**buckets;	/* power of two, >= nrecs */
	size_t		  nbuckets;
	uint64_t	  status[AP_STATUS_COUNT];	/* every record */
	uint64_t	  duplicates;	/* label sets seen before */
	char		 *extra;	/* ",key=\"value\"..." of --label */
};

/*
 * Escape a label value (Prometheus text format): backslash, double quote
 * and newline get a backslash; everything else passes as UTF-8, and each
 * byte that starts no well-formed sequence becomes U+FFFD, since the
 * format is UTF-8 only.  Writes to dst when it is not NULL; returns the
 * length either way, so the caller can size the buffer first.
 */
static size_t
prom_escape(char *dst, const char *s)
{
	size_t	 i, n, len, out = 0;
	char	 c;

	len = strlen(s);
	for (i = 0; i < len; i += n) {
		c = s[i];
		n = 1;
		if (c == '\\' || c == '"' || c == '\n') {
			if (dst != NULL) {
				dst[out] = '\\';
				dst[out + 1] = c == '\n' ? 'n' : c;
			}
			out += 2;
		} else if ((unsigned char)c < 0x80) {
			if (dst != NULL)
				dst[out] = c;
			out++;
		} else if ((n = ap_text_utf8_len(s + i, len - i)) == 0) {
			if (dst != NULL)
				memcpy(dst + out, "\xef\xbf\xbd", 3);
			out += 3;
			n = 1;
		} else {
			if (dst != NULL)
				memcpy(dst + out, s + i, n);
			out += n;
		}
	}
	return (out);
}

/* The label set, in a fixed order: target, host, port (ip with -m). */
static const char *const label_names[] = { "target", "host", "port", "ip" };
#define NLABELS	(sizeof(label_names) / sizeof(label_names[0]))

/* name="escaped value", with a comma before it unless first. */
static size_t
prom_label(char *dst, const char *name, size_t namelen, const char *value,
    bool first)
{
	size_t	 out = 0;

	if (!first) {
		if (dst != NULL)
			dst[out] = ',';
		out++;
	}
	if (dst != NULL) {
		memcpy(dst + out, name, namelen);
		memcpy(dst + out + namelen, "=\"", 2);
	}
	out += namelen + 2;
	out += prom_escape(dst != NULL ? dst + out : NULL, value);
	if (dst != NULL)
		dst[out] = '"';
	return (out + 1);
}

/* The record's labels, then the --label ones (extra: already escaped). */
static size_t
prom_labels(char *dst, const char *const values[NLABELS], size_t nvalues,
    const char *extra)
{
	size_t	 i, n, out = 0;

	for (i = 0; i < nvalues; i++)
		out += prom_label(dst != NULL ? dst + out : NULL,
		    label_names[i], strlen(label_names[i]), values[i], i == 0);
	n = strlen(extra);
	if (dst != NULL) {
		memcpy(dst + out, extra, n);
		dst[out + n] = '\0';
	}
	return (out + n);
}

/* ",key=\"value\"" for each --label KEY=VALUE (checked by cli.c). */
static char *
prom_extra(const struct ap_writer *w)
{
	const char	*eq;
	char		*s;
	size_t		 i, len = 0;

	for (i = 0; i < w->nlabels; i++) {
		eq = strchr(w->labels[i], '=');
		len += prom_label(NULL, w->labels[i], eq - w->labels[i],
		    eq + 1, false);
	}
	s = xmalloc(len + 1);
	for (i = 0, len = 0; i < w->nlabels; i++) {
		eq = strchr(w->labels[i], '=');
		len += prom_label(s + len, w->labels[i], eq - w->labels[i],
		    eq + 1, false);
	}
	s[len] = '\0';
	return (s);
}

static void
prom_free(struct ap_writer *w)
{
	struct prom_state	*st = w->state;
	size_t			 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nrecs; i++) {
		free(st->recs[i]->icmp);
		free(st->recs[i]);
	}
	free(st->recs);
	free(st->buckets);
	free(st->extra);
	free(st);
	w->state = NULL;
	w->free_state = NULL;
}

/* Double the buckets once they hold as many records as there are. */
static void
prom_grow(struct prom_state *st)
{
	struct prom_rec	*p;
	size_t		 i, mask;

	free(st->buckets);
	st->nbuckets = st->nbuckets == 0 ? 64 : st->nbuckets * 2;
	st->buckets = xcalloc(st->nbuckets, sizeof(*st->buckets));
	mask = st->nbuckets - 1;
	for (i = 0; i < st->nrecs; i++) {
		p = st->recs[i];
		p->next = st->buckets[p->hash & mask];
		st->buckets[p->hash & mask] = p;
	}
}

static int
prom_write(struct ap_writer *w, const struct ap_result *r)
{
	struct prom_state	*st = w->state;
	struct prom_rec		*p, *q;
	const char		*values[NLABELS];
	char			 port[16];
	size_t			 len, slot, nvalues;

	if (st == NULL) {
		st = w->state = xcalloc(1, sizeof(*st));
		w->free_state = prom_free;
		st->extra = prom_extra(w);
	}
	if ((unsigned)r->status < AP_STATUS_COUNT)
		st->status[r->status]++;

	/* Port 0 is no port at all (an invalid line): an empty label. */
	if (r->port == 0)
		port[0] = '\0';
	else
		snprintf(port, sizeof(port), "%u", r->port);
	values[0] = r->target != NULL ? r->target : "";
	values[1] = r->host != NULL ? r->host : "";
	values[2] = port;
	values[3] = r->ip != NULL ? r->ip : "";
	nvalues = w->per_address ? NLABELS : NLABELS - 1;
	len = prom_labels(NULL, values, nvalues, st->extra);
	p = xmalloc(sizeof(*p) + len + 1);
	prom_labels(p->labels, values, nvalues, st->extra);
	p->hash = ap_fnv1a(p->labels, len, false);
	p->duration_us = r->elapsed_us;
	p->success = r->status == AP_STATUS_CONNECTED;
	p->known = r->status != AP_STATUS_CANCELLED;
	p->protocol = (unsigned char)ap_format_ip_hash(r->ip,
	    &p->addr_hash);
	p->icmp = NULL;
	if (r->icmp != NULL && r->icmp->origin != AP_ICMP_NONE) {
		/* A reason word and a numeric address: nothing to escape. */
		len = strlen(ap_icmp_name(r->icmp)) + strlen(r->icmp->from) +
		    sizeof("icmp=\"\",icmp_from=\"\"");
		p->icmp = xmalloc(len);
		snprintf(p->icmp, len, "icmp=\"%s\",icmp_from=\"%s\"",
		    ap_icmp_name(r->icmp), r->icmp->from);
	}

	/*
	 * The same line twice, or one name under -m twice at one address,
	 * would repeat a series, which Prometheus rejects for the whole
	 * file: the first record of a label set stands.
	 */
	if (st->nbuckets > 0) {
		slot = p->hash & (st->nbuckets - 1);
		for (q = st->buckets[slot]; q != NULL; q = q->next) {
			if (q->hash == p->hash &&
			    strcmp(q->labels, p->labels) == 0) {
				st->duplicates++;
				free(p->icmp);
				free(p);
				return (0);
			}
		}
	}
	if (st->nrecs == st->cap) {
		st->cap = st->cap == 0 ? 64 : st->cap * 2;
		st->recs = xreallocarray(st->recs, st->cap, sizeof(*st->recs));
	}
	st->recs[st->nrecs++] = p;
	if (st->nrecs > st->nbuckets)
		prom_grow(st);		/* links p too */
	else {
		slot = p->hash & (st->nbuckets - 1);
		p->next = st->buckets[slot];
		st->buckets[slot] = p;
	}
	return (0);
}

static void
prom_family(FILE *fp, const char *name, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* "name{labels} " for a series with only the --label pairs (extra, each
 * after a comma); just "name " without any. */
static void
prom_head(FILE *fp, const char *name, const char *extra)
{
	if (*extra == '\0')
		fprintf(fp, "%s ", name);
	else
		fprintf(fp, "%s{%s} ", name, extra + 1);
}

/* Monitor mode: which round this is, how long it took, when it ended. */
static void
prom_round(FILE *fp, const struct ap_writer_round *r, const char *extra)
{
	prom_family(fp, "asyncprobe_round_number",
	    "The round these series sum up; the first is 1.");
	prom_head(fp, "asyncprobe_round_number", extra);
	fprintf(fp, "%llu\n", (unsigned long long)r->number);
	prom_family(fp, "asyncprobe_round_duration_seconds",
	    "Seconds the round took, its start to its last record.");
	prom_head(fp, "asyncprobe_round_duration_seconds", extra);
	fprintf(fp, "%lld.%06lld\n", (long long)(r->duration_us / 1000000),
	    (long long)(r->duration_us % 1000000));
	prom_family(fp, "asyncprobe_last_round_timestamp_seconds",
	    "When the round ended, in seconds since the Unix epoch.");
	prom_head(fp, "asyncprobe_last_round_timestamp_seconds", extra);
	fprintf(fp, "%lld.%03lld\n", (long long)(r->end_ms / 1000),
	    (long long)(r->end_ms % 1000));
}

static int
prom_end(struct ap_writer *w)
{
	static const uint64_t	 zero[AP_STATUS_COUNT];
	struct prom_state	*st = w->state;
	FILE			*fp = w->fp;
	const uint64_t		*status = st != NULL ? st->status : zero;
	const struct prom_rec	*p;
	uint64_t		 mag;
	size_t			 i, n = st != NULL ? st->nrecs : 0;
	char			*extra, *own_extra = NULL;
	int			 s;

	if (st != NULL && st->duplicates > 0)
		fprintf(fp, "# asyncprobe: %llu duplicate series dropped, the "
		    "first record of each kept\n",
		    (unsigned long long)st->duplicates);

	/* A cancelled target has no verdict: unknown is not down. */
	prom_family(fp, "probe_success",
	    "1 when a TCP connect to the target succeeded, else 0.");
	for (i = 0; i < n; i++) {
		p = st->recs[i];
		if (p->known)
			fprintf(fp, "probe_success{%s} %d\n", p->labels,
			    p->success);
	}

	prom_family(fp, "probe_duration_seconds",
	    "Seconds from the target's start to its verdict.");
	for (i = 0; i < n; i++) {
		p = st->recs[i];
		/* Integer arithmetic: exact microseconds, no exponent. */
		mag = p->duration_us < 0 ?
		    (uint64_t)0 - (uint64_t)p->duration_us :
		    (uint64_t)p->duration_us;
		fprintf(fp, "probe_duration_seconds{%s} %s%llu.%06llu\n",
		    p->labels, p->duration_us < 0 ? "-" : "",
		    (unsigned long long)(mag / 1000000),
		    (unsigned long long)(mag % 1000000));
	}

	prom_family(fp, "probe_ip_protocol",
	    "IP version of the record's address: 4, 6, or 0 when none.");
	for (i = 0; i < n; i++) {
		p = st->recs[i];
		fprintf(fp, "probe_ip_protocol{%s} %d\n", p->labels,
		    p->protocol);
	}

	prom_family(fp, "probe_ip_addr_hash",
	    "FNV-1a hash of the record's address bytes, to see it change.");
	for (i = 0; i < n; i++) {
		p = st->recs[i];
		if (p->protocol != 0)
			fprintf(fp, "probe_ip_addr_hash{%s} %lu\n", p->labels,
			    (unsigned long)p->addr_hash);
	}

	/* An info metric, only for the records an ICMP message failed:
	 * which one and who sent it (a firewall, or the last router before
	 * a dead host).  No such record, no family. */
	for (i = 0; i < n && st->recs[i]->icmp == NULL; i++)
		;
	if (i < n)
		prom_family(fp, "asyncprobe_icmp",
		    "1 for a target whose error an ICMP message caused, "
		    "labelled with the message and its sender.");
	for (; i < n; i++) {
		p = st->recs[i];
		if (p->icmp != NULL)
			fprintf(fp, "asyncprobe_icmp{%s,%s} 1\n", p->labels,
			    p->icmp);
	}

	prom_family(fp, "asyncprobe_targets",
	    "Records of this run per status.");
	extra = st != NULL ? st->extra : NULL;
	if (extra == NULL)
		extra = own_extra = prom_extra(w);
	for (s = 0; s < AP_STATUS_COUNT; s++)
		fprintf(fp, "asyncprobe_targets{status=\"%s\"%s} %llu\n",
		    ap_status_name(s), extra, (unsigned long long)status[s]);
	if (w->round_info != NULL)
		prom_round(fp, w->round_info, extra);
	free(own_extra);

	prom_free(w);
	return (ferror(fp) ? -1 : 0);
}

const struct ap_writer_ops ap_output_prom = {
	.name = "prom",
	.whole_run = true,
	.labels = true,
	.write = prom_write,
	.end = prom_end,
};
