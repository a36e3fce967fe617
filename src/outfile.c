/* SPDX-License-Identifier: ISC */
/* outfile.c -- see outfile.h.  mkstemp() beside the file, the mode the
 * file had (or 0666 less the umask, as open(2) would give a new one),
 * fsync() before rename(2). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "xmalloc.h"

#define LINKS_MAX	40	/* as Linux's MAXSYMLINKS */

struct ap_outfile {
	char	*path;		/* links followed */
	char	*tmp;		/* NULL: written directly */
	FILE	*fp;
};

/*
 * Follow path's symbolic links by hand, so a link to a file not yet made
 * (a dangling link) still names where the file goes.  ELOOP past
 * LINKS_MAX links, as the kernel says it.
 */
static char *
follow_links(const char *path)
{
	struct stat	 st;
	char		*cur = xstrdup(path), *next, *slash, link[PATH_MAX];
	ssize_t		 n;
	int		 i;

	for (i = 0; i <= LINKS_MAX; i++) {
		if (lstat(cur, &st) == -1 || !S_ISLNK(st.st_mode))
			return (cur);
		if ((n = readlink(cur, link, sizeof(link) - 1)) == -1)
			goto fail;
		link[n] = '\0';
		if (link[0] == '/' || (slash = strrchr(cur, '/')) == NULL)
			next = xstrdup(link);
		else if (asprintf(&next, "%.*s/%s", (int)(slash - cur), cur,
		    link) == -1)
			goto fail;
		free(cur);
		cur = next;
	}
	errno = ELOOP;
fail:
	free(cur);
	return (NULL);
}

static mode_t
file_mode(const char *path)
{
	struct stat	st;
	mode_t		mask;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return (st.st_mode & 07777);
	mask = umask(0);
	umask(mask);
	return (0666 & ~mask);
}

struct ap_outfile *
ap_outfile_open(const char *path)
{
	struct ap_outfile	*of = xcalloc(1, sizeof(*of));
	struct stat		 st;
	int			 fd = -1, save;

	if ((of->path = follow_links(path)) == NULL)
		goto fail;
	if (stat(of->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* Renaming over a device or a FIFO would replace it. */
		if ((of->fp = fopen(of->path, "we")) == NULL)
			goto fail;
		return (of);
	}
	if (asprintf(&of->tmp, "%s.XXXXXX", of->path) == -1) {
		of->tmp = NULL;
		goto fail;
	}
	if ((fd = mkstemp(of->tmp)) == -1) {
		free(of->tmp);
		of->tmp = NULL;
		goto fail;
	}
	/* mkstemp() makes it 0600; a collector running as another user
	 * reads a prom file. */
	if (fchmod(fd, file_mode(of->path)) == -1 ||
	    (of->fp = fdopen(fd, "w")) == NULL)
		goto fail;
	return (of);
fail:
	save = errno;
	if (fd != -1)
		close(fd);
	if (of->tmp != NULL)
		unlink(of->tmp);
	free(of->tmp);
	free(of->path);
	free(of);
	errno = save;
	return (NULL);
}

FILE *
ap_outfile_fp(const struct ap_outfile *of)
{
	return (of->fp);
}

const char *
ap_outfile_target(const struct ap_outfile *of)
{
	return (of->path);
}

int
ap_outfile_commit(struct ap_outfile *of)
{
	int	rc = 0, save = 0;

	if (fflush(of->fp) == EOF ||
	    (of->tmp != NULL && fsync(fileno(of->fp)) == -1)) {
		rc = -1;
		save = errno;
	}
	if (fclose(of->fp) == EOF && rc == 0) {
		rc = -1;
		save = errno;
	}
	if (rc == 0 && of->tmp != NULL && rename(of->tmp, of->path) == -1) {
		rc = -1;
		save = errno;
	}
	if (rc == -1 && of->tmp != NULL)
		unlink(of->tmp);
	free(of->tmp);
	free(of->path);
	free(of);
	errno = save;
	return (rc);
}

void
ap_outfile_abandon(struct ap_outfile *of)
{
	if (of == NULL)
		return;
	fclose(of->fp);
	if (of->tmp != NULL)
		unlink(of->tmp);
	free(of->tmp);
	free(of->path);
	free(of);
}
