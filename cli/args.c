/*
 * args.c - command line of usslcat: getopt_long parsing, checks of
 * option combinations, --help and --version.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usslcat.h"

static const char help_text[] =
"Usage: usslcat [options] HOST PORT          connect, then copy stdin/stdout\n"
"       usslcat --listen [options] [HOST] PORT  accept one connection\n"
"\n"
"A TLS pipe like 'ncat --ssl' or 'openssl s_client', built on ussl.\n"
"Data read from stdin is sent over TLS and data received is written to\n"
"stdout.  At the end of stdin usslcat sends close_notify and keeps\n"
"printing what the peer sends until the peer's close_notify arrives.\n"
"\n"
"Role:\n"
"  -l, --listen, --server-side  act as the TLS server: bind HOST (default\n"
"                         127.0.0.1) and PORT (0 = any free port), accept\n"
"                         one connection\n"
"  -k, --keep-open        with --listen: accept connections one after the\n"
"                         other until killed\n"
"      --port-file FILE   with --listen: write the bound port to FILE\n"
"      --echo             send back what the peer sends (instead of stdin),\n"
"                         then close after the peer closes\n"
"      --strict-close     after our close_notify, still require the peer's:\n"
"                         a peer that then just closes TCP (as web servers\n"
"                         do) is reported as a truncation (exit 6)\n"
"      --dtls             DTLS 1.2 over UDP (listening: serve the first\n"
"                         client that sends; records of at most 1024 bytes\n"
"                         of input each)\n"
"\n"
"Certificates (PEM or DER):\n"
"      --certfile FILE    own certificate chain, leaf first (a server needs\n"
"                         one; it may also hold the key)\n"
"      --keyfile FILE     private key for --certfile\n"
"      --ca-certs FILE    trusted CA certificates for checking the peer\n"
"                         (client default: " CAT_DEFAULT_CA_FILE ")\n"
"      --cert-reqs none|optional|required\n"
"                         peer certificate checking.  Secure defaults:\n"
"                         a client requires a valid chain and a matching\n"
"                         host name; a server asks for no client\n"
"                         certificate (optional: asked, checked if sent;\n"
"                         required: must be sent and valid)\n"
"      --server-hostname NAME  name the server certificate must match and\n"
"                         SNI to send (client default: HOST)\n"
"      --insecure         same as --cert-reqs none: accept ANY server\n"
"                         certificate (only for tests)\n"
"\n"
"Protocol:\n"
"      --min-version 1.2|1.3, --max-version 1.2|1.3\n"
"                         limit the TLS versions (default: 1.2 to the\n"
"                         highest supported)\n"
"      --alpn LIST        ALPN protocols to offer/accept, comma-separated\n"
"      --psk-identity ID --psk HEXKEY\n"
"                         pre-shared key (up to 48 bytes, in hex): a\n"
"                         client sends ID; a server accepts ID with that\n"
"                         key.  Only PSK handshakes are made then (no\n"
"                         certificates needed or used)\n"
"\n"
"Other:\n"
"      --timeout SECONDS  limit for connecting, for the handshake and for\n"
"                         any period without traffic (default: none)\n"
"  -q, --quiet            no handshake summary on stderr\n"
"  -h, --help             this text\n"
"  -V, --version          version of usslcat and of its TLS engine\n"
"\n"
"Exit status:\n"
"  0  success: data copied and both sides sent close_notify\n"
"  1  usage error\n"
"  2  configuration error (bad certificate, key or CA file)\n"
"  3  network error (name lookup, connect, bind, accept)\n"
"  4  TLS handshake failure other than certificate verification\n"
"     (includes an alert from a peer that rejected our certificate)\n"
"  5  certificate verification failure (the peer's certificate)\n"
"  6  error after the handshake: connection truncated (no close_notify),\n"
"     I/O error, stdin/stdout error\n"
"  7  timeout\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("usslcat: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'usslcat --help' for more information.\n", stderr);
	return CAT_EXIT_USAGE;
}

/* "none" / "optional" / "required" -> USSL_VERIFY_*, else -1. */
static int parse_cert_reqs(const char *s)
{
	if (strcmp(s, "none") == 0)
		return USSL_VERIFY_NONE;
	if (strcmp(s, "optional") == 0)
		return USSL_VERIFY_OPTIONAL;
	if (strcmp(s, "required") == 0)
		return USSL_VERIFY_REQUIRED;
	return -1;
}

static int parse_version(const char *s)
{
	if (strcmp(s, "1.2") == 0)
		return USSL_TLS1_2;
	if (strcmp(s, "1.3") == 0)
		return USSL_TLS1_3;
	return -1;
}

/* Seconds (fractions allowed) -> milliseconds; -1 if invalid.  The upper
   bound keeps the value inside poll()'s int. */
static int parse_timeout(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	int ms;

	if (end == s || *end != '\0' || !(v > 0.0) || v > 2000000.0)
		return -1;
	ms = (int)(v * 1000.0 + 0.5);
	return ms > 0 ? ms : 1;	/* 0.0001 s still means "a limit" */
}

enum {
	OPT_KEYFILE = 256, OPT_CERTFILE, OPT_CA_CERTS, OPT_CERT_REQS,
	OPT_SERVER_HOSTNAME, OPT_INSECURE, OPT_TIMEOUT, OPT_PORT_FILE,
	OPT_ECHO, OPT_MIN_VERSION, OPT_MAX_VERSION, OPT_ALPN, OPT_STRICT_CLOSE,
	OPT_PSK_IDENTITY, OPT_PSK,
	OPT_DTLS
};

static const struct option long_opts[] = {
	{"listen", no_argument, NULL, 'l'},
	{"server-side", no_argument, NULL, 'l'},
	{"keep-open", no_argument, NULL, 'k'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"keyfile", required_argument, NULL, OPT_KEYFILE},
	{"certfile", required_argument, NULL, OPT_CERTFILE},
	{"ca-certs", required_argument, NULL, OPT_CA_CERTS},
	{"cert-reqs", required_argument, NULL, OPT_CERT_REQS},
	{"server-hostname", required_argument, NULL, OPT_SERVER_HOSTNAME},
	{"insecure", no_argument, NULL, OPT_INSECURE},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"port-file", required_argument, NULL, OPT_PORT_FILE},
	{"echo", no_argument, NULL, OPT_ECHO},
	{"strict-close", no_argument, NULL, OPT_STRICT_CLOSE},
	{"min-version", required_argument, NULL, OPT_MIN_VERSION},
	{"max-version", required_argument, NULL, OPT_MAX_VERSION},
	{"alpn", required_argument, NULL, OPT_ALPN},
	{"psk-identity", required_argument, NULL, OPT_PSK_IDENTITY},
	{"psk", required_argument, NULL, OPT_PSK},
	{"dtls", no_argument, NULL, OPT_DTLS},
	{NULL, 0, NULL, 0}
};

int cat_parse_args(int argc, char **argv, struct cat_opts *o)
{
	int c, insecure = 0, npos;

	memset(o, 0, sizeof(*o));
	o->cert_reqs = -1;
	o->timeout_ms = -1;
	opterr = 0;	/* our own messages, in our own format */

	while ((c = getopt_long(argc, argv, "lkqhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'l': o->server = 1; break;
		case 'k': o->keep_open = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h':
			fputs(help_text, stdout);
			return CAT_EXIT_OK;
		case 'V':
			printf("usslcat %s (%s)\n", USSL_VERSION_STRING,
			    ussl_engine_version());
			return CAT_EXIT_OK;
		case OPT_KEYFILE: o->keyfile = optarg; break;
		case OPT_CERTFILE: o->certfile = optarg; break;
		case OPT_CA_CERTS: o->ca_certs = optarg; break;
		case OPT_CERT_REQS:
			o->cert_reqs = parse_cert_reqs(optarg);
			if (o->cert_reqs < 0)
				return usage_error("--cert-reqs: '%s' is not "
				    "none, optional or required", optarg);
			break;
		case OPT_SERVER_HOSTNAME: o->server_hostname = optarg; break;
		case OPT_INSECURE: insecure = 1; break;
		case OPT_TIMEOUT:
			o->timeout_ms = parse_timeout(optarg);
			if (o->timeout_ms < 0)
				return usage_error("--timeout: '%s' is not a "
				    "positive number of seconds", optarg);
			break;
		case OPT_PORT_FILE: o->port_file = optarg; break;
		case OPT_ECHO: o->echo = 1; break;
		case OPT_STRICT_CLOSE: o->strict_close = 1; break;
		case OPT_DTLS: o->dtls = 1; break;
		case OPT_MIN_VERSION:
		case OPT_MAX_VERSION: {
			int v = parse_version(optarg);

			if (v < 0)
				return usage_error("TLS version '%s' is not "
				    "1.2 or 1.3", optarg);
			if (c == OPT_MIN_VERSION)
				o->min_version = v;
			else
				o->max_version = v;
			break;
		}
		case OPT_ALPN: o->alpn = optarg; break;
		case OPT_PSK_IDENTITY: o->psk_identity = optarg; break;
		case OPT_PSK: o->psk_hex = optarg; break;
		case '?':
		default:
			if (optopt > 0 && optopt < 256) {
				char s[3] = {'-', (char)optopt, '\0'};

				return usage_error("unknown option or missing "
				    "argument: %s", s);
			}
			return usage_error("unknown option or missing "
			    "argument: %s", argv[optind - 1]);
		}
	}

	/* --insecure is a spelling of "none"; refuse a contradiction rather
	   than guess which of the two the user meant. */
	if (insecure) {
		if (o->cert_reqs > USSL_VERIFY_NONE)
			return usage_error("%s", "--insecure contradicts "
			    "--cert-reqs");
		o->cert_reqs = USSL_VERIFY_NONE;
	}

	npos = argc - optind;
	if (o->server) {
		if (npos == 1) {
			o->host = "127.0.0.1";
			o->port = argv[optind];
		} else if (npos == 2) {
			o->host = argv[optind];
			o->port = argv[optind + 1];
		} else {
			return usage_error("%s", "--listen takes [HOST] PORT");
		}
		if (o->certfile == NULL && o->psk_identity == NULL)
			return usage_error("%s", "a server needs --certfile "
			    "(and --keyfile unless the key is in it)");
		if (o->server_hostname != NULL)
			return usage_error("%s", "--server-hostname is for "
			    "clients");
		if (o->cert_reqs > USSL_VERIFY_NONE && o->ca_certs == NULL)
			return usage_error("%s", "checking client certificates "
			    "needs --ca-certs");
	} else {
		if (npos != 2)
			return usage_error("%s", "expected HOST PORT (or "
			    "--listen [HOST] PORT)");
		o->host = argv[optind];
		o->port = argv[optind + 1];
		if (o->keep_open)
			return usage_error("%s", "--keep-open needs --listen");
		if (o->port_file != NULL)
			return usage_error("%s", "--port-file needs --listen");
		if (o->server_hostname == NULL)
			o->server_hostname = o->host;
	}
	if ((o->psk_identity == NULL) != (o->psk_hex == NULL))
		return usage_error("%s", "--psk-identity and --psk go together");
	if (o->dtls && o->keep_open)
		return usage_error("%s", "--keep-open is not for --dtls");
	if (o->keyfile != NULL && o->certfile == NULL)
		return usage_error("%s", "--keyfile needs --certfile");
	if (o->min_version && o->max_version &&
	    o->min_version > o->max_version)
		return usage_error("%s", "--min-version is above "
		    "--max-version");
	return -1;
}
