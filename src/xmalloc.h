/* SPDX-License-Identifier: ISC */
/* xmalloc.h -- allocation that cannot return NULL: on exhaustion it prints
 * one message and exits 4 (SPEC 6: system failure), as tmux and zmap do.
 * The only place besides main.c that may exit. */
#ifndef AP_XMALLOC_H
#define AP_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Say "out of memory" and exit 4. */
void	 xmalloc_fail(size_t) __attribute__((noreturn));

#endif
