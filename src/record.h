/* SPDX-License-Identifier: ISC */
/* record.h -- the engine's output side: every record goes through here to
 * be counted (the tally, -s), filtered (-a, -u, -q), ordered (--ordered),
 * gathered for the shared output (-j) and written; records are flushed when
 * the loop is about to wait.  Notes on stderr go through here too, so the
 * progress line never tears them.  A failing output is reported through
 * a callback: the recorder never reaches back into the engine. */
#ifndef AP_RECORD_H
#define AP_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "engine.h"
#include "input.h"
#include "output.h"
#include "progress.h"
#include "result.h"

struct event_base;
struct ap_share;
struct ap_stats;
struct ap_recorder;
struct ap_changes;
/* --ordered: the records of one input item, gathered until it is done. */
struct ap_record_group;

typedef void ap_record_fail_cb(void *arg);

struct ap_record_config {
	const struct ap_options	*opt;
	struct ap_writer	*writer;
	struct ap_stats		*stats;		/* NULL: no -s */
	struct ap_share		*share;		/* -j, else NULL */
	struct ap_progress_line	*progress;	/* NULL: no progress line */
	struct ap_engine_tally	*tally;		/* counts go here */
	size_t			 window;	/* --ordered: items */
	ap_record_fail_cb	*fail;		/* output failed: stop */
	void			*arg;
	/* Monitor mode (the engine's host, see engine.h): the round every
	 * record carries; a writer that also gets every record, whatever
	 * filters say (the /metrics one); --changes; and whether the notes
	 * on invalid lines and unreadable files were already said in an
	 * earlier round. */
	uint64_t		 round;
	struct ap_writer	*tap;
	struct ap_changes	*changes;
	bool			 invalid_said;
};

struct ap_recorder *ap_recorder_new(struct event_base *,
		    const struct ap_record_config *);
void		 ap_recorder_free(struct ap_recorder *);	/* NULL ok */

/* A record of item seq's group (NULL: none, written at once). */
void		 ap_record_emit(struct ap_recorder *, struct ap_record_group *,
		    struct ap_result *);
/* --ordered: a group for an item (NULL when not ordering), and its end:
 * its records take their turn in input order.  An item with no group
 * still ends, so the items after it may leave. */
struct ap_record_group *ap_record_group_new(struct ap_recorder *);
void		 ap_record_item_done(struct ap_recorder *,
		    struct ap_record_group *, uint64_t seq);
/* Whether item seq may start (--ordered's window holds it). */
bool		 ap_record_fits(const struct ap_recorder *, uint64_t seq);
/* A record with no attempts: an invalid line (with its note on stderr)
 * or a target that never started (cancelled). */
void		 ap_record_invalid(struct ap_recorder *,
		    const struct ap_input_item *, const char *reason);
void		 ap_record_cancelled(struct ap_recorder *,
		    const struct ap_input_item *);
/* An input file that cannot be read: its note on stderr (like an invalid
 * line's, said once in monitor mode: see invalid_said). */
void		 ap_record_file_error(struct ap_recorder *, const char *reason);
void		 ap_record_flush(struct ap_recorder *);
/* A line on stderr (erasing the progress line first). */
void		 ap_record_note(struct ap_recorder *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* -v: one line per attempt. */
void		 ap_record_attempt(struct ap_recorder *, const char *text,
		    unsigned port, const struct ap_attempt *);
/* Whether records can still be written (no failure, no closed pipe). */
bool		 ap_record_ok(const struct ap_recorder *);

#endif
