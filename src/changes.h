/* SPDX-License-Identifier: ISC */
/* changes.h -- --changes: each record's status remembered for one round, so
 * a round writes only the records whose status differs from the previous
 * round's.  Memory is two rounds' worth, whatever the number of rounds. */
#ifndef AP_CHANGES_H
#define AP_CHANGES_H

#include <stdbool.h>

#include "result.h"

struct ap_changes;

/* per_address: -m, where each address of a target has its own record. */
struct ap_changes *ap_changes_new(bool per_address);
void		 ap_changes_free(struct ap_changes *);	/* NULL ok */
/* Remember r's status for this round; true when the previous round had
 * no such record or another status. */
bool		 ap_changes_note(struct ap_changes *, const struct ap_result *);
/* The round is over: its statuses are the ones the next compares with. */
void		 ap_changes_next_round(struct ap_changes *);

#endif
