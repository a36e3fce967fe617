/* SPDX-License-Identifier: ISC */
/* fuzz_input.c -- the streaming reader (src/input.h) on arbitrary files.
 * Each input is cut into up to four files at "@@FILE@@"; each file is a
 * pipe or a memfd, opened through /proc/self/fd.  What the reader hands
 * out is compared with ap_line_parse() run on the whole lines, split here
 * independently: so lines longer than the reader's buffer, CRLF, a last
 * line without a newline and the 64 KiB read boundary must all be
 * invisible.  Live heap is watched so memory does not grow with input. */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "input.h"

/* ASan counts the live heap for us: gcc says so one way, clang another. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ALLOC_STATS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ALLOC_STATS 1
#endif
#endif
#ifdef HAVE_ALLOC_STATS
/* From <sanitizer/allocator_interface.h>, which gcc does not install. */
size_t	__sanitizer_get_current_allocated_bytes(void);
#endif

#define SEP		"@@FILE@@"
#define MAX_FILES	4
#define MAX_ITEMS	200000	/* stop checking there: huge port ranges */
#define READ_SIZE	(64 * 1024)	/* the reader's buffer, at most */
#define HEAP_SLACK	(256 * 1024)	/* live heap the reader may add */

/* One line as the oracle sees it. */
struct want_line {
	int			 file;
	unsigned long		 lineno;
	enum ap_line_rc		 rc;
	struct ap_line		 l;
	char			 reason[AP_ERRBUF_LEN];
};

struct want {
	struct want_line	*v;
	size_t			 n, cap;
};

static const char *const defaults[] = { NULL, "22", "80,443,8000-8002" };

static void
want_add(struct want *w, int file, unsigned long lineno, const char *s,
    size_t len, const struct ap_portlist *defports)
{
	struct want_line	*wl;

	if (w->n == w->cap) {
		w->cap = w->cap == 0 ? 64 : w->cap * 2;
		if ((w->v = realloc(w->v, w->cap * sizeof(*w->v))) == NULL)
			abort();
	}
	wl = &w->v[w->n];
	wl->file = file;
	wl->lineno = lineno;
	wl->rc = ap_line_parse(s, len, defports, &wl->l, wl->reason,
	    sizeof(wl->reason));
	if (wl->rc == AP_LINE_SKIP)
		ap_line_free(&wl->l);
	else
		w->n++;
}

/* Every '\n' ends a line; bytes after the last one are a line too.  A
 * UTF-8 byte order mark opening the file is not part of its first line
 * (SPEC 2). */
static void
want_file(struct want *w, int file, const char *s, size_t len,
    const struct ap_portlist *defports)
{
	const char	*end = s + len, *nl, *from;
	unsigned long	 lineno = 0;

	while (s < end) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		from = s;
		if (lineno == 0 && nl - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			from += 3;
		want_add(w, file, ++lineno, from, (size_t)(nl - from), defports);
		s = nl + 1;
	}
}

static void
want_free(struct want *w)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		ap_line_free(&w->v[i].l);
	free(w->v);
}

/* A descriptor holding the bytes, read back through /proc/self/fd. */
static int
make_file(const char *s, size_t len, bool pipe_it)
{
	int	fds[2];
	ssize_t	n;

	if (pipe_it) {
		if (pipe2(fds, O_CLOEXEC) == -1)
			return (-1);
		/* Room for it all, so the writer needs no thread. */
		if (len > 60000 && fcntl(fds[1], F_SETPIPE_SZ,
		    (int)(len + 4096)) == -1) {
			close(fds[0]);
			close(fds[1]);
			return (-1);
		}
	} else {
		if ((fds[0] = memfd_create("fuzz_input", MFD_CLOEXEC)) == -1)
			return (-1);
		fds[1] = fds[0];
	}
	while (len > 0) {
		if ((n = write(fds[1], s, len)) <= 0) {
			close(fds[0]);
			if (fds[1] != fds[0])
				close(fds[1]);
			return (-1);
		}
		s += n;
		len -= (size_t)n;
	}
	if (pipe_it)
		close(fds[1]);
	return (fds[0]);
}

static size_t
live_heap(void)
{
#ifdef HAVE_ALLOC_STATS
	return (__sanitizer_get_current_allocated_bytes());
#else
	return (0);
#endif
}

/* Walk the reader and the oracle side by side. */
static void
run(char **paths, int npaths, const int *kind, const struct want *w,
    const struct ap_portlist *defports)
{
	struct ap_input		*in;
	struct ap_input_item	 it;
	enum ap_input_rc	 rc;
	const struct want_line	*wl = w->v, *wend = w->v;
	const struct ap_portlist *pl = NULL;
	size_t			 port_i = 0, base, items = 0;
	uint64_t		 index = 0;
	int			 file = 0, errors = 0;
	unsigned long		 lastline = 0;

	if (w->n > 0)
		wend += w->n;	/* not on NULL: UBSan minds even + 0 */
	if ((in = ap_input_new(paths, defports)) == NULL)
		abort();
	base = live_heap();
	for (;;) {
		rc = ap_input_next(in, &it);
		FUZZ_CHECK(live_heap() <= base + HEAP_SLACK, "heap grew by "
		    "%zu bytes", live_heap() - base);
		if (++items > MAX_ITEMS)
			break;
		FUZZ_CHECK(rc != AP_INPUT_AGAIN, "AGAIN on a pipe whose "
		    "writer is gone, or on a file");
		if (rc == AP_INPUT_EOF) {
			FUZZ_CHECK(wl == wend, "EOF with %zu lines to go",
			    (size_t)(wend - wl));
			for (file = 0; file < npaths; file++)
				errors -= kind[file] == 2;
			FUZZ_CHECK(errors == 0, "%d FILE_ERRORs too many",
			    errors);
			/* EOF stays EOF. */
			FUZZ_CHECK(ap_input_next(in, &it) == AP_INPUT_EOF, "");
			break;
		}
		if (rc == AP_INPUT_FILE_ERROR) {
			/* Only the paths made to fail, in order. */
			while (file < npaths && kind[file] != 2)
				file++;
			FUZZ_CHECK(file < npaths, "FILE_ERROR for '%s': %s",
			    it.file, it.reason);
			FUZZ_CHECK(strcmp(it.file, paths[file]) == 0, "");
			FUZZ_CHECK(wl == wend || wl->file > file, "");
			FUZZ_CHECK(it.reason != NULL && *it.reason != '\0', "");
			FUZZ_CHECK(it.index == index, "");
			file++;
			lastline = 0;
			errors++;
			continue;
		}
		FUZZ_CHECK(rc == AP_INPUT_TARGET || rc == AP_INPUT_INVALID,
		    "rc %d", (int)rc);
		FUZZ_CHECK(wl < wend, "%s item past the last line (%s:%lu)",
		    rc == AP_INPUT_TARGET ? "TARGET" : "INVALID", it.file,
		    it.line);
		FUZZ_CHECK(it.index == index, "index %llu, want %llu",
		    (unsigned long long)it.index, (unsigned long long)index);
		index++;
		FUZZ_CHECK(it.line == wl->lineno, "line %lu, want %lu", it.line,
		    wl->lineno);
		FUZZ_CHECK(strcmp(it.file, paths[wl->file]) == 0, "file '%s' "
		    "want '%s'", it.file, paths[wl->file]);
		/* Line numbers grow within a file, start over in the next. */
		if (wl->file != file) {
			FUZZ_CHECK(wl->file > file, "back to file %d",
			    wl->file);
			file = wl->file;
			lastline = 0;
		}
		FUZZ_CHECK(it.line >= lastline, "line %lu after %lu", it.line,
		    lastline);
		lastline = it.line;
		FUZZ_CHECK(it.text != NULL && strcmp(it.text,
		    wl->l.text != NULL ? wl->l.text : "") == 0, "text '%s'",
		    it.text);
		if (rc == AP_INPUT_INVALID) {
			FUZZ_CHECK(wl->rc == AP_LINE_INVALID, "INVALID for an "
			    "OK line %s:%lu", it.file, it.line);
			FUZZ_CHECK(strcmp(it.reason, wl->reason) == 0,
			    "reason '%s' want '%s'", it.reason, wl->reason);
			FUZZ_CHECK(*it.reason != '\0', "");
			wl++;
			continue;
		}
		FUZZ_CHECK(wl->rc == AP_LINE_OK, "TARGET for an invalid line "
		    "%s:%lu (%s)", it.file, it.line, wl->reason);
		FUZZ_CHECK(strcmp(it.host, wl->l.host) == 0, "host");
		FUZZ_CHECK(it.host_is_ip == wl->l.host_is_ip, "");
		if (pl == NULL) {
			pl = wl->l.ports.count > 0 ? &wl->l.ports : defports;
			port_i = 0;
		}
		FUZZ_CHECK(it.port >= 1 && it.port ==
		    ap_portlist_get(pl, port_i), "port %u, want %u (#%zu)",
		    it.port, ap_portlist_get(pl, port_i), port_i);
		if (++port_i == pl->count) {
			pl = NULL;
			wl++;
		}
	}
	ap_input_free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ap_portlist	 lists[3];
	static bool			 ready;
	const struct ap_portlist	*defports;
	struct want			 w;
	char				 pathbuf[MAX_FILES][64];
	char				*paths[MAX_FILES + 1];
	char				*buf = NULL, err[AP_ERRBUF_LEN];
	const char			*s, *end, *sep;
	size_t				 len, i, pad;
	int				 kind[MAX_FILES], fds[MAX_FILES];
	int				 nfiles = 0;
	uint8_t				 mode;

	if (!ready) {
		for (i = 1; i < 3; i++)
			if (ap_portlist_parse(defaults[i], &lists[i], err,
			    sizeof(err)) == -1)
				abort();
		ready = true;
	}
	if (size < 1)
		return (0);
	/* mode: bits 0-1 default list, 2 shift, 3-7 kinds of files. */
	mode = data[0];
	defports = (mode & 3) % 3 == 0 ? NULL : &lists[(mode & 3) % 3];
	s = (const char *)data + 1;
	len = size - 1;
	if ((mode & 4) && len > 0) {
		/*
		 * Shift the lines past the first 64 KiB read: one long line
		 * first (invalid: too long), sized so the read boundary falls
		 * 8 * s[0] bytes into what follows.
		 */
		pad = READ_SIZE - 1 - (size_t)(uint8_t)s[0] * 8;
		if ((buf = malloc(pad + 1 + len)) == NULL)
			return (0);
		memset(buf, '#', pad);
		buf[pad] = '\n';
		memcpy(buf + pad + 1, s, len);
		s = buf;
		len += pad + 1;
	}

	memset(&w, 0, sizeof(w));
	for (end = s + len; nfiles < MAX_FILES; s = sep + strlen(SEP)) {
		sep = memmem(s, (size_t)(end - s), SEP, strlen(SEP));
		if (sep == NULL || nfiles == MAX_FILES - 1)
			sep = end;
		/* kind 0 memfd, 1 pipe, 2 a path that cannot be read. */
		kind[nfiles] = (mode >> (3 + nfiles)) & 1;
		if (nfiles == 1 && (mode & 0x80) && (mode & 0x40))
			kind[nfiles] = 2;
		fds[nfiles] = -1;
		if (kind[nfiles] == 2)
			snprintf(pathbuf[nfiles], sizeof(pathbuf[nfiles]),
			    "%s", (mode & 0x20) ? "/" : "/nonexistent/fuzz");
		else {
			fds[nfiles] = make_file(s, (size_t)(sep - s),
			    kind[nfiles] == 1);
			if (fds[nfiles] == -1)
				goto out;
			snprintf(pathbuf[nfiles], sizeof(pathbuf[nfiles]),
			    "/proc/self/fd/%d", fds[nfiles]);
			want_file(&w, nfiles, s, (size_t)(sep - s), defports);
		}
		paths[nfiles] = pathbuf[nfiles];
		nfiles++;
		if (sep == end)
			break;
	}
	paths[nfiles] = NULL;
	run(paths, nfiles, kind, &w, defports);
out:
	for (i = 0; i < (size_t)nfiles; i++)
		if (fds[i] != -1)
			close(fds[i]);
	want_free(&w);
	free(buf);
	return (0);
}
