/*
 * test_fd.c - the POSIX fd adapter over a socketpair: non-blocking
 * handshake and transfer driven by ussl_fd_wait(), blocking fds, a
 * transport error surfacing as USSL_E_IO with its errno, and
 * truncation by a bare shutdown().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static ussl_ctx *sctx, *cctx;

static void mk(int fds[2], ussl_conn **c, ussl_conn **s, int nb)
{
	ussl_error err;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	if (nb) {
		nonblock(fds[0]);
		nonblock(fds[1]);
	}
	*c = ussl_conn_new(cctx, "localhost", &err);
	*s = ussl_conn_new(sctx, NULL, &err);
	CHECK(*c != NULL && *s != NULL);
	ussl_conn_set_fd(*c, fds[0]);
	ussl_conn_set_fd(*s, fds[1]);
}

/* Drive both ends with poll until both handshakes are done. */
static int handshake_nb(ussl_conn *c, ussl_conn *s, int fds[2])
{
	int rc = -9, rs = -9, i;

	for (i = 0; i < 10000; i++) {
		if (rc != USSL_OK)
			rc = ussl_handshake(c);
		if (rs != USSL_OK)
			rs = ussl_handshake(s);
		if (rc == USSL_ERROR || rs == USSL_ERROR)
			return -1;
		if (rc == USSL_OK && rs == USSL_OK)
			return 0;
		/* Whoever waits, waits with a bound. */
		if (rc != USSL_OK && rs == USSL_OK)
			ussl_fd_wait(fds[0], rc, 1000);
		else if (rs != USSL_OK && rc == USSL_OK)
			ussl_fd_wait(fds[1], rs, 1000);
	}
	return -1;
}

static void test_nonblocking(void)
{
	int fds[2];
	ussl_conn *c, *s;
	static unsigned char data[1 << 20], got[1 << 20];
	size_t sent = 0, recvd = 0, i;
	long n;
	int spins = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i ^ (i >> 9));
	mk(fds, &c, &s, 1);
	CHECK(handshake_nb(c, s, fds) == 0);
	/* A non-blocking read with nothing there asks to wait for input. */
	CHECK(ussl_read(s, got, 10) == USSL_WANT_READ);
	CHECK(ussl_fd_wait(fds[1], USSL_WANT_READ, 0) == 0);
	while (recvd < sizeof(data) && spins++ < 100000) {
		if (sent < sizeof(data)) {
			n = ussl_write(c, data + sent, sizeof(data) - sent);
			CHECK(n > 0 || n == USSL_WANT_WRITE);
			if (n > 0)
				sent += (size_t)n;
		} else {
			/* All accepted: what the socket did not take yet
			   goes out when asked (the reader waits for it). */
			n = ussl_flush(c);
			CHECK(n == USSL_OK || n == USSL_WANT_WRITE);
		}
		n = ussl_read(s, got + recvd, sizeof(got) - recvd);
		CHECK(n > 0 || n == USSL_WANT_READ);
		if (n > 0)
			recvd += (size_t)n;
	}
	CHECK(recvd == sizeof(data) && memcmp(data, got, recvd) == 0);

	/* Truncation: the client's socket is shut down without a TLS close. */
	shutdown(fds[0], SHUT_WR);
	for (i = 0; i < 100 && (n = ussl_read(s, got, 10)) == USSL_WANT_READ;
	    i++)
		ussl_fd_wait(fds[1], USSL_WANT_READ, 1000);
	CHECK(n == USSL_ERROR && ussl_conn_error(s)->code == USSL_E_TRUNCATED);
	ussl_conn_free(c);
	ussl_conn_free(s);
	close(fds[0]);
	close(fds[1]);
}

static void test_io_error(void)
{
	int fds[2];
	ussl_conn *c, *s;
	long n = 0;
	int i;

	mk(fds, &c, &s, 1);
	CHECK(handshake_nb(c, s, fds) == 0);
	close(fds[1]);   /* the peer vanishes */
	for (i = 0; i < 10 && (n = ussl_write(c, "hello", 5)) > 0; i++)
		;
	CHECK(n == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_IO);
	CHECK(ussl_conn_error(c)->sys_errno == EPIPE ||
	    ussl_conn_error(c)->sys_errno == ECONNRESET);
	ussl_conn_free(c);
	ussl_conn_free(s);
	close(fds[0]);
}

static void test_clean_close(void)
{
	int fds[2];
	ussl_conn *c, *s;
	unsigned char buf[8];
	long n;
	int i;

	mk(fds, &c, &s, 1);
	CHECK(handshake_nb(c, s, fds) == 0);
	CHECK(ussl_write(c, "bye", 3) == 3);
	CHECK(ussl_close(c) == USSL_OK);
	close(fds[0]);
	for (i = 0; i < 100 && (n = ussl_read(s, buf, sizeof(buf))) ==
	    USSL_WANT_READ; i++)
		ussl_fd_wait(fds[1], USSL_WANT_READ, 1000);
	CHECK(n == 3 && memcmp(buf, "bye", 3) == 0);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 0);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 0);
	ussl_conn_free(c);
	ussl_conn_free(s);
	close(fds[1]);
}

int main(void)
{
	sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	test_nonblocking();
	test_io_error();
	test_clean_close();
	ussl_ctx_free(sctx);
	ussl_ctx_free(cctx);
	return tu_report("test_fd");
}
