/*
 * pump.c - the data loop of usslcat once the handshake is done: one
 * poll() over the socket, stdin and stdout that copies stdin to the peer
 * and the peer to stdout (or, with --echo, the peer back to itself), then
 * closes with close_notify in both directions.
 *
 * Closing: once our close_notify went out, a peer that closes the
 * transport without its own (nginx, Apache and most web servers do, after
 * a complete response) has ended the exchange, as `openssl s_client`
 * takes it; only --strict-close reports that as a truncation.  Before our
 * close_notify, the transport ending without the peer's is a truncation.
 *
 * stdin and stdout are left in the mode we were given: O_NONBLOCK belongs
 * to the open file description, which a terminal or pipe shares with the
 * shell and other processes, so setting it would leak out of usslcat.
 * Instead each is touched only after poll() reported it ready, with one
 * read() or write(), which then does not block (a partial write is kept
 * and finished later).  EAGAIN is still tolerated for descriptors that
 * arrive non-blocking.  The socket is ours and non-blocking.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usslcat.h"

/* One TLS record's worth: ussl_read returns at most one record. */
#define BUF_SIZE 16384

struct pump {
	ussl_conn *conn;
	int fd;
	int echo;
	int strict_close;
	size_t up_max;    /* stdin read size: a DTLS record's worth */
	/* To send: read from stdin, or received (--echo).  What a write
	   accepted is the library's; the rest stays here. */
	unsigned char up[BUF_SIZE];
	size_t up_len, up_off;
	/* Received, waiting to be written to stdout. */
	unsigned char down[BUF_SIZE];
	size_t down_len, down_off;
	/* 0: the call may be made now; else the USSL_WANT_* it returned. */
	int rd_want, wr_want, cl_want, fl_want;
	int unflushed;    /* accepted output may still wait in the library */
	int input_done;   /* nothing more will be queued for sending */
	int peer_closed;  /* the peer's close_notify arrived */
	int close_sent;   /* ours went out */
	int peer_dropped; /* after ours, the peer closed TCP without its own */
	unsigned long long sent, received;
};

static short want_events(int want)
{
	if (want == USSL_WANT_READ)
		return POLLIN;
	if (want == USSL_WANT_WRITE)
		return POLLOUT;
	return 0;
}

/* Whether a record may be read now: only when the place it goes to is
   empty, so that a slow stdout (or peer, with --echo) pushes back. */
static int can_receive(const struct pump *p)
{
	return !p->peer_closed && (p->echo ? p->up_len : p->down_len) == 0;
}

static int can_close(const struct pump *p)
{
	return p->input_done && p->up_len == 0 && !p->close_sent;
}

/* After our close_notify, did the peer simply close (or reset) the
   transport?  Then the exchange is over (see the top of this file). */
static int peer_ended_after_ours(const struct pump *p)
{
	const ussl_error *e = ussl_conn_error(p->conn);

	if (!p->close_sent || p->strict_close)
		return 0;
	return e->code == USSL_E_TRUNCATED ||
	    (e->code == USSL_E_IO && e->sys_errno == ECONNRESET);
}

/*
 * Make every TLS call that may progress: receive, send, close.  Sets
 * *progress when something moved.  Returns -1 to go on, else an exit code.
 */
static int tls_steps(struct pump *p, int *progress)
{
	long n;

	if (can_receive(p) && p->rd_want == 0) {
		unsigned char *to = p->echo ? p->up : p->down;

		n = ussl_read(p->conn, to, BUF_SIZE);
		if (n > 0) {
			if (p->echo) {
				p->up_len = (size_t)n;
				p->up_off = 0;
			} else {
				p->down_len = (size_t)n;
				p->down_off = 0;
			}
			p->received += (unsigned long long)n;
			*progress = 1;
		} else if (n == 0) {
			/* The peer is done: stop taking input (like nc -N),
			   send what is queued, then our close_notify. */
			p->peer_closed = 1;
			p->input_done = 1;
			*progress = 1;
		} else if (n == USSL_WANT_READ || n == USSL_WANT_WRITE) {
			p->rd_want = (int)n;
		} else if (peer_ended_after_ours(p)) {
			p->peer_closed = p->peer_dropped = 1;
			p->input_done = 1;
			*progress = 1;
		} else {
			return cat_conn_fail(p->conn, "receiving");
		}
	}

	if (p->up_off < p->up_len && p->wr_want == 0) {
		n = ussl_write(p->conn, p->up + p->up_off,
		    p->up_len - p->up_off);
		if (n > 0) {
			p->up_off += (size_t)n;
			if (p->up_off == p->up_len)
				p->up_off = p->up_len = 0;
			p->sent += (unsigned long long)n;
			p->unflushed = 1;
			*progress = 1;
		} else if (n == USSL_WANT_READ || n == USSL_WANT_WRITE) {
			p->wr_want = (int)n;
		} else {
			return cat_conn_fail(p->conn, "sending");
		}
	}

	/* Nothing more to write for now: what the socket did not take of
	   the accepted output must still leave (the peer may wait for it
	   while we wait for the peer). */
	if (p->unflushed && p->up_len == 0 && p->fl_want == 0) {
		n = ussl_flush(p->conn);
		if (n == USSL_OK)
			p->unflushed = 0;
		else if (n == USSL_WANT_WRITE)
			p->fl_want = (int)n;
		else
			return cat_conn_fail(p->conn, "sending");
	}

	if (can_close(p) && p->cl_want == 0) {
		int r = ussl_close(p->conn);

		if (r == USSL_OK) {
			p->close_sent = 1;
			/* Also end the TCP stream: helps peers that wait for
			   EOF; our reading side stays open for their reply. */
			shutdown(p->fd, SHUT_WR);
			*progress = 1;
		} else if (r == USSL_WANT_READ || r == USSL_WANT_WRITE) {
			p->cl_want = r;
		} else {
			return cat_conn_fail(p->conn, "sending close_notify");
		}
	}
	return -1;
}

/* One read() from stdin after poll() said it is ready. */
static int from_stdin(struct pump *p)
{
	ssize_t n = read(STDIN_FILENO, p->up, p->up_max);

	if (n > 0) {
		p->up_len = (size_t)n;
		p->up_off = 0;
	} else if (n == 0) {
		p->input_done = 1;
	} else if (errno != EINTR && errno != EAGAIN) {
		fprintf(stderr, "usslcat: reading stdin: %s\n",
		    strerror(errno));
		return CAT_EXIT_IO;
	}
	return -1;
}

/* One write() to stdout after poll() said it is ready; a short write
   keeps the rest for the next round. */
static int to_stdout(struct pump *p)
{
	ssize_t n = write(STDOUT_FILENO, p->down + p->down_off,
	    p->down_len - p->down_off);

	if (n > 0) {
		p->down_off += (size_t)n;
		if (p->down_off == p->down_len)
			p->down_off = p->down_len = 0;
	} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
		fprintf(stderr, "usslcat: writing stdout: %s\n",
		    strerror(errno));
		return CAT_EXIT_IO;
	}
	return -1;
}

static void summary(const struct pump *p, const struct cat_opts *o)
{
	if (o->quiet)
		return;
	if (p->peer_dropped)
		fprintf(stderr, "usslcat: sent %llu bytes, received %llu "
		    "bytes; closed (our close_notify; the peer then closed "
		    "the connection without its own)\n", p->sent, p->received);
	else if (p->echo)
		fprintf(stderr, "usslcat: echoed %llu bytes; closed cleanly "
		    "(close_notify both ways)\n", p->sent);
	else
		fprintf(stderr, "usslcat: sent %llu bytes, received %llu "
		    "bytes; closed cleanly (close_notify both ways)\n",
		    p->sent, p->received);
}

int cat_pump(ussl_conn *conn, int fd, const struct cat_opts *o)
{
	static struct pump p;	/* 32 KB: kept off the stack */
	long long idle_since = cat_now_ms();

	memset(&p, 0, sizeof(p));
	p.conn = conn;
	p.fd = fd;
	p.echo = o->echo;
	p.strict_close = o->strict_close;
	p.up_max = o->dtls ? 1024 : sizeof(p.up);

	for (;;) {
		struct pollfd pf[3];
		int nfd = 0, progress, rc, tmo, i_sock = -1, i_in = -1,
		    i_out = -1;
		short ev = 0;

		do {
			progress = 0;
			rc = tls_steps(&p, &progress);
			if (rc >= 0)
				return rc;
			if (progress) {
				/* One call's progress can unblock another
				   (flushed output, a consumed record):
				   retry all rather than guess. */
				p.rd_want = p.wr_want = p.cl_want = 0;
				p.fl_want = 0;
				idle_since = cat_now_ms();
			}
		} while (progress);

		if (p.close_sent && p.peer_closed && p.down_len == 0) {
			summary(&p, o);
			return CAT_EXIT_OK;
		}

		/* After the loop above every call that may run has
		   returned USSL_WANT_*: wait for those directions. */
		if (can_receive(&p))
			ev |= want_events(p.rd_want);
		if (p.up_off < p.up_len)
			ev |= want_events(p.wr_want);
		if (can_close(&p))
			ev |= want_events(p.cl_want);
		if (p.unflushed && p.up_len == 0)
			ev |= want_events(p.fl_want);
		if (ev != 0) {
			i_sock = nfd;
			pf[nfd++] = (struct pollfd){.fd = fd, .events = ev};
		}
		if (!p.echo && !p.input_done && p.up_len == 0) {
			i_in = nfd;
			pf[nfd++] = (struct pollfd){.fd = STDIN_FILENO,
			    .events = POLLIN};
		}
		if (p.down_off < p.down_len) {
			i_out = nfd;
			pf[nfd++] = (struct pollfd){.fd = STDOUT_FILENO,
			    .events = POLLOUT};
		}
		if (nfd == 0) {
			/* Cannot happen if the state logic is right; do not
			   sleep forever if it is not. */
			fprintf(stderr, "usslcat: internal error: nothing to "
			    "wait for\n");
			return CAT_EXIT_IO;
		}

		tmo = o->timeout_ms < 0 ? -1 :
		    cat_ms_left(idle_since + o->timeout_ms);
		rc = poll(pf, (nfds_t)nfd, tmo);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "usslcat: poll: %s\n",
			    strerror(errno));
			return CAT_EXIT_IO;
		}
		if (rc == 0) {
			ussl_conn_set_timeout_error(conn);
			return cat_conn_fail(conn, "no traffic within "
			    "--timeout");
		}
		if (i_sock >= 0 && pf[i_sock].revents != 0)
			p.rd_want = p.wr_want = p.cl_want = p.fl_want = 0;
		/* POLLHUP/POLLERR/POLLNVAL also end in read()/write(),
		   which then report EOF or the error. */
		if (i_in >= 0 && pf[i_in].revents != 0) {
			rc = from_stdin(&p);
			if (rc >= 0)
				return rc;
			idle_since = cat_now_ms();
		}
		if (i_out >= 0 && pf[i_out].revents != 0) {
			rc = to_stdout(&p);
			if (rc >= 0)
				return rc;
			idle_since = cat_now_ms();
		}
	}
}
