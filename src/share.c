/* SPDX-License-Identifier: ISC */
/* share.c -- see share.h.  One mutex guards the input and the per-engine
 * queues; whoever needs an item and finds its own queue empty reads the
 * input, keeping its own items and queueing the others' (then waking
 * them).  A queue that grows past QUEUE_MAX makes the readers wait, so
 * one slow engine cannot make memory grow with the input. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hosts.h"
#include "pool.h"
#include "share.h"
#include "xmalloc.h"

#define BATCH		64	/* items an engine takes in one go */
#define QUEUE_MAX	1024	/* items waiting for one engine */

/* One block: the item, then its strings (the file name is borrowed). */
struct item {
	struct item		*next;
	enum ap_input_rc	 rc;
	struct ap_input_item	 it;	/* strings in strings[] */
	char			 strings[];
};

struct queue {
	struct item		*head, *tail;
	size_t			 len;
};

struct engine_slot {
	struct queue		 q;		/* shared, under lock */
	int			 wake_fd;
	struct item		*local[BATCH];	/* taken, engine's own */
	int			 nlocal, next;
	struct item		*current;	/* handed out last */
};

struct ap_share {
	pthread_mutex_t		 lock;
	pthread_mutex_t		 out_lock;
	struct ap_input		*input;
	FILE			*out;
	bool			 eof;
	bool			 again;		/* input not ready */
	bool			 busy;		/* input mid huge line */
	atomic_bool		 cancelled;	/* read no more input */
	int			 n;
	struct engine_slot	*slots;
	struct ap_share_counts	 counts;
	struct ap_budget	 budget;
	struct ap_pacer		 pacer;
	struct ap_progress_line	*progress;
};

struct ap_share *
ap_share_new(struct ap_input *input, int n, FILE *out)
{
	struct ap_share	*s = xcalloc(1, sizeof(*s));
	int		 i;

	atomic_init(&s->cancelled, false);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->out_lock, NULL);
	s->input = input;
	s->out = out;
	s->n = n;
	s->slots = xcalloc((size_t)n, sizeof(*s->slots));
	for (i = 0; i < n; i++)
		s->slots[i].wake_fd = -1;
	return (s);
}

static void
item_free(struct item *it)
{
	ap_pool_free(it);
}

void
ap_share_free(struct ap_share *s)
{
	struct item	*it, *next;
	int		 i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		for (it = s->slots[i].q.head; it != NULL; it = next) {
			next = it->next;
			item_free(it);
		}
		for (j = s->slots[i].next; j < s->slots[i].nlocal; j++)
			item_free(s->slots[i].local[j]);
		item_free(s->slots[i].current);
	}
	free(s->slots);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->out_lock);
	free(s);
}

void
ap_share_set_wake(struct ap_share *s, int idx, int fd)
{
	s->slots[idx].wake_fd = fd;
}

static void
wake(struct ap_share *s, int idx, char c)
{
	ssize_t	n;

	/* A full pipe already holds a wake-up: losing this one is fine. */
	if (s->slots[idx].wake_fd != -1)
		n = write(s->slots[idx].wake_fd, &c, 1);
	(void)n;
}

void
ap_share_wake_all(struct ap_share *s, char c)
{
	int	i;

	for (i = 0; i < s->n; i++)
		wake(s, i, c);
}

void
ap_share_wake_mask(struct ap_share *s, uint64_t mask, char c)
{
	int	i;

	for (i = 0; i < s->n; i++)
		if (mask & ((uint64_t)1 << (i % 64)))
			wake(s, i, c);
}

void
ap_share_limits(struct ap_share *s, unsigned concurrency, unsigned rate,
    int64_t catchup_us, int64_t start_us)
{
	ap_budget_init(&s->budget, concurrency);
	ap_pacer_init(&s->pacer, rate, catchup_us, start_us);
}

struct ap_budget *
ap_share_budget(struct ap_share *s)
{
	return (&s->budget);
}

struct ap_pacer *
ap_share_pacer(struct ap_share *s)
{
	return (&s->pacer);
}

void
ap_share_set_progress(struct ap_share *s, struct ap_progress_line *pl)
{
	s->progress = pl;
}

struct ap_progress_line *
ap_share_progress(struct ap_share *s)
{
	return (s->progress);
}

/* Copy s (NULL stays NULL) to *at and step past it. */
static const char *
put_string(char **at, const char *s, size_t len)
{
	char	*d = *at;

	if (s == NULL)
		return (NULL);
	memcpy(d, s, len + 1);
	*at += len + 1;
	return (d);
}

static struct item *
item_copy(enum ap_input_rc rc, const struct ap_input_item *src)
{
	struct item	*it;
	size_t		 tl, hl, rl;
	char		*at;

	tl = src->text != NULL ? strlen(src->text) : 0;
	hl = src->host != NULL ? strlen(src->host) : 0;
	rl = src->reason != NULL ? strlen(src->reason) : 0;
	it = ap_pool_xmalloc(sizeof(*it) + tl + hl + rl + 3);
	it->next = NULL;
	it->rc = rc;
	it->it = *src;
	at = it->strings;
	it->it.text = put_string(&at, src->text, tl);
	it->it.host = put_string(&at, src->host, hl);
	it->it.reason = put_string(&at, src->reason, rl);
	return (it);
}

static void
enqueue(struct queue *q, struct item *it)
{
	it->next = NULL;
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->len++;
}

static struct item *
dequeue(struct queue *q)
{
	struct item	*it = q->head;

	if (it != NULL) {
		if ((q->head = it->next) == NULL)
			q->tail = NULL;
		q->len--;
	}
	return (it);
}

static bool
queues_full(const struct ap_share *s)
{
	int	i;

	for (i = 0; i < s->n; i++)
		if (s->slots[i].q.len >= QUEUE_MAX)
			return (true);
	return (false);
}

/* Under the lock: fill idx's local batch from its queue, reading the
 * input while the queue is empty.  *woke: engines that got items. */
static void
refill(struct ap_share *s, int idx, uint64_t *woke)
{
	struct engine_slot	*me = &s->slots[idx];
	struct ap_input_item	 in;
	enum ap_input_rc	 rc;
	struct item		*it;
	int			 to;
	bool			 was_full = me->q.len >= QUEUE_MAX;

	s->again = s->busy = false;
	while (me->q.len < BATCH && !s->eof && !s->cancelled &&
	    !queues_full(s)) {
		rc = ap_input_next(s->input, &in);
		if (rc == AP_INPUT_AGAIN) {
			s->again = true;
			break;
		}
		if (rc == AP_INPUT_BUSY) {
			s->busy = true;
			break;
		}
		if (rc == AP_INPUT_EOF) {
			s->eof = true;
			*woke = ~(uint64_t)0;	/* everyone sees the end */
			break;
		}
		/* A name's targets all go to one engine, which then asks
		 * DNS once.  Other items, addresses included, stay with the
		 * reader: an engine that reads for itself never waits for
		 * another to make room or to wake it. */
		to = rc == AP_INPUT_TARGET && !in.host_is_ip ?
		    (int)(ap_name_hash(in.host) % (uint32_t)s->n) : idx;
		it = item_copy(rc, &in);
		enqueue(&s->slots[to].q, it);
		if (to != idx)
			*woke |= (uint64_t)1 << (to % 64);
	}
	me->nlocal = me->next = 0;
	while (me->nlocal < BATCH && (it = dequeue(&me->q)) != NULL)
		me->local[me->nlocal++] = it;
	/* Readers stopped at a full queue go on now that it shrank. */
	if (was_full && me->q.len < QUEUE_MAX)
		*woke = ~(uint64_t)0;
}

enum ap_input_rc
ap_share_next(struct ap_share *s, int idx, struct ap_input_item *out,
    int *input_fd)
{
	struct engine_slot	*me = &s->slots[idx];
	uint64_t		 woke = 0;
	bool			 eof, again, busy;
	int			 i;

	item_free(me->current);
	me->current = NULL;
	*input_fd = -1;
	if (me->next == me->nlocal) {
		pthread_mutex_lock(&s->lock);
		refill(s, idx, &woke);
		eof = (s->eof || s->cancelled) && me->nlocal == 0 &&
		    me->q.len == 0;
		again = s->again;
		busy = s->busy;
		pthread_mutex_unlock(&s->lock);
		for (i = 0; i < s->n; i++)
			if (i != idx && (woke & ((uint64_t)1 << (i % 64))))
				wake(s, i, 'i');
		if (me->nlocal == 0) {
			if (eof)
				return (AP_INPUT_EOF);
			if (busy)
				return (AP_INPUT_BUSY);
			if (again)
				*input_fd = ap_input_fd(s->input);
			return (AP_INPUT_AGAIN);
		}
	}
	me->current = me->local[me->next++];
	*out = me->current->it;
	return (me->current->rc);
}

/* Without the lock: a reader may hold it for long over an input that
 * never ends a line (/dev/zero), and a signal must not wait for it. */
void
ap_share_cancel(struct ap_share *s)
{
	atomic_store(&s->cancelled, true);
}

int
ap_share_write(struct ap_share *s, const char *buf, size_t len)
{
	int	rc = 0;

	pthread_mutex_lock(&s->out_lock);
	if (buf != NULL && len > 0 && fwrite(buf, 1, len, s->out) != len)
		rc = -1;
	if (buf == NULL && fflush(s->out) == EOF)
		rc = -1;
	pthread_mutex_unlock(&s->out_lock);
	return (rc);
}

struct ap_share_counts *
ap_share_counts(struct ap_share *s)
{
	return (&s->counts);
}
