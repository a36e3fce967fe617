/* SPDX-License-Identifier: ISC */
/* outfile.h -- -o FILE put in place atomically: records go to a temporary
 * file beside it, renamed over it only when the run ends well, so a
 * reader (node_exporter, a cron job) never sees half a file and a failed
 * or interrupted run leaves the old one alone.  Through a symbolic link
 * the file it points to is replaced, not the link.  What is not a regular
 * file (/dev/null, a FIFO, a terminal) is written to directly. */
#ifndef AP_OUTFILE_H
#define AP_OUTFILE_H

#include <stdio.h>

struct ap_outfile;

/* NULL + errno when the temporary file cannot be made (or the path,
 * when written directly, cannot be opened). */
struct ap_outfile	*ap_outfile_open(const char *path);
/* The stream to write; owned by the outfile. */
FILE			*ap_outfile_fp(const struct ap_outfile *);
/* The file that will be replaced: path with its links followed. */
const char		*ap_outfile_target(const struct ap_outfile *);
/* Flush, fsync and rename into place; 0, or -1 with errno (the old
 * file then stays).  Frees the outfile either way. */
int			 ap_outfile_commit(struct ap_outfile *);
/* Close and remove the temporary file: the old file stays.  NULL ok. */
void			 ap_outfile_abandon(struct ap_outfile *);

#endif
