/*
 * usslcat.h - internal interface between the files of the usslcat tool
 * (option parsing, sockets, the data pump, main).  Not installed.
 */
#ifndef USSLCAT_H
#define USSLCAT_H

#include <stddef.h>

#include "ussl.h"

/* Exit codes; documented in --help and docs/usslcat.md. */
enum cat_exit {
	CAT_EXIT_OK = 0,
	CAT_EXIT_USAGE = 1,
	CAT_EXIT_CONFIG = 2,
	CAT_EXIT_NET = 3,
	CAT_EXIT_HANDSHAKE = 4,
	CAT_EXIT_VERIFY = 5,
	CAT_EXIT_IO = 6,
	CAT_EXIT_TIMEOUT = 7
};

/* Where client verification looks for trust anchors when --ca-certs is
   not given (the Debian/Ubuntu bundle; override at build time). */
#ifndef CAT_DEFAULT_CA_FILE
#define CAT_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#endif

struct cat_opts {
	int server;                 /* --listen / --server-side */
	const char *host;           /* connect to / bind to */
	const char *port;
	const char *keyfile;
	const char *certfile;
	const char *ca_certs;
	const char *server_hostname;
	const char *port_file;
	const char *alpn;           /* comma-separated list, or NULL */
	int cert_reqs;              /* USSL_VERIFY_*, or -1: role default */
	int min_version, max_version; /* USSL_TLS1_x or 0 */
	int timeout_ms;             /* -1: none */
	int quiet;
	int echo;
	int keep_open;
	int strict_close;           /* --strict-close */
	const char *psk_identity;   /* --psk-identity, NULL: no PSK */
	char *psk_hex;              /* --psk (wiped once used) */
	int dtls;                   /* --dtls: DTLS 1.2 over UDP */
};

/* args.c: fill *o from argv.  Returns -1 to go on, or an exit code
   (0 after --help/--version, CAT_EXIT_USAGE after a message). */
int cat_parse_args(int argc, char **argv, struct cat_opts *o);

/* net.c: these return a file descriptor (the connected ones are
   non-blocking), or minus an exit code after printing a message. */
int cat_connect(const char *host, const char *port, int timeout_ms);
int cat_listen(const char *host, const char *port, const char *port_file);
int cat_accept(int lfd);
/* Write the bound port of fd to path. */
int cat_write_port_file(const char *path, int fd);
/* Write fd's port to port_file (when not NULL): fd, or -CAT_EXIT_CONFIG
   with fd closed and the reason printed. */
int cat_publish_port(int fd, const char *port_file);
/* dgram.c (--dtls): a connected UDP socket; a bound one; that one
   connected to the first client that sends (its datagram stays queued).
   fd, or -exit code. */
int cat_dgram_connect(const char *host, const char *port);
int cat_dgram_listen(const char *host, const char *port,
    const char *port_file);
int cat_dgram_accept(int fd);

/* Port number a socket is bound to, or -1. */
int cat_bound_port(int fd);

/* "ADDRESS port N" of the peer of a connected socket, for messages. */
void cat_peer_name(int fd, char *buf, size_t size);

/* Milliseconds on a monotonic clock, and the time left until deadline
   (a deadline of -1 means none and gives -1). */
long long cat_now_ms(void);
int cat_ms_left(long long deadline);

/* pump.c: move data between stdin/stdout (or back to the peer with echo)
   and an established connection on the non-blocking socket fd, close
   cleanly, and return an exit code. */
int cat_pump(ussl_conn *conn, int fd, const struct cat_opts *o);

/* psk.c: give ctx the PSK of --psk-identity/--psk; an exit code. */
int cat_psk_apply(ussl_ctx *ctx, const struct cat_opts *o);
/* psk.c: the PSK identity line of the handshake summary; 1 after a PSK
   handshake (no certificate to speak of), else 0. */
int cat_psk_summary(const ussl_conn *conn);

/* usslcat.c: print "usslcat: what: <connection error>" and return the
   exit code for an error seen after the handshake (6, or 7 on timeout). */
int cat_conn_fail(const ussl_conn *conn, const char *what);

#endif /* USSLCAT_H */
