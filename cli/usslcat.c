/*
 * usslcat.c - a TLS pipe on the public ussl API, in the spirit of
 * 'ncat --ssl' and 'openssl s_client': build the context from the
 * options, connect or accept, run the handshake with a time limit, print
 * what was negotiated, then hand over to the data pump (pump.c).
 * Every failure becomes one line on stderr and an exit code (usslcat.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usslcat.h"

#define MAX_ALPN 16

/* "usslcat: what: message" for a library error.  The errno text is
   added when the error carries an errno that the message does not name
   (a transport or file failure). */
static void print_error(const char *what, const ussl_error *e,
    const char *hint)
{
	const char *why = e->sys_errno > 0 ? strerror(e->sys_errno) : NULL;

	if (why != NULL && strstr(e->msg, why) == NULL)
		fprintf(stderr, "usslcat: %s: %s: %s%s\n", what, e->msg, why,
		    hint);
	else
		fprintf(stderr, "usslcat: %s: %s%s\n", what, e->msg, hint);
}

int cat_conn_fail(const ussl_conn *conn, const char *what)
{
	const ussl_error *e = ussl_conn_error(conn);

	print_error(what, e, "");
	return e->code == USSL_E_TIMEOUT ? CAT_EXIT_TIMEOUT : CAT_EXIT_IO;
}

static int ctx_fail(const ussl_ctx *ctx, const char *what, const char *hint)
{
	print_error(what, ussl_ctx_error(ctx), hint);
	return CAT_EXIT_CONFIG;
}

/* --alpn "a,b,c" -> ussl_ctx_set_alpn.  The list is split in a copy. */
static int set_alpn(ussl_ctx *ctx, const char *list)
{
	const char *protos[MAX_ALPN];
	char *copy = strdup(list), *tok, *save = NULL;
	size_t n = 0;
	int rc = CAT_EXIT_OK;

	if (copy == NULL) {
		fprintf(stderr, "usslcat: out of memory\n");
		return CAT_EXIT_CONFIG;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_ALPN) {
			fprintf(stderr, "usslcat: --alpn: more than %d "
			    "protocols\n", MAX_ALPN);
			rc = CAT_EXIT_USAGE;
			goto out;
		}
		protos[n++] = tok;
	}
	if (ussl_ctx_set_alpn(ctx, protos, n) != USSL_OK)
		rc = ctx_fail(ctx, "--alpn", "");
out:
	free(copy);
	return rc;
}

/* Build the context from the options.  Returns an exit code. */
static int make_ctx(const struct cat_opts *o, ussl_ctx **out)
{
	ussl_ctx *ctx = ussl_ctx_new((o->server ? USSL_SERVER : USSL_CLIENT) |
	    (o->dtls ? USSL_DTLS : 0));
	const char *ca = o->ca_certs, *ca_what = "--ca-certs", *ca_hint = "";
	int rc = CAT_EXIT_OK;

	if (ctx == NULL) {
		fprintf(stderr, "usslcat: out of memory\n");
		return CAT_EXIT_CONFIG;
	}
	if (o->cert_reqs >= 0 &&
	    ussl_ctx_set_verify(ctx, o->cert_reqs) != USSL_OK) {
		rc = ctx_fail(ctx, "--cert-reqs", "");
		goto out;
	}
	if ((o->min_version || o->max_version) &&
	    ussl_ctx_set_versions(ctx, o->min_version, o->max_version) !=
	    USSL_OK) {
		rc = ctx_fail(ctx, "TLS versions", "");
		goto out;
	}
	if (o->certfile != NULL &&
	    ussl_ctx_use_cert_chain_file(ctx, o->certfile, o->keyfile,
	    NULL) != USSL_OK) {
		rc = ctx_fail(ctx, o->keyfile ? "--certfile/--keyfile" :
		    "--certfile", "");
		goto out;
	}
	/* A verifying client without --ca-certs trusts the system's CAs,
	   as openssl s_client and ncat do; never "no CA = trust all". */
	if (o->psk_identity != NULL &&
	    (rc = cat_psk_apply(ctx, o)) != CAT_EXIT_OK)
		goto out;
	if (ca == NULL && !o->server && o->psk_identity == NULL &&
	    ussl_ctx_verify(ctx) != USSL_VERIFY_NONE) {
		ca = CAT_DEFAULT_CA_FILE;
		ca_what = "system CA file";
		ca_hint = " (give --ca-certs FILE, or --insecure to skip "
		    "verification)";
	}
	if (ca != NULL && ussl_ctx_add_ca_file(ctx, ca) != USSL_OK) {
		rc = ctx_fail(ctx, ca_what, ca_hint);
		goto out;
	}
	if (o->alpn != NULL)
		rc = set_alpn(ctx, o->alpn);
out:
	if (rc != CAT_EXIT_OK) {
		ussl_ctx_free(ctx);
		ctx = NULL;
	}
	*out = ctx;
	return rc;
}

/* Exit code for a failed handshake, by the library's error code. */
static int handshake_exit(int code)
{
	switch (code) {
	case USSL_E_VERIFY:
		return CAT_EXIT_VERIFY;
	case USSL_E_TIMEOUT:
		return CAT_EXIT_TIMEOUT;
	case USSL_E_IO:
		return CAT_EXIT_NET;
	case USSL_E_BADARG:
	case USSL_E_BADKEY:
	case USSL_E_BADCERT:
	case USSL_E_CONFIG:
	case USSL_E_NOFILE:
		return CAT_EXIT_CONFIG;
	default:
		return CAT_EXIT_HANDSHAKE;
	}
}

/* Run the handshake on the non-blocking fd, waiting with poll() in the
   direction the library names, for at most --timeout. */
static int handshake(ussl_conn *conn, int fd, const struct cat_opts *o,
    const char *peer)
{
	long long deadline = o->timeout_ms < 0 ? -1 :
	    cat_now_ms() + o->timeout_ms;
	const ussl_error *e;
	char what[1300];

	for (;;) {
		int r = ussl_handshake(conn), w, left, timer;

		if (r == USSL_OK)
			return CAT_EXIT_OK;
		/* DTLS server: a cookie went to the client; it comes back. */
		if (r == USSL_ERROR &&
		    ussl_conn_error(conn)->code == USSL_E_HELLO_VERIFY)
			r = USSL_WANT_READ;
		if (r != USSL_WANT_READ && r != USSL_WANT_WRITE)
			break;
		/* A DTLS retransmission timer firing first: call again. */
		left = cat_ms_left(deadline);
		timer = ussl_conn_timeout_ms(conn);
		if (timer >= 0 && (left < 0 || timer < left)) {
			w = ussl_fd_wait(fd, r, timer);
			if (w == 0)
				continue;
		} else {
			w = ussl_fd_wait(fd, r, left);
		}
		if (w == 0) {
			ussl_conn_set_timeout_error(conn);
			break;
		}
		if (w < 0 && errno != EINTR) {
			fprintf(stderr, "usslcat: poll: %s\n",
			    strerror(errno));
			return CAT_EXIT_NET;
		}
	}
	e = ussl_conn_error(conn);
	snprintf(what, sizeof(what), "handshake with %s", peer);
	print_error(what, e, "");
	return handshake_exit(e->code);
}

static const char *verify_result(const ussl_ctx *ctx, const ussl_conn *conn,
    int have_cert)
{
	int mode = ussl_ctx_verify(ctx);

	if (mode == USSL_VERIFY_NONE)
		return "not verified (cert-reqs none)";
	if (ussl_conn_peer_verified(conn))
		return ussl_conn_role(conn) == USSL_CLIENT ?
		    "verified (trusted chain, host name matches)" :
		    "verified (trusted chain)";
	if (!have_cert)
		return "no certificate sent (cert-reqs optional)";
	return "NOT verified";	/* the library should have failed */
}

/* What was negotiated, on stderr (the data stream is stdout). */
static void print_summary(const ussl_ctx *ctx, const ussl_conn *conn)
{
	const unsigned char *der;
	size_t len;
	char name[1024];
	const char *alpn = ussl_conn_alpn(conn);
	const char *version = ussl_conn_version(conn);
	const char *cipher = ussl_conn_cipher(conn);
	int have_cert = ussl_conn_peer_cert(conn, &der, &len) == 0;

	fprintf(stderr, "usslcat: protocol: %s\n", version ? version : "?");
	fprintf(stderr, "usslcat: cipher: %s (%d bits)\n",
	    cipher ? cipher : "?", ussl_conn_cipher_bits(conn));
	if (alpn != NULL)
		fprintf(stderr, "usslcat: alpn: %s\n", alpn);
	if (have_cert) {
		if (ussl_cert_subject(der, len, name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "(unreadable)");
		fprintf(stderr, "usslcat: peer subject: %s\n", name);
		if (ussl_cert_issuer(der, len, name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "(unreadable)");
		fprintf(stderr, "usslcat: peer issuer: %s\n", name);
	} else {
		fprintf(stderr, "usslcat: peer certificate: none\n");
	}
	if (cat_psk_summary(conn))
		fprintf(stderr, "usslcat: verification: by the pre-shared "
		    "key\n");
	else
		fprintf(stderr, "usslcat: verification: %s\n",
		    verify_result(ctx, conn, have_cert));
}

/* One connection on fd (connected, non-blocking): handshake, summary,
   data.  Returns an exit code; fd stays open. */
static int serve(ussl_ctx *ctx, int fd, const struct cat_opts *o)
{
	ussl_error err;
	ussl_conn *conn;
	char peer[1200];
	int rc;

	cat_peer_name(fd, peer, sizeof(peer));
	if (!o->quiet)
		fprintf(stderr, "usslcat: %s %s\n", o->server ?
		    "connection from" : "connected to", peer);
	conn = ussl_conn_new(ctx, o->server ? NULL : o->server_hostname,
	    &err);
	if (conn == NULL) {
		fprintf(stderr, "usslcat: new connection: %s\n", err.msg);
		return err.code == USSL_E_NOMEM ? CAT_EXIT_HANDSHAKE :
		    CAT_EXIT_CONFIG;
	}
	ussl_conn_set_fd(conn, fd);
	rc = handshake(conn, fd, o, peer);
	if (rc == CAT_EXIT_OK) {
		if (!o->quiet)
			print_summary(ctx, conn);
		rc = cat_pump(conn, fd, o);
	}
	ussl_conn_free(conn);
	return rc;
}

/* If we were started with fd 0, 1 or 2 closed, a socket could get that
   number and receive our stdout or stderr; park /dev/null there. */
static void open_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) < 0)
			exit(CAT_EXIT_IO);
}

int main(int argc, char **argv)
{
	struct cat_opts o;
	ussl_ctx *ctx = NULL;
	int rc, fd, lfd = -1;

	open_std_fds();
	/* Writes to a closed stdout or socket must be errors, not death. */
	signal(SIGPIPE, SIG_IGN);

	rc = cat_parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	rc = make_ctx(&o, &ctx);
	if (rc != CAT_EXIT_OK)
		return rc;

	if (!o.server) {
		fd = o.dtls ? cat_dgram_connect(o.host, o.port) :
		    cat_connect(o.host, o.port, o.timeout_ms);
		if (fd < 0) {
			rc = -fd;
			goto out;
		}
		rc = serve(ctx, fd, &o);
		close(fd);
		goto out;
	}

	lfd = o.dtls ? cat_dgram_listen(o.host, o.port, o.port_file) :
	    cat_listen(o.host, o.port, o.port_file);
	if (lfd < 0) {
		rc = -lfd;
		goto out;
	}
	if (!o.quiet)	/* the bound port: PORT may have been 0 */
		fprintf(stderr, "usslcat: listening on %s port %d\n", o.host,
		    cat_bound_port(lfd));
	do {
		if (o.dtls) {
			/* The bound socket itself serves the one client. */
			fd = cat_dgram_accept(lfd);
			if (fd < 0)
				close(lfd);
			lfd = -1;
		} else {
			fd = cat_accept(lfd);
		}
		if (fd < 0) {
			rc = -fd;
			break;
		}
		/* Without --keep-open, later clients are refused at once
		   instead of waiting in the backlog for nobody. */
		if (!o.keep_open && lfd >= 0) {
			close(lfd);
			lfd = -1;
		}
		rc = serve(ctx, fd, &o);
		close(fd);
	} while (o.keep_open);
out:
	if (lfd >= 0)
		close(lfd);
	ussl_ctx_free(ctx);
	return rc;
}
