/* SPDX-License-Identifier: ISC */
/* xmalloc.c -- see xmalloc.h. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

void
xmalloc_fail(size_t size)
{
	static const char msg[] = "asyncprobe: out of memory\n";

	(void)size;
	/* write(2): stdio may itself need memory. */
	ssize_t		 n;

	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(4);
}

void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		xmalloc_fail(size);
	return (p);
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		xmalloc_fail(n * size);
	return (p);
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_fail(SIZE_MAX);
	if ((p = realloc(old, n * size == 0 ? 1 : n * size)) == NULL)
		xmalloc_fail(n * size);
	return (p);
}

char *
xstrdup(const char *s)
{
	return (xstrndup(s, strlen(s)));
}

char *
xstrndup(const char *s, size_t len)
{
	char	*p;

	len = strnlen(s, len);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}
