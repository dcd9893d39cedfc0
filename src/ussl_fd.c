/*
 * ussl_fd.c - POSIX file-descriptor transport adapter and poll() wait
 * helper.  The only file of the library that includes socket headers;
 * builds without POSIX (microcontrollers) leave it out.
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

static int fd_of(void *arg)
{
	return (int)(intptr_t)arg;
}

static long fd_send(void *arg, const unsigned char *buf, size_t len,
    int *err)
{
	ssize_t n;

	do {
		n = send(fd_of(arg), buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (long)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return USSL_WANT_WRITE;
	*err = errno;
	return USSL_ERROR;
}

static long fd_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	ssize_t n;

	do {
		n = recv(fd_of(arg), buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (long)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return USSL_WANT_READ;
	*err = errno;
	return USSL_ERROR;
}

void ussl_conn_set_fd(ussl_conn *conn, int fd)
{
	ussl_transport tr;

	tr.arg = (void *)(intptr_t)fd;
	tr.send = fd_send;
	tr.recv = fd_recv;
	ussl_conn_set_transport(conn, &tr);
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
