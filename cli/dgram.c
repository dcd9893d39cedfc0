/*
 * dgram.c - usslcat's datagram side (--dtls): a connected UDP socket to
 * the server, or, listening, a bound UDP socket connected to the first
 * client that sends to it (the DTLS server's cookie exchange then runs
 * on that socket).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usslcat.h"

/* UDP socket for host/port: bound (listening) or connected; non-blocking.
   Returns the fd or -exit code. */
static int dgram_socket(const char *host, const char *port, int listening)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err = 0, rc, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = listening ? AI_PASSIVE : 0;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "usslcat: %s port %s: %s\n", host, port,
		    gai_strerror(rc));
		return -CAT_EXIT_NET;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (listening ? setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) == 0 && bind(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0 :
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "usslcat: udp %s port %s: %s\n", host, port,
		    strerror(err));
		return -CAT_EXIT_NET;
	}
	return fd;
}

int cat_dgram_connect(const char *host, const char *port)
{
	return dgram_socket(host, port, 0);
}

int cat_dgram_listen(const char *host, const char *port,
    const char *port_file)
{
	int fd = dgram_socket(host, port, 1);

	return fd < 0 ? fd : cat_publish_port(fd, port_file);
}

int cat_dgram_accept(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	unsigned char b;
	struct pollfd p;

	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		len = sizeof(ss);
		/* The datagram stays queued: it is the ClientHello. */
		if (recvfrom(fd, &b, 1, MSG_PEEK, (struct sockaddr *)&ss,
		    &len) >= 0)
			return connect(fd, (struct sockaddr *)&ss, len) == 0 ?
			    fd : -CAT_EXIT_NET;
		if (errno != EINTR && errno != EAGAIN && errno != ECONNREFUSED)
			break;
	}
	fprintf(stderr, "usslcat: udp: %s\n", strerror(errno));
	return -CAT_EXIT_NET;
}
