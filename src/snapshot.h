/* SPDX-License-Identifier: ISC */
/* snapshot.h -- monitor mode's target list: every input file read once into
 * memory (again on SIGHUP), so each round probes the same list however the
 * files change meanwhile, stdin can be probed more than once, and /probe can
 * tell whether a target is in the list. */
#ifndef AP_SNAPSHOT_H
#define AP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "input.h"
#include "line.h"

struct ap_snapshot;

/* paths as for ap_input_new() (empty: stdin; an operand that is no file
 * but a target is that target).  stdin is read to its end here.  defports:
 * -p or NULL, borrowed.  Files that cannot be read are kept as such:
 * ap_snapshot_error() says so. */
struct ap_snapshot *ap_snapshot_new(char *const *paths,
		    const struct ap_portlist *defports);
void		 ap_snapshot_free(struct ap_snapshot *);	/* NULL ok */
/* -1 with "FILE: reason" in why when some file could not be read. */
int		 ap_snapshot_error(const struct ap_snapshot *, char *why,
		    size_t whylen);
/* SIGHUP: read the files again (stdin and operand targets stay as they
 * were); the rounds after it see the new list.  When a file cannot be
 * read the list stays as it was, all of it (as Prometheus keeps its old
 * configuration): -1 with "FILE: reason" in why. */
int		 ap_snapshot_reload(struct ap_snapshot *, char *why,
		    size_t whylen);
/* An input over the list, for one round (free it after the round). */
struct ap_input	*ap_snapshot_input(const struct ap_snapshot *);
/* How many targets the list holds (for the progress line). */
size_t		 ap_snapshot_targets(const struct ap_snapshot *);
/* /probe: whether text is one host:port (one address, one port) that the
 * list holds, written however (names blind to case, "127.1" is
 * 127.0.0.1).  0 yes; 400 not one host:port; 403 not in the list; why
 * says which. */
int		 ap_snapshot_check(const struct ap_snapshot *, const char *text,
		    char *why, size_t whylen);

#endif
