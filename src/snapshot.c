/* SPDX-License-Identifier: ISC */
/* snapshot.c -- see snapshot.h.  Each file is copied into a memfd (its
 * bytes as they were, read through the same input code as a file), and the
 * list's targets are kept as sorted canonical "host:port" keys. */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "result.h"
#include "snapshot.h"
#include "xmalloc.h"

struct ap_snapshot {
	struct ap_input_source	 *src;
	char			**names;	/* src[i].name, owned */
	size_t			  n;
	const struct ap_portlist *defports;
	char			**keys;		/* sorted, for /probe */
	size_t			  nkeys;
	size_t			  targets;
};

/* The key a target is known by: the address as inet_ntop writes it (so
 * "127.1" and "127.0.0.1" meet), or the name in lower case; IPv6 in
 * brackets, a zone by number; then ":port". */
static void
target_key(char *buf, size_t len, const char *host, bool is_ip, int family,
    const unsigned char *ip, uint32_t scope, unsigned port)
{
	char	 a[INET6_ADDRSTRLEN];
	size_t	 i;

	if (is_ip && family == AF_INET6) {
		inet_ntop(AF_INET6, ip, a, sizeof(a));
		if (scope != 0)
			snprintf(buf, len, "[%s%%%u]:%u", a, scope, port);
		else
			snprintf(buf, len, "[%s]:%u", a, port);
	} else if (is_ip) {
		inet_ntop(AF_INET, ip, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, port);
	} else {
		snprintf(buf, len, "%s:%u", host, port);
		for (i = 0; buf[i] != '\0'; i++)
			buf[i] = (char)tolower((unsigned char)buf[i]);
	}
}

static int
key_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static void
keys_free(struct ap_snapshot *s)
{
	size_t	i;

	for (i = 0; i < s->nkeys; i++)
		free(s->keys[i]);
	free(s->keys);
	s->keys = NULL;
	s->nkeys = s->targets = 0;
}

/* One pass over the list, as a round reads it. */
static void
keys_build(struct ap_snapshot *s)
{
	struct ap_input		*in = ap_snapshot_input(s);
	struct ap_input_item	 it;
	enum ap_input_rc	 rc;
	size_t			 cap = 0, i, j;
	char			 key[AP_LINE_MAX + 64];

	keys_free(s);
	while ((rc = ap_input_next(in, &it)) != AP_INPUT_EOF &&
	    rc != AP_INPUT_AGAIN) {
		if (rc != AP_INPUT_TARGET)
			continue;
		s->targets++;
		target_key(key, sizeof(key), it.host, it.host_is_ip,
		    it.ip_family, it.ip, it.scope_id, it.port);
		if (s->nkeys == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			s->keys = xreallocarray(s->keys, cap,
			    sizeof(*s->keys));
		}
		s->keys[s->nkeys++] = xstrdup(key);
	}
	ap_input_free(in);
	if (s->nkeys == 0)
		return;
	qsort(s->keys, s->nkeys, sizeof(*s->keys), key_cmp);
	for (i = j = 1; i < s->nkeys; i++) {
		if (strcmp(s->keys[i], s->keys[j - 1]) == 0)
			free(s->keys[i]);
		else
			s->keys[j++] = s->keys[i];
	}
	s->nkeys = j;
}

/* A copy of everything fd holds, in memory; -1 with errno. */
static int
save_copy(int fd)
{
	char	 buf[65536];
	ssize_t	 n, w, off;
	int	 copy, error;

	if ((copy = memfd_create("asyncprobe-list", MFD_CLOEXEC)) == -1)
		return (-1);
	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) == 0)
			return (copy);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		for (off = 0; off < n; off += w)
			if ((w = write(copy, buf + off, (size_t)(n - off))) ==
			    -1)
				goto fail;
	}
fail:
	error = errno;
	close(copy);
	errno = error;
	return (-1);
}

/* Read path into src: its copy, or the reason it cannot be read. */
static void
read_file(struct ap_input_source *src, const char *path)
{
	struct stat	st;
	int		fd;

	src->error = 0;
	src->fd = -1;
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) == -1) {
		src->error = errno;
		return;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode))
		src->error = S_ISDIR(st.st_mode) ? EISDIR : errno;
	else if ((src->fd = save_copy(fd)) == -1)
		src->error = errno;
	close(fd);
}

/* Whether path, which names no file, is a target (as the input decides). */
static bool
is_target(const char *path)
{
	struct ap_line	l;

	memset(&l, 0, sizeof(l));
	if (!ap_line_parse_operand(path, &l))
		return (false);
	ap_line_free(&l);
	return (true);
}

struct ap_snapshot *
ap_snapshot_new(char *const *paths, const struct ap_portlist *defports)
{
	struct ap_snapshot	*s = xcalloc(1, sizeof(*s));
	char			 dash[] = "-";
	char			*std_in[] = { dash, NULL };
	struct ap_input_source	*src;
	size_t			 i;

	if (paths == NULL || paths[0] == NULL)
		paths = std_in;
	for (s->n = 0; paths[s->n] != NULL; s->n++)
		;
	s->src = xcalloc(s->n, sizeof(*s->src));
	s->names = xcalloc(s->n, sizeof(*s->names));
	s->defports = defports;
	for (i = 0; i < s->n; i++) {
		src = &s->src[i];
		src->name = s->names[i] = xstrdup(paths[i]);
		src->fd = -1;
		if (strcmp(paths[i], "-") == 0) {
			if ((src->fd = save_copy(STDIN_FILENO)) == -1)
				src->error = errno;
			continue;
		}
		read_file(src, paths[i]);
		if (src->error == ENOENT && is_target(paths[i])) {
			src->error = 0;
			src->target = true;
		}
	}
	keys_build(s);
	return (s);
}

int
ap_snapshot_reload(struct ap_snapshot *s, char *why, size_t whylen)
{
	struct ap_input_source	*fresh;
	size_t			 i;

	/* All of the new list, or none of it. */
	fresh = xcalloc(s->n, sizeof(*fresh));
	for (i = 0; i < s->n; i++) {
		fresh[i] = s->src[i];
		if (s->src[i].target || strcmp(s->src[i].name, "-") == 0)
			continue;
		read_file(&fresh[i], s->src[i].name);
		if (fresh[i].error != 0) {
			ap_set_error(why, whylen, "%s: %s", s->src[i].name,
			    strerror(fresh[i].error));
			while (i-- > 0)
				if (fresh[i].fd != s->src[i].fd)
					close(fresh[i].fd);
			free(fresh);
			return (-1);
		}
	}
	for (i = 0; i < s->n; i++)
		if (s->src[i].fd != fresh[i].fd && s->src[i].fd != -1)
			close(s->src[i].fd);
	free(s->src);
	s->src = fresh;
	keys_build(s);
	return (0);
}

int
ap_snapshot_error(const struct ap_snapshot *s, char *why, size_t whylen)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (s->src[i].error != 0) {
			ap_set_error(why, whylen, "%s: %s", s->src[i].name,
			    strerror(s->src[i].error));
			return (-1);
		}
	return (0);
}

void
ap_snapshot_free(struct ap_snapshot *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->src[i].fd != -1)
			close(s->src[i].fd);
		free(s->names[i]);
	}
	free(s->src);
	free(s->names);
	keys_free(s);
	free(s);
}

struct ap_input *
ap_snapshot_input(const struct ap_snapshot *s)
{
	return (ap_input_new_sources(s->src, s->n, s->defports));
}

size_t
ap_snapshot_targets(const struct ap_snapshot *s)
{
	return (s->targets);
}

int
ap_snapshot_check(const struct ap_snapshot *s, const char *text, char *why,
    size_t whylen)
{
	struct ap_line	 l;
	char		 key[AP_LINE_MAX + 64], *k = key;
	int		 code = 0;

	ap_set_error(why, whylen, "%s", "");
	memset(&l, 0, sizeof(l));
	if (ap_line_parse(text, strlen(text), NULL, &l, why, whylen) !=
	    AP_LINE_OK) {
		if (l.text == NULL || *why == '\0')
			ap_set_error(why, whylen, "expected HOST:PORT");
		code = 400;
	} else if (l.ports.count != 1 || l.naddrs != 1) {
		ap_set_error(why, whylen, "expected one HOST:PORT, not a "
		    "list of ports or a prefix");
		code = 400;
	} else {
		target_key(key, sizeof(key), l.host, l.host_is_ip,
		    l.ip_family, l.ip, l.scope_id, l.ports.ranges[0].lo);
		if (bsearch(&k, s->keys, s->nkeys, sizeof(*s->keys),
		    key_cmp) == NULL) {
			ap_set_error(why, whylen, "%s is not in the target "
			    "list", key);
			code = 403;
		}
	}
	ap_line_free(&l);
	return (code);
}
