/*
 * ussl_fd.c - POSIX file-descriptor transport adapter and poll() wait
 * helper.  The only file of the library that includes socket headers;
 * builds without POSIX (microcontrollers) leave it out.  A connected UDP
 * socket is a datagram transport for DTLS as it is: one send() per
 * datagram, one recv() per datagram.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "internal.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#ifndef MSG_DONTWAIT
#define MSG_DONTWAIT 0
#endif

static int fd_of(void *arg)
{
	return (int)(intptr_t)arg;
}

static long do_send(void *arg, const unsigned char *buf, size_t len,
    int *err, int flags)
{
	ssize_t n;

	do {
		n = send(fd_of(arg), buf, len, MSG_NOSIGNAL | flags);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (long)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return USSL_WANT_WRITE;
	*err = errno;
	return USSL_ERROR;
}

static long do_recv(void *arg, unsigned char *buf, size_t len, int *err,
    int flags)
{
	ssize_t n;

	do {
		n = recv(fd_of(arg), buf, len, flags);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (long)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return USSL_WANT_READ;
	*err = errno;
	return USSL_ERROR;
}

static long fd_send(void *arg, const unsigned char *buf, size_t len,
    int *err)
{
	return do_send(arg, buf, len, err, 0);
}

static long fd_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	return do_recv(arg, buf, len, err, 0);
}

/* USSL_FD_DONTWAIT: the fd's mode does not matter, nothing blocks. */
static long fd_send_nb(void *arg, const unsigned char *buf, size_t len,
    int *err)
{
	return do_send(arg, buf, len, err, MSG_DONTWAIT);
}

static long fd_recv_nb(void *arg, unsigned char *buf, size_t len, int *err)
{
	return do_recv(arg, buf, len, err, MSG_DONTWAIT);
}

void ussl_conn_set_fd_flags(ussl_conn *conn, int fd, unsigned flags)
{
	ussl_transport tr;

	tr.arg = (void *)(intptr_t)fd;
	tr.send = flags & USSL_FD_DONTWAIT ? fd_send_nb : fd_send;
	tr.recv = flags & USSL_FD_DONTWAIT ? fd_recv_nb : fd_recv;
	ussl_conn_set_transport(conn, &tr);
	/* A DTLS server's cookies are bound to the client's address: that
	   of the connected socket, unless the caller gave one. */
	if (conn->ctx->dtls && conn->role == USSL_SERVER &&
	    conn->dtls_id == NULL && conn->state == ST_NEW) {
		struct sockaddr_storage ss;
		socklen_t n = sizeof(ss);

		if (getpeername(fd, (struct sockaddr *)&ss, &n) == 0 && n > 0)
			(void)ussl_conn_set_client_id(conn, &ss, (size_t)n);
	}
}

void ussl_conn_set_fd(ussl_conn *conn, int fd)
{
	ussl_conn_set_fd_flags(conn, fd, 0);
}

int ussl_fd_wait(int fd, int want, int timeout_ms)
{
	struct pollfd p;
	int r;

	p.fd = fd;
	p.events = want == USSL_WANT_WRITE ? POLLOUT : POLLIN;
	p.revents = 0;
	r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return -1;
	return r > 0 ? 1 : 0;
}
