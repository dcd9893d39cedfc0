/*
 * net.c - the TCP side of usslcat: name lookup, connecting with a time
 * limit, listening (with --port-file), accepting, and a monotonic clock.
 */
#define _GNU_SOURCE	/* accept4, SOCK_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "usslcat.h"

long long cat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cat_ms_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - cat_now_ms();
	return left > 0 ? (int)left : 0;
}

static int set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Connect one address without blocking past the deadline.  Returns 0,
   or -1 with errno (ETIMEDOUT when the deadline passed). */
static int connect_one(int fd, const struct addrinfo *ai, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int err = 0, r;
	socklen_t len = sizeof(err);

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	do {
		r = poll(&p, 1, cat_ms_left(deadline));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

int cat_connect(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	long long deadline = timeout_ms < 0 ? -1 : cat_now_ms() + timeout_ms;
	int fd = -1, err = 0, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "usslcat: %s port %s: %s\n", host, port,
		    gai_strerror(rc));
		return -CAT_EXIT_NET;
	}
	/* Try each address in turn (IPv6 and IPv4), as the resolver
	   ordered them; keep the last error for the message. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (set_nonblocking(fd) == 0 &&
		    connect_one(fd, ai, deadline) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
		if (err == ETIMEDOUT && cat_ms_left(deadline) == 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "usslcat: connect to %s port %s: %s\n", host,
		    port, strerror(err));
		return err == ETIMEDOUT ? -CAT_EXIT_TIMEOUT : -CAT_EXIT_NET;
	}
	return fd;
}

int cat_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char serv[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, NULL, 0, serv,
	    sizeof(serv), NI_NUMERICSERV) != 0)
		return -1;
	return atoi(serv);
}

/* Write the bound port to path through a temporary file and rename(),
   so that a reader polling for the file never sees half of it. */
int cat_write_port_file(const char *path, int fd)
{
	char tmp[4096];
	int port = cat_bound_port(fd), ok;
	FILE *f;

	if (port < 0) {
		errno = EINVAL;
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	ok = fprintf(f, "%d\n", port) > 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int cat_listen(const char *host, const char *port, const char *port_file)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err = 0, rc, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "usslcat: %s port %s: %s\n", host, port,
		    gai_strerror(rc));
		return -CAT_EXIT_NET;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* A restarted server must not wait for TIME_WAIT sockets. */
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 8) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "usslcat: listen on %s port %s: %s\n", host,
		    port, strerror(err));
		return -CAT_EXIT_NET;
	}
	return cat_publish_port(fd, port_file);
}

int cat_publish_port(int fd, const char *port_file)
{
	if (port_file != NULL && cat_write_port_file(port_file, fd) < 0) {
		fprintf(stderr, "usslcat: --port-file %s: %s\n", port_file,
		    strerror(errno));
		close(fd);
		return -CAT_EXIT_CONFIG;
	}
	return fd;
}

int cat_accept(int lfd)
{
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		/* A client that gave up before we accepted is not our
		   failure: wait for the next one. */
		if (errno != EINTR && errno != ECONNABORTED) {
			fprintf(stderr, "usslcat: accept: %s\n",
			    strerror(errno));
			return -CAT_EXIT_NET;
		}
	}
	if (set_nonblocking(fd) < 0) {
		fprintf(stderr, "usslcat: accept: %s\n", strerror(errno));
		close(fd);
		return -CAT_EXIT_NET;
	}
	return fd;
}

void cat_peer_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(buf, size, "%s port %s", host, serv);
	else
		snprintf(buf, size, "(unknown address)");
}
