/*
 * benchutil.c - the shared half of the C benchmark programs: command
 * line, forked loopback client/server, the hs/bulk/heap tests, JSON
 * lines, and a malloc wrapper counting live heap bytes.  The TLS stack
 * comes in through a bu_ops table (benchutil.h); the contract the
 * programs keep is in the header of benchutil.h and in `--help`.
 */
#define _GNU_SOURCE	/* prctl, __libc_* allocator entry points */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "benchutil.h"

static const char *prog = "bench";

/* ---------------------------------------------------------------------- */
/* Malloc wrapper                                                          */

/*
 * These definitions in the executable take the place of glibc's for the
 * whole process, shared libraries included (glibc supports replacing its
 * allocator this way).  They forward to glibc's own entry points, so
 * nothing here allocates, locks or prints: stdio or a backtrace inside
 * the TLS stack cannot recurse into us.  The processes are single
 * threaded, hence plain counters.  malloc_usable_size() is what a block
 * really holds, so frees subtract exactly what allocations added.
 */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static long heap_live, heap_peak, heap_base;

static void *counted(void *p)
{
	if (p != NULL) {
		heap_live += (long)malloc_usable_size(p);
		if (heap_live > heap_peak)
			heap_peak = heap_live;
	}
	return p;
}

void *malloc(size_t size)
{
	return counted(__libc_malloc(size));
}

void *calloc(size_t n, size_t size)
{
	return counted(__libc_calloc(n, size));
}

void free(void *p)
{
	if (p != NULL)
		heap_live -= (long)malloc_usable_size(p);
	__libc_free(p);
}

void *realloc(void *p, size_t size)
{
	long old = p != NULL ? (long)malloc_usable_size(p) : 0;
	void *q = __libc_realloc(p, size);

	/* glibc: realloc(p, 0) frees p and returns NULL; a failure leaves
	   p as it was. */
	if (q != NULL) {
		heap_live -= old;
		counted(q);
	} else if (size == 0) {
		heap_live -= old;
	}
	return q;
}

void *memalign(size_t align, size_t size)
{
	return counted(__libc_memalign(align, size));
}

void *aligned_alloc(size_t align, size_t size)
{
	return counted(__libc_memalign(align, size));
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	p = counted(__libc_memalign(align, size));
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return counted(__libc_valloc(size));
}

void *pvalloc(size_t size)
{
	return counted(__libc_pvalloc(size));
}

void bu_heap_mark(void)
{
	heap_base = heap_live;
	heap_peak = heap_live;
}

long bu_heap_peak(void)
{
	return heap_peak - heap_base;
}

long bu_heap_live(void)
{
	return heap_live - heap_base;
}

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */

void bu_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

double bu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *bu_engine_name(const char *text)
{
	static char buf[64];
	const char *v = text;
	size_t n;

	/* The version is the first word that starts with a digit. */
	while (*v != '\0' && !(*v >= '0' && *v <= '9' &&
	    (v == text || v[-1] == ' ')))
		v++;
	n = strcspn(v, " ");
	if (n > 40)
		n = 40;
	snprintf(buf, sizeof(buf), "%s %.*s",
	    strstr(text, "OpenSSL") != NULL ? "OpenSSL" : "mbedTLS", (int)n, v);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Command line                                                            */

static void usage(void)
{
	fprintf(stderr,
"usage: %s --certs DIR --test hs|bulk|heap [--key ecdsa|rsa] [--tls 12|13]\n"
"       [--resume] [--suite aes128gcm|chacha20] [--seconds S] [--mbytes N]\n"
"  hs    sequential handshakes for S seconds (default 2), 1 byte each way,\n"
"        close_notify both ways; --resume: every connection after the first\n"
"        resumes the previous session (checked)\n"
"  bulk  one connection, N MiB (default 64) client->server, then server->client,\n"
"        16 KiB writes; ECDSA key; --tls default 12\n"
"  heap  live heap bytes per process: handshake peak and steady state\n"
"One JSON object per line on stdout; exit 0, or 1 with a message on stderr.\n",
	    prog);
	exit(2);
}

static const char *need(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		usage();
	return argv[++*i];
}

static void join(char *dst, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(dst, size, "%s/%s", dir, name) >= size)
		bu_die("certificate path too long");
}

void bu_parse(int argc, char **argv, bu_opts *o)
{
	const char *test = NULL, *key = "ecdsa", *suite = "aes128gcm", *a;
	char *end;
	int i;

	if (argc > 0 && argv[0] != NULL) {
		prog = strrchr(argv[0], '/');
		prog = prog != NULL ? prog + 1 : argv[0];
	}
	memset(o, 0, sizeof(*o));
	o->tls = 12;
	o->seconds = 2.0;
	o->mbytes = 64;
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--certs") == 0) {
			o->certs = need(argc, argv, &i);
		} else if (strcmp(a, "--test") == 0) {
			test = need(argc, argv, &i);
		} else if (strcmp(a, "--key") == 0) {
			key = need(argc, argv, &i);
		} else if (strcmp(a, "--tls") == 0) {
			a = need(argc, argv, &i);
			if (strcmp(a, "12") != 0 && strcmp(a, "13") != 0)
				usage();
			o->tls = atoi(a);
		} else if (strcmp(a, "--resume") == 0) {
			o->resume = 1;
		} else if (strcmp(a, "--suite") == 0) {
			suite = need(argc, argv, &i);
		} else if (strcmp(a, "--seconds") == 0) {
			o->seconds = strtod(need(argc, argv, &i), &end);
			if (*end != '\0' || !(o->seconds > 0 &&
			    o->seconds < 86400))
				usage();
		} else if (strcmp(a, "--mbytes") == 0) {
			o->mbytes = strtol(need(argc, argv, &i), &end, 10);
			if (*end != '\0' || o->mbytes <= 0 || o->mbytes > 65536)
				usage();
		} else {
			usage();
		}
	}
	if (o->certs == NULL || test == NULL)
		usage();
	if (strcmp(test, "hs") == 0)
		o->test = BU_HS;
	else if (strcmp(test, "bulk") == 0)
		o->test = BU_BULK;
	else if (strcmp(test, "heap") == 0)
		o->test = BU_HEAP;
	else
		usage();
	if (strcmp(key, "ecdsa") != 0 && strcmp(key, "rsa") != 0)
		usage();
	if (strcmp(suite, "aes128gcm") != 0 && strcmp(suite, "chacha20") != 0)
		usage();
	o->chacha = strcmp(suite, "chacha20") == 0;
	/* The bulk suites are ECDHE_ECDSA ones in TLS 1.2. */
	o->rsa = o->test != BU_BULK && strcmp(key, "rsa") == 0;
	join(o->ca, sizeof(o->ca), o->certs, "ca.pem");
	join(o->cert, sizeof(o->cert), o->certs,
	    o->rsa ? "server-rsa.pem" : "server-ec-chain.pem");
	join(o->key, sizeof(o->key), o->certs,
	    o->rsa ? "server-rsa.key" : "server-ec.key");
	if (o->test == BU_BULK) {
		if (o->tls == 13)
			o->suite = o->chacha ? "TLS_CHACHA20_POLY1305_SHA256" :
			    "TLS_AES_128_GCM_SHA256";
		else
			o->suite = o->chacha ?
			    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" :
			    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
	}
}

/* ---------------------------------------------------------------------- */
/* Processes and sockets                                                   */

static void on_alarm(int sig)
{
	static const char msg[] = "bench: time limit reached, giving up\n";
	ssize_t r;

	(void)sig;
	r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	_exit(1);
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		bu_die("TCP_NODELAY: %s", strerror(errno));
}

/* A listening socket on 127.0.0.1 and a port the kernel picked. */
static int listen_loopback(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		bu_die("listen on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(sa.sin_port);
	return fd;
}

static int accept_one(int lfd)
{
	int fd;

	do {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		bu_die("accept: %s", strerror(errno));
	nodelay(fd);
	return fd;
}

static int connect_to(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		bu_die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
	nodelay(fd);
	return fd;
}

/*
 * Collect the server.  kill_it: it serves until stopped (hs), so stop it
 * first -- unless it already ended, which is then judged like any exit.
 */
static void reap(pid_t pid, int kill_it)
{
	int st;
	pid_t r = kill_it ? waitpid(pid, &st, WNOHANG) : 0;

	if (r == 0) {
		if (kill_it)
			kill(pid, SIGTERM);
		do {
			r = waitpid(pid, &st, 0);
		} while (r < 0 && errno == EINTR);
	}
	if (r != pid)
		bu_die("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (kill_it && r != 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
		return;
	if (WIFEXITED(st))
		bu_die("server process failed (exit %d)", WEXITSTATUS(st));
	bu_die("server process killed by signal %d",
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* ---------------------------------------------------------------------- */
/* JSON output                                                             */

static void emit(const char *line)
{
	/* One write per line: the two processes share stdout. */
	fputs(line, stdout);
	fflush(stdout);
}

static void print_hs(const bu_ops *ops, const bu_opts *o, long n, double secs)
{
	char line[512];

	snprintf(line, sizeof(line),
	    "{\"impl\":\"%s\",\"engine\":\"%s\",\"test\":\"hs\",\"key\":\"%s\","
	    "\"tls\":\"%d\",\"resume\":%s,\"n\":%ld,\"secs\":%.3f,"
	    "\"value\":%.1f,\"unit\":\"hs/s\"}\n",
	    ops->impl, bu_engine_name(ops->engine()), o->rsa ? "rsa" : "ecdsa",
	    o->tls, o->resume ? "true" : "false", n, secs, n / secs);
	emit(line);
}

static void print_bulk(const bu_ops *ops, const bu_opts *o, const char *dir,
    double bytes, double secs)
{
	char line[512];

	snprintf(line, sizeof(line),
	    "{\"impl\":\"%s\",\"engine\":\"%s\",\"test\":\"bulk\","
	    "\"suite\":\"%s\",\"tls\":\"%d\",\"dir\":\"%s\",\"bytes\":%.0f,"
	    "\"secs\":%.4f,\"value\":%.1f,\"unit\":\"MB/s\"}\n",
	    ops->impl, bu_engine_name(ops->engine()),
	    o->chacha ? "chacha20" : "aes128gcm", o->tls, dir, bytes, secs,
	    bytes / secs / 1e6);
	emit(line);
}

static void print_heap(const bu_ops *ops, const bu_opts *o, const char *role,
    long peak, long steady)
{
	char line[512];

	snprintf(line, sizeof(line),
	    "{\"impl\":\"%s\",\"engine\":\"%s\",\"test\":\"heap\","
	    "\"role\":\"%s\",\"key\":\"%s\",\"tls\":\"%d\",\"hs_peak\":%ld,"
	    "\"steady\":%ld,\"unit\":\"bytes\",\"how\":\"malloc wrapper\"}\n",
	    ops->impl, bu_engine_name(ops->engine()), role,
	    o->rsa ? "rsa" : "ecdsa", o->tls, peak, steady);
	emit(line);
}

/* ---------------------------------------------------------------------- */
/* The tests                                                               */

/* Static, so that the heap test counts only what the TLS stack holds. */
static unsigned char chunk_out[BU_CHUNK], chunk_in[BU_CHUNK];

static void read_exact(const bu_ops *ops, void *conn, unsigned char *buf,
    size_t len)
{
	size_t got = 0, n;

	while (got < len) {
		n = ops->read(conn, buf + got, len - got);
		if (n == 0)
			bu_die("peer closed the connection %zu bytes early",
			    len - got);
		got += n;
	}
}

/* Read total bytes in chunks of up to BU_CHUNK (one record each). */
static void read_count(const bu_ops *ops, void *conn, double total)
{
	double got = 0;
	size_t n;

	while (got < total) {
		n = ops->read(conn, chunk_in, total - got < BU_CHUNK ?
		    (size_t)(total - got) : BU_CHUNK);
		if (n == 0)
			bu_die("peer closed the connection %.0f bytes early",
			    total - got);
		got += (double)n;
	}
}

static void write_count(const bu_ops *ops, void *conn, double total)
{
	double sent = 0;
	size_t n;

	while (sent < total) {
		n = total - sent < BU_CHUNK ? (size_t)(total - sent) : BU_CHUNK;
		ops->write_all(conn, chunk_out, n);
		sent += (double)n;
	}
}

/*
 * The heap test makes one connection before the one it measures: what a
 * stack sets up once per process on first use (OpenSSL's algorithm
 * fetches, PSA key slots) is then in the baseline, not in the figures.
 */
#define HEAP_CONNS 2

/* One connection's worth of serving, per test; print: the measured one. */
static void serve(const bu_ops *ops, const bu_opts *o, void *ctx, int fd,
    int print)
{
	double bytes = (double)o->mbytes * 1048576.0;
	unsigned char b;
	void *c;
	long peak;

	if (o->test == BU_HEAP)
		bu_heap_mark();
	c = ops->conn_new(ctx, fd);
	ops->handshake(c);
	switch (o->test) {
	case BU_HS:
		read_exact(ops, c, &b, 1);
		ops->write_all(c, &b, 1);
		break;
	case BU_BULK:
		read_count(ops, c, bytes);
		ops->write_all(c, "k", 1);
		write_count(ops, c, bytes);
		break;
	case BU_HEAP:
		peak = bu_heap_peak();
		ops->write_all(c, chunk_out, BU_CHUNK);
		read_exact(ops, c, chunk_in, BU_CHUNK);
		if (print)
			print_heap(ops, o, "server", peak, bu_heap_live());
		break;
	}
	ops->close(c);
	ops->conn_free(c);
}

static void server(const bu_ops *ops, const bu_opts *o, int lfd)
{
	void *ctx = ops->ctx_new(o, 1);
	int fd, i = 0, n = o->test == BU_HEAP ? HEAP_CONNS : 1;

	/* hs: until the client stops us. */
	while (o->test == BU_HS || i < n) {
		fd = accept_one(lfd);
		i++;
		serve(ops, o, ctx, fd, i == n);
		close(fd);
	}
	ops->ctx_free(ctx);
}

static void client_hs(const bu_ops *ops, const bu_opts *o, void *ctx,
    int port)
{
	double t0 = bu_now(), t;
	unsigned char b = 'h';
	long n = 0;
	void *c;
	int fd;

	do {
		fd = connect_to(port);
		c = ops->conn_new(ctx, fd);
		if (o->resume && n > 0)
			ops->offer_session(ctx, c);
		ops->handshake(c);
		/* The first check proves the second means something. */
		if (o->resume && n == 0 && ops->reused(c))
			bu_die("a full handshake reported as resumed");
		if (o->resume && n > 0 && !ops->reused(c))
			bu_die("connection %ld: the session was not resumed",
			    n + 1);
		ops->write_all(c, &b, 1);
		read_exact(ops, c, &b, 1);
		/* TLS 1.3: the ticket came before the reply, and is in. */
		if (o->resume)
			ops->save_session(ctx, c);
		ops->close(c);
		ops->conn_free(c);
		close(fd);
		n++;
		t = bu_now();
	} while (t - t0 < o->seconds);
	print_hs(ops, o, n, t - t0);
}

static void client_bulk(const bu_ops *ops, const bu_opts *o, void *ctx,
    int port)
{
	double bytes = (double)o->mbytes * 1048576.0, t0, t1, t2;
	unsigned char b;
	int fd = connect_to(port);
	void *c = ops->conn_new(ctx, fd);

	ops->handshake(c);
	memset(chunk_out, 'b', sizeof(chunk_out));
	t0 = bu_now();
	write_count(ops, c, bytes);
	read_exact(ops, c, &b, 1);
	/* The server's data follows its one-byte reply right away. */
	t1 = bu_now();
	read_count(ops, c, bytes);
	t2 = bu_now();
	ops->close(c);
	ops->conn_free(c);
	close(fd);
	print_bulk(ops, o, "c2s", bytes, t1 - t0);
	print_bulk(ops, o, "s2c", bytes, t2 - t1);
}

/* The figures of the last connection, printed after the server's line. */
static void client_heap(const bu_ops *ops, void *ctx, int port, long *peak,
    long *steady)
{
	int fd = connect_to(port);
	void *c;

	bu_heap_mark();
	c = ops->conn_new(ctx, fd);
	ops->handshake(c);
	*peak = bu_heap_peak();
	ops->write_all(c, chunk_out, BU_CHUNK);
	read_exact(ops, c, chunk_in, BU_CHUNK);
	*steady = bu_heap_live();
	ops->close(c);
	ops->conn_free(c);
	close(fd);
}

int bu_run(const bu_ops *ops, const bu_opts *o)
{
	unsigned limit = 30 + (unsigned)(3 * o->seconds) +
	    (o->test == BU_BULK ? (unsigned)o->mbytes : 0);
	long peak = 0, steady = 0;
	pid_t pid, parent = getpid();
	void *ctx;
	int lfd, port, i, go[2];
	char b = 'g';

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(limit);
	lfd = listen_loopback(&port);
	if (pipe(go) != 0)
		bu_die("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	/* Nothing of the TLS stack exists before the fork: the processes
	   must not share random generator state (PSA's is global). */
	pid = fork();
	if (pid < 0)
		bu_die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The server never outlives the client, nor its time. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		alarm(limit);
		/* Starts once the client could make its context; when it
		   could not (say, no TLS 1.3), it alone reports why. */
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		close(go[0]);
		server(ops, o, lfd);
		fflush(stdout);
		exit(0);
	}
	close(lfd);
	close(go[0]);
	ctx = ops->ctx_new(o, 0);
	if (write(go[1], &b, 1) != 1)
		bu_die("pipe: %s", strerror(errno));
	close(go[1]);
	switch (o->test) {
	case BU_HS:
		client_hs(ops, o, ctx, port);
		reap(pid, 1);
		break;
	case BU_BULK:
		client_bulk(ops, o, ctx, port);
		reap(pid, 0);
		break;
	case BU_HEAP:
		for (i = 0; i < HEAP_CONNS; i++)
			client_heap(ops, ctx, port, &peak, &steady);
		reap(pid, 0);
		print_heap(ops, o, "client", peak, steady);
		break;
	}
	ops->ctx_free(ctx);
	return 0;
}
