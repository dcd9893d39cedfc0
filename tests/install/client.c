/*
 * client.c - a small program built against an installed ussl (see
 * test_install.sh): connects to HOST PORT over TCP, verifies the server
 * with the CA file against NAME, sends a line and prints what comes back.
 * Exit 0 on a verified, complete exchange.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ussl.h>

static int dial(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static int fail(const char *what, const ussl_error *e)
{
	fprintf(stderr, "client: %s: %s (%s)\n", what, e->msg,
	    ussl_strerror(e->code));
	return 1;
}

int main(int argc, char **argv)
{
	static const char line[] = "hello over an installed ussl\n";
	char buf[256];
	ussl_ctx *ctx;
	ussl_conn *conn;
	ussl_error err;
	size_t got = 0;
	long n;
	int fd, rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: client HOST PORT NAME CAFILE\n");
		return 2;
	}
	printf("engine: %s\n", ussl_engine_version());
	if ((ctx = ussl_ctx_new(USSL_CLIENT)) == NULL)
		return 1;
	if (ussl_ctx_add_ca_file(ctx, argv[4]) != USSL_OK)
		return fail("CA file", ussl_ctx_error(ctx));
	if ((conn = ussl_conn_new(ctx, argv[3], &err)) == NULL)
		return fail("connection", &err);
	if ((fd = dial(argv[1], argv[2])) < 0) {
		perror("client: connect");
		return 1;
	}
	ussl_conn_set_fd(conn, fd);
	if (ussl_handshake(conn) != USSL_OK) {
		fail("handshake", ussl_conn_error(conn));
		goto out;
	}
	if (ussl_write(conn, line, sizeof(line) - 1) != (long)sizeof(line) - 1) {
		fail("write", ussl_conn_error(conn));
		goto out;
	}
	while (got < sizeof(line) - 1 &&
	    (n = ussl_read(conn, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	printf("%s %s verified=%d echo=%s", ussl_conn_version(conn),
	    ussl_conn_cipher(conn), ussl_conn_peer_verified(conn), buf);
	if (got == sizeof(line) - 1 && memcmp(buf, line, got) == 0 &&
	    ussl_conn_peer_verified(conn))
		rc = 0;
	else
		fprintf(stderr, "client: wrong echo or not verified\n");
	(void)ussl_close(conn);
out:
	ussl_conn_free(conn);
	ussl_ctx_free(ctx);
	close(fd);
	return rc;
}
