/* SPDX-License-Identifier: ISC */
/* input.c -- streams targets out of files with read(2) through one fixed
 * buffer.  A line is kept only up to AP_LINE_MAX (+ CR + 1) bytes: the
 * rest of a longer one is dropped as it streams past, so memory stays the
 * same whatever the input holds.  Descriptors that may block (pipes,
 * terminals, sockets) are polled with a zero timeout before each read. */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "input.h"
#include "xmalloc.h"

#define INPUT_BUFSZ	(64 * 1024)
/* Enough of a line to tell it is too long, even with a CR at the end. */
#define LINE_KEEP	(AP_LINE_MAX + 2)
/* Reads one ap_input_next() call may make without a result (16 MiB). */
#define READ_BUDGET	256

struct ap_input {
	char			**paths;	/* copies; "-" is stdin */
	struct ap_input_source	 *sources;	/* or NULL: open paths */
	size_t			  npaths;
	size_t			  next;		/* next path to open */
	const struct ap_portlist *defports;	/* borrowed */

	int			  fd;		/* -1: none open */
	bool			  fd_regular;	/* read without poll */
	bool			  fd_eof;	/* read(2) returned 0 */
	const char		 *file;		/* paths[next - 1] */
	unsigned long		  lineno;

	char			  buf[INPUT_BUFSZ];
	size_t			  bpos, bend;

	char			  line[LINE_KEEP];
	size_t			  linelen;	/* bytes kept in line */
	bool			  partial;	/* bytes seen since newline */

	struct ap_line		  cur;		/* handed out, borrowed */
	bool			  expanding;	/* cur has ports to go */
	const struct ap_portlist *cur_ports;	/* cur.ports or defports */
	size_t			  cur_range;
	uint32_t		  cur_port;	/* next port in the range */
	uint32_t		  cur_addr;	/* next address of a prefix */
	unsigned char		  addr_ip[16];	/* cur.ip + cur_addr */
	char			  addr_text[64];	/* of addr_ip */
	bool			  operand;	/* the path is a target */

	char			 *msg;		/* FILE_ERROR reason */
	ap_input_error_cb	 *error_cb;	/* or NULL */
	void			 *error_arg;
	char			  reason[AP_ERRBUF_LEN];
	uint64_t		  index;
	bool			  done;
};

struct ap_input *
ap_input_new(char *const *paths, const struct ap_portlist *defports)
{
	struct ap_input	*in;
	size_t		 i, n;

	for (n = 0; paths != NULL && paths[n] != NULL; n++)
		;
	in = xcalloc(1, sizeof(*in));
	in->npaths = n == 0 ? 1 : n;
	in->paths = xcalloc(in->npaths, sizeof(*in->paths));
	for (i = 0; i < in->npaths; i++)
		in->paths[i] = xstrdup(n == 0 ? "-" : paths[i]);
	in->defports = defports;
	in->fd = -1;
	return (in);
}

struct ap_input *
ap_input_new_sources(const struct ap_input_source *src, size_t n,
    const struct ap_portlist *defports)
{
	struct ap_input	*in;
	size_t		 i;

	in = xcalloc(1, sizeof(*in));
	in->npaths = n;
	in->paths = xcalloc(n == 0 ? 1 : n, sizeof(*in->paths));
	in->sources = xcalloc(n == 0 ? 1 : n, sizeof(*in->sources));
	for (i = 0; i < n; i++) {
		in->paths[i] = xstrdup(src[i].name);
		in->sources[i] = src[i];
		in->sources[i].name = in->paths[i];
	}
	in->defports = defports;
	in->fd = -1;
	return (in);
}

static void
close_current(struct ap_input *in)
{
	if (in->fd != -1 && in->fd != STDIN_FILENO)
		close(in->fd);
	in->fd = -1;
	in->fd_eof = false;
	in->bpos = in->bend = 0;
	in->linelen = 0;
	in->partial = false;
}

void
ap_input_free(struct ap_input *in)
{
	size_t	i;

	if (in == NULL)
		return;
	close_current(in);
	ap_line_free(&in->cur);
	for (i = 0; i < in->npaths; i++)
		free(in->paths[i]);
	free(in->paths);
	free(in->sources);
	free(in->msg);
	free(in);
}

int
ap_input_fd(const struct ap_input *in)
{
	return (in->fd);
}

/* Report a file that cannot be read; the caller goes on with the next. */
static enum ap_input_rc
file_error(struct ap_input *in, const char *path, int error,
    struct ap_input_item *item)
{
	const char	*text = strerror(error);
	size_t		 len;

	free(in->msg);
	len = strlen(path) + strlen(text) + 3;
	in->msg = xmalloc(len);
	snprintf(in->msg, len, "%s: %s", path, text);
	memset(item, 0, sizeof(*item));
	item->text = "";
	item->host = "";
	item->file = path;
	item->reason = in->msg;
	item->index = in->index;
	if (in->error_cb != NULL)
		in->error_cb(in->msg, in->error_arg);
	return (AP_INPUT_FILE_ERROR);
}

void
ap_input_on_error(struct ap_input *in, ap_input_error_cb *cb, void *arg)
{
	in->error_cb = cb;
	in->error_arg = arg;
}

/* Start handing out cur: its ports (or -p's), address by address. */
static void
start_expanding(struct ap_input *in)
{
	in->cur_ports = in->cur.ports.count > 0 ? &in->cur.ports :
	    in->defports;
	in->cur_range = 0;
	in->cur_port = in->cur_ports->ranges[0].lo;
	in->cur_addr = 0;
	in->expanding = true;
}

/*
 * "asyncprobe example.org:443", like nc -z: a path that is no file but a
 * target with a port of its own (never -p's: "example.org" alone stays
 * a missing file).  True when it is; cur then expands as a line would.
 */
static bool
operand_target(struct ap_input *in, const char *path)
{
	ap_line_free(&in->cur);
	if (!ap_line_parse_operand(path, &in->cur))
		return (false);
	in->operand = true;
	start_expanding(in);
	return (true);
}

/* Open the next path.  0 when one is open, else FILE_ERROR or EOF; -1
 * with nothing in *rc when the path was a target (in->expanding). */
static int
open_next(struct ap_input *in, struct ap_input_item *item,
    enum ap_input_rc *rc)
{
	struct ap_input_source	*src;
	struct stat		 st;
	const char		*path;
	int			 fd, error;

	if (in->next == in->npaths) {
		in->done = true;
		*rc = AP_INPUT_EOF;
		return (-1);
	}
	src = in->sources != NULL ? &in->sources[in->next] : NULL;
	path = in->paths[in->next++];
	in->lineno = 0;
	in->operand = false;
	if (src != NULL && src->target) {
		if (operand_target(in, path))
			return (-1);	/* the caller hands it out */
		*rc = file_error(in, path, ENOENT, item);
		return (-1);
	}
	if (src != NULL && src->error != 0) {
		*rc = file_error(in, path, src->error, item);
		return (-1);
	}
	if (src != NULL && src->fd != -1) {
		/* A copy of our own, so the saved one is never closed; it
		 * shares the offset, which each round rewinds. */
		if ((fd = fcntl(src->fd, F_DUPFD_CLOEXEC, 3)) == -1 ||
		    lseek(fd, 0, SEEK_SET) == -1) {
			error = errno;
			if (fd != -1)
				close(fd);
			*rc = file_error(in, path, error, item);
			return (-1);
		}
	} else if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) == -1) {
		error = errno;
		if (error == ENOENT && operand_target(in, path))
			return (-1);	/* the caller hands it out */
		*rc = file_error(in, path, error, item);
		return (-1);
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		error = S_ISDIR(st.st_mode) ? EISDIR : errno;
		if (fd != STDIN_FILENO)
			close(fd);
		*rc = file_error(in, path, error, item);
		return (-1);
	}
	in->fd = fd;
	in->fd_regular = S_ISREG(st.st_mode);
	in->fd_eof = false;
	in->file = path;
	return (0);
}

/* The address n after base (4 or 16 bytes), carried byte by byte. */
static void
add_to_address(unsigned char *ip, const unsigned char *base, size_t len,
    uint32_t n)
{
	unsigned	 sum;
	size_t		 i;

	memcpy(ip, base, len);
	for (i = len; i > 0 && n > 0; i--) {
		sum = ip[i - 1] + (n & 0xff);
		ip[i - 1] = (unsigned char)sum;
		n = (n >> 8) + (sum >> 8);
	}
}

/* Hand out the next port of cur, at the next address of a prefix once
 * every port had its turn (nmap's order: address by address). */
static enum ap_input_rc
emit_target(struct ap_input *in, struct ap_input_item *item)
{
	const struct ap_port_range	*r;

	r = &in->cur_ports->ranges[in->cur_range];
	memset(item, 0, sizeof(*item));
	item->text = in->cur.text;
	item->host = in->cur.host;
	item->host_is_ip = in->cur.host_is_ip;
	item->ip_family = in->cur.ip_family;
	memcpy(item->ip, in->cur.ip, sizeof(item->ip));
	item->scope_id = in->cur.scope_id;
	if (in->cur.naddrs > 1) {
		if (in->cur_range == 0 && in->cur_port == r->lo) {
			add_to_address(in->addr_ip, in->cur.ip,
			    in->cur.ip_family == AF_INET ? 4 : 16,
			    in->cur_addr);
			inet_ntop(in->cur.ip_family, in->addr_ip, in->addr_text,
			    sizeof(in->addr_text));
		}
		item->host = in->addr_text;
		memcpy(item->ip, in->addr_ip, sizeof(item->ip));
	}
	item->port = (uint16_t)in->cur_port;
	item->file = in->operand ? "argv" : in->file;
	item->line = in->operand ? in->next : in->lineno;
	item->reason = "";
	item->index = in->index++;
	if (in->cur_port < r->hi)
		in->cur_port++;
	else if (++in->cur_range < in->cur_ports->nranges)
		in->cur_port = in->cur_ports->ranges[in->cur_range].lo;
	else if (++in->cur_addr < in->cur.naddrs) {
		in->cur_range = 0;
		in->cur_port = in->cur_ports->ranges[0].lo;
	} else
		in->expanding = false;
	return (AP_INPUT_TARGET);
}

/* A whole line is in in->line: parse it.  0 when it was skipped. */
static int
finish_line(struct ap_input *in, struct ap_input_item *item,
    enum ap_input_rc *rc)
{
	enum ap_line_rc	lrc;
	size_t		skip = 0;

	in->lineno++;
	ap_line_free(&in->cur);
	/* A UTF-8 byte order mark opening a file (Windows editors write
	 * one) is not part of the first target. */
	if (in->lineno == 1 && in->linelen >= 3 &&
	    memcmp(in->line, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	lrc = ap_line_parse(in->line + skip, in->linelen - skip, in->defports,
	    &in->cur, in->reason, sizeof(in->reason));
	in->linelen = 0;
	in->partial = false;
	switch (lrc) {
	case AP_LINE_SKIP:
		return (0);
	case AP_LINE_INVALID:
		memset(item, 0, sizeof(*item));
		item->text = in->cur.text != NULL ? in->cur.text : "";
		item->host = in->cur.host != NULL ? in->cur.host : "";
		item->file = in->file;
		item->line = in->lineno;
		item->reason = in->reason;
		item->index = in->index++;
		*rc = AP_INPUT_INVALID;
		return (1);
	case AP_LINE_OK:
		break;
	}
	start_expanding(in);
	*rc = emit_target(in, item);
	return (1);
}

/* Move buffered bytes into the line; 1 when a newline ended it. */
static int
take_bytes(struct ap_input *in)
{
	const char	*p = in->buf + in->bpos, *nl;
	size_t		 avail = in->bend - in->bpos, n, keep;

	nl = memchr(p, '\n', avail);
	n = nl != NULL ? (size_t)(nl - p) : avail;
	keep = LINE_KEEP - in->linelen;
	if (keep > n)
		keep = n;
	memcpy(in->line + in->linelen, p, keep);
	in->linelen += keep;
	if (n > 0)
		in->partial = true;
	in->bpos += n + (nl != NULL);
	return (nl != NULL);
}

enum ap_input_rc
ap_input_next(struct ap_input *in, struct ap_input_item *item)
{
	struct pollfd		pfd;
	enum ap_input_rc	rc;
	ssize_t			n;
	size_t			budget = READ_BUDGET;
	int			error;

	for (;;) {
		if (in->done)
			return (AP_INPUT_EOF);
		if (in->expanding)
			return (emit_target(in, item));
		while (in->bpos < in->bend) {
			if (take_bytes(in) && finish_line(in, item, &rc))
				return (rc);
		}
		if (in->fd == -1) {
			if (open_next(in, item, &rc) == -1 && !in->expanding)
				return (rc);
			continue;
		}
		if (in->fd_eof) {
			/* The last line needs no newline. */
			if (in->partial && finish_line(in, item, &rc))
				return (rc);
			close_current(in);
			continue;
		}
		if (!in->fd_regular) {
			pfd.fd = in->fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			switch (poll(&pfd, 1, 0)) {
			case 0:
				return (AP_INPUT_AGAIN);
			case -1:
				if (errno == EINTR || errno == EAGAIN)
					return (AP_INPUT_AGAIN);
				break;	/* let read(2) say what is wrong */
			default:
				break;
			}
		}
		/* An endless line (/dev/zero) must not keep the caller's
		 * event loop from signals and deadlines. */
		if (budget == 0)
			return (AP_INPUT_BUSY);
		budget--;
		n = read(in->fd, in->buf, sizeof(in->buf));
		if (n > 0) {
			in->bpos = 0;
			in->bend = (size_t)n;
		} else if (n == 0)
			in->fd_eof = true;
		else if (errno == EINTR)
			continue;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (AP_INPUT_AGAIN);
		else {
			error = errno;
			close_current(in);
			return (file_error(in, in->file, error, item));
		}
	}
}
