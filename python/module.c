/*
 * module.c - the CPython module ussl: the module-level wrap_socket()
 * (argument checks, loading files, a private SSLContext, then the
 * machinery shared with SSLContext.wrap_socket()), the module's
 * constants and functions, the argument helpers SSLContext shares, and
 * the mapping of ussl errors to Python exceptions.
 */
#include "pyussl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Largest certificate/key/CA file read (bundles are far smaller). */
#define FILE_MAX (16u << 20)

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

void pyussl_errinfo_copy(pyussl_errinfo *dst, const ussl_error *src)
{
	const char *msg = src->msg != NULL ? src->msg : "";

	dst->code = src->code;
	dst->sys_errno = src->sys_errno;
	strncpy(dst->msg, msg, sizeof(dst->msg) - 1);
	dst->msg[sizeof(dst->msg) - 1] = '\0';
}

/* type(code, msg); the OSError constructor picks the errno subclass. */
static PyObject *raise_code(PyObject *type, int code, const char *msg)
{
	PyObject *m, *args;

	m = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "replace");
	if (m == NULL)
		return NULL;
	args = Py_BuildValue("(iN)", code, m);
	if (args != NULL) {
		PyErr_SetObject(type, args);
		Py_DECREF(args);
	}
	return NULL;
}

PyObject *pyussl_raise_errinfo(const pyussl_errinfo *e)
{
	const char *msg = e->msg[0] != '\0' ? e->msg : ussl_strerror(e->code);
	char buf[sizeof(e->msg) + 128];

	switch (e->code) {
	case USSL_E_IO:
		if (e->sys_errno <= 0)
			break;
		/* Like the socket module's: "[Errno 104] Connection reset by
		   peer", with where it happened. */
		snprintf(buf, sizeof(buf), "%s (%s)", strerror(e->sys_errno),
		    msg);
		return raise_code(PyExc_OSError, e->sys_errno, buf);
	case USSL_E_TIMEOUT:
		return raise_code(PyExc_TimeoutError, ETIMEDOUT, msg);
	case USSL_E_NONE:
		return raise_code(PyExc_OSError, USSL_E_INTERNAL,
		    "unknown TLS error");
	default:
		break;
	}
	return raise_code(PyExc_OSError, e->code, msg);
}

PyObject *pyussl_raise_closed(void)
{
	return raise_code(PyExc_OSError, USSL_E_CLOSED,
	    "I/O operation on closed TLS socket");
}

/*
 * Errors of the context and of ussl_conn_new(): bad material or settings
 * are the caller's values (ValueError); what names the offending
 * argument(s) and may be NULL.
 */
PyObject *pyussl_raise_setup_error(const pyussl_errinfo *e, PyObject *what)
{
	switch (e->code) {
	case USSL_E_NOMEM:
		return PyErr_NoMemory();
	case USSL_E_NOFILE:
		if (e->sys_errno > 0) {
			errno = e->sys_errno;
			return PyErr_SetFromErrno(PyExc_OSError);
		}
		break;
	case USSL_E_BADARG:
	case USSL_E_BADKEY:
	case USSL_E_BADCERT:
	case USSL_E_CONFIG:
		if (what != NULL)
			PyErr_Format(PyExc_ValueError, "%U: %s", what, e->msg);
		else
			PyErr_SetString(PyExc_ValueError, e->msg);
		return NULL;
	default:
		break;
	}
	return pyussl_raise_errinfo(e);
}

/* ---------------------------------------------------------------------- */
/* Key, certificate and CA material: a path or bytes-like data            */

void pyussl_item_init(pyussl_item *it, const char *path_arg,
    const char *data_arg)
{
	memset(it, 0, sizeof(*it));
	it->path_arg = path_arg;
	it->data_arg = data_arg;
}

int pyussl_item_present(const pyussl_item *it)
{
	return it->path != NULL || it->have_data;
}

/* Take the path and data arguments (either may be None).  0 or -1. */
int pyussl_item_parse(pyussl_item *it, PyObject *path, PyObject *data)
{
	if (path != Py_None) {
		if (!PyUnicode_FSConverter(path, &it->path))
			return -1;
		it->path_obj = path;
	}
	if (data != Py_None) {
		if (!PyObject_CheckBuffer(data)) {
			PyErr_Format(PyExc_TypeError, "%s must be a bytes-like "
			    "object or None, not %.100s", it->data_arg,
			    Py_TYPE(data)->tp_name);
			return -1;
		}
		if (PyObject_GetBuffer(data, &it->data, PyBUF_SIMPLE) < 0)
			return -1;
		it->have_data = 1;
	}
	return 0;
}

void pyussl_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void pyussl_item_free(pyussl_item *it)
{
	if (it->have_data)
		PyBuffer_Release(&it->data);
	it->have_data = 0;
	Py_CLEAR(it->path);
	if (it->file != NULL) {
		/* It may have held a private key. */
		pyussl_wipe(it->file, it->file_len);
		PyMem_RawFree(it->file);
		it->file = NULL;
	}
}

/* Read the item's file (if it has a path).  0, or -1 with OSError (with
   the file name) or ValueError. */
int pyussl_item_load(pyussl_item *it)
{
	const char *name;
	unsigned char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, e = 0, toobig = 0, nomem = 0;

	if (it->path == NULL)
		return 0;
	name = PyBytes_AS_STRING(it->path);
	Py_BEGIN_ALLOW_THREADS
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
	} else {
		for (;;) {
			if (len == cap) {
				if (cap >= FILE_MAX) {
					toobig = 1;
					break;
				}
				cap = cap ? cap * 2 : 16384;
				nb = PyMem_RawMalloc(cap);
				if (nb == NULL) {
					nomem = 1;
					break;
				}
				if (buf != NULL) {
					memcpy(nb, buf, len);
					pyussl_wipe(buf, len);
					PyMem_RawFree(buf);
				}
				buf = nb;
			}
			n = read(fd, buf + len, cap - len);
			if (n > 0) {
				len += (size_t)n;
			} else if (n == 0) {
				break;
			} else if (errno != EINTR) {
				e = errno;
				break;
			}
		}
		close(fd);
	}
	Py_END_ALLOW_THREADS
	if (e != 0 || toobig || nomem || len == 0) {
		if (buf != NULL) {
			pyussl_wipe(buf, len);
			PyMem_RawFree(buf);
		}
		if (e != 0) {
			errno = e;
			PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError,
			    it->path_obj);
		} else if (nomem) {
			PyErr_NoMemory();
		} else {
			PyErr_Format(PyExc_ValueError, "%s %R: file is %s",
			    it->path_arg, it->path_obj,
			    toobig ? "too large" : "empty");
		}
		return -1;
	}
	it->file = buf;
	it->file_len = len;
	return 0;
}

void pyussl_item_bytes(const pyussl_item *it, const unsigned char **p,
    size_t *len)
{
	if (it->file != NULL) {
		*p = it->file;
		*len = it->file_len;
	} else if (it->have_data) {
		*p = it->data.buf;
		*len = (size_t)it->data.len;
	} else {
		*p = NULL;
		*len = 0;
	}
}

/* "certfile '/x.pem'" or "cert", for messages.  New reference. */
PyObject *pyussl_item_label(const pyussl_item *it)
{
	if (it->path != NULL)
		return PyUnicode_FromFormat("%s %R", it->path_arg,
		    it->path_obj);
	return PyUnicode_FromString(it->data_arg);
}

/* ---------------------------------------------------------------------- */
/* Context                                                                 */

/* Raise for a failed context setter, naming the items involved. */
void pyussl_raise_item_error(const pyussl_errinfo *e, const pyussl_item *a,
    const pyussl_item *b)
{
	PyObject *what = NULL, *l1, *l2;

	l1 = pyussl_item_label(a);
	if (l1 != NULL && b != NULL && pyussl_item_present(b)) {
		l2 = pyussl_item_label(b);
		if (l2 != NULL)
			what = PyUnicode_FromFormat("%U, %U", l1, l2);
		Py_XDECREF(l2);
		Py_DECREF(l1);
	} else {
		what = l1;
	}
	if (what == NULL)
		PyErr_Clear();  /* the setup error matters more */
	pyussl_raise_setup_error(e, what);
	Py_XDECREF(what);
}

/* A private SSLContext holding wrap_socket()'s material.  New reference,
   or NULL with an exception. */
static PyUsslContext *build_ctx(int role, int verify,
    const pyussl_item *cert, const pyussl_item *key, const pyussl_item *ca)
{
	const unsigned char *cp, *kp;
	size_t cl, kl;
	PyUsslContext *c;
	pyussl_errinfo e;

	c = pyussl_context_create(role);
	if (c == NULL)
		return NULL;
	if (pyussl_context_set_verify(c, verify, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		goto fail;
	}
	if (pyussl_item_present(cert)) {
		pyussl_item_bytes(cert, &cp, &cl);
		pyussl_item_bytes(key, &kp, &kl);
		if (pyussl_context_set_chain(c, cp, cl, kp, kl, NULL, &e) != 0) {
			pyussl_raise_item_error(&e, cert, key);
			goto fail;
		}
	}
	if (pyussl_item_present(ca)) {
		pyussl_item_bytes(ca, &cp, &cl);
		if (pyussl_context_add_ca(c, cp, cl, &e) != 0) {
			pyussl_raise_item_error(&e, ca, NULL);
			goto fail;
		}
	}
	return c;
fail:
	Py_DECREF(c);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* wrap_socket                                                             */

int pyussl_check_socket(PyObject *sock)
{
	static const char *const need[] = {
		"fileno", "gettimeout", "setblocking"
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!PyObject_HasAttrString(sock, need[i])) {
			PyErr_Format(PyExc_TypeError, "sock must be a socket "
			    "(an object with fileno(), gettimeout() and "
			    "setblocking()), not %.100s",
			    Py_TYPE(sock)->tp_name);
			return -1;
		}
	}
	return 0;
}

/* cert_reqs: an int among CERT_*.  Returns it, or -1 with an exception. */
static int parse_cert_reqs(PyObject *o)
{
	long v;
	int overflow;

	if (!PyLong_Check(o)) {
		PyErr_Format(PyExc_TypeError, "cert_reqs must be an int, not "
		    "%.100s", Py_TYPE(o)->tp_name);
		return -1;
	}
	v = PyLong_AsLongAndOverflow(o, &overflow);
	if (v == -1 && PyErr_Occurred())
		return -1;
	if (overflow || v < USSL_VERIFY_NONE || v > USSL_VERIFY_REQUIRED) {
		PyErr_SetString(PyExc_ValueError, "cert_reqs must be "
		    "CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED");
		return -1;
	}
	return (int)v;
}

/* server_hostname as the ASCII (IDNA) bytes sent as SNI, or NULL for
   None.  Returns 0, or -1 with an exception. */
int pyussl_parse_hostname(PyObject *o, int server_side, PyObject **out)
{
	PyObject *b;

	*out = NULL;
	if (o == Py_None)
		return 0;
	if (!PyUnicode_Check(o)) {
		PyErr_Format(PyExc_TypeError, "server_hostname must be str or "
		    "None, not %.100s", Py_TYPE(o)->tp_name);
		return -1;
	}
	if (server_side) {
		PyErr_SetString(PyExc_ValueError,
		    "server_hostname is for client sockets only");
		return -1;
	}
	if (PyUnicode_GET_LENGTH(o) == 0) {
		PyErr_SetString(PyExc_ValueError,
		    "server_hostname must not be empty");
		return -1;
	}
	/* Internationalised names travel as A-labels (like CPython's ssl);
	   the codec also rejects empty and over-long labels. */
	b = PyUnicode_AsEncodedString(o, "idna", "strict");
	if (b == NULL)
		return -1;
	if (strlen(PyBytes_AS_STRING(b)) != (size_t)PyBytes_GET_SIZE(b)) {
		Py_DECREF(b);
		PyErr_SetString(PyExc_ValueError,
		    "server_hostname contains a NUL character");
		return -1;
	}
	*out = b;
	return 0;
}

/* Both forms of one item given? */
static int check_not_both(const pyussl_item *it)
{
	if (it->path != NULL && it->have_data) {
		PyErr_Format(PyExc_ValueError, "give %s or %s, not both",
		    it->path_arg, it->data_arg);
		return -1;
	}
	return 0;
}

int pyussl_get_fd(PyObject *sock)
{
	PyObject *r = PyObject_CallMethod(sock, "fileno", NULL);
	long fd;

	if (r == NULL)
		return -1;
	if (!PyLong_Check(r)) {
		PyErr_Format(PyExc_TypeError, "sock.fileno() returned %.100s, "
		    "not int", Py_TYPE(r)->tp_name);
		Py_DECREF(r);
		return -1;
	}
	fd = PyLong_AsLong(r);
	Py_DECREF(r);
	if (fd == -1 && PyErr_Occurred())
		return -1;
	if (fd < 0 || fd > INT_MAX) {
		PyErr_SetString(PyExc_ValueError, "sock is closed "
		    "(fileno() is negative)");
		return -1;
	}
	return (int)fd;
}

PyDoc_STRVAR(wrap_socket_doc,
"wrap_socket($module, /, sock, server_side=False, keyfile=None,\n"
"            certfile=None, cert_reqs=0, ca_certs=None,\n"
"            server_hostname=None, do_handshake=True, *, key=None,\n"
"            cert=None, cadata=None)\n"
"--\n\n"
"Wrap the connected stream socket sock in TLS and return an SSLSocket.\n\n"
"keyfile, certfile, ca_certs are paths; key, cert, cadata the same\n"
"material as bytes-like objects (PEM or DER).  cert_reqs is CERT_NONE,\n"
"CERT_OPTIONAL or CERT_REQUIRED; a verifying client needs ca_certs or\n"
"cadata and server_hostname.  A server needs a certificate and key.\n"
"do_handshake=True runs the handshake now (on a non-blocking socket it\n"
"is only started); False leaves it to the first read or write.");

static PyObject *wrap_socket(PyObject *module, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {
		"sock", "server_side", "keyfile", "certfile", "cert_reqs",
		"ca_certs", "server_hostname", "do_handshake", "key", "cert",
		"cadata", NULL
	};
	PyObject *sock, *keyfile = Py_None, *certfile = Py_None;
	PyObject *cert_reqs = NULL, *ca_certs = Py_None;
	PyObject *hostname = Py_None, *key = Py_None, *cert = Py_None;
	PyObject *cadata = Py_None, *host = NULL, *res = NULL;
	pyussl_item it_key, it_cert, it_ca;
	int server_side = 0, do_handshake = 1, verify = USSL_VERIFY_NONE;
	PyUsslContext *ctx;
	PyObject *cache_key = NULL;

	(void)module;
	pyussl_item_init(&it_key, "keyfile", "key");
	pyussl_item_init(&it_cert, "certfile", "cert");
	pyussl_item_init(&it_ca, "ca_certs", "cadata");
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|pOOOOOp$OOO:wrap_socket",
	    kwlist, &sock, &server_side, &keyfile, &certfile, &cert_reqs,
	    &ca_certs, &hostname, &do_handshake, &key, &cert, &cadata))
		return NULL;

	/* Types and values first: nothing is read or sent on error. */
	if (pyussl_check_socket(sock) < 0)
		goto out;
	if (cert_reqs != NULL && (verify = parse_cert_reqs(cert_reqs)) < 0)
		goto out;
	if (pyussl_item_parse(&it_key, keyfile, key) < 0 ||
	    pyussl_item_parse(&it_cert, certfile, cert) < 0 ||
	    pyussl_item_parse(&it_ca, ca_certs, cadata) < 0)
		goto out;
	if (pyussl_parse_hostname(hostname, server_side, &host) < 0)
		goto out;
	if (check_not_both(&it_key) < 0 || check_not_both(&it_cert) < 0 ||
	    check_not_both(&it_ca) < 0)
		goto out;
	if (pyussl_item_present(&it_key) && !pyussl_item_present(&it_cert)) {
		PyErr_SetString(PyExc_ValueError, "a private key (keyfile/key) "
		    "needs its certificate (certfile/cert)");
		goto out;
	}
	if (server_side && !pyussl_item_present(&it_cert)) {
		PyErr_SetString(PyExc_ValueError, "a server needs a "
		    "certificate and its private key (certfile and keyfile, "
		    "cert and key, or a certfile holding both)");
		goto out;
	}
	if (!server_side && verify != USSL_VERIFY_NONE && host == NULL) {
		PyErr_SetString(PyExc_ValueError, "certificate verification "
		    "needs server_hostname (the name the certificate must "
		    "match); use cert_reqs=CERT_NONE to skip verification");
		goto out;
	}
	if (verify != USSL_VERIFY_NONE && !pyussl_item_present(&it_ca)) {
		PyErr_SetString(PyExc_ValueError, server_side ?
		    "client certificate verification needs trusted CA "
		    "certificates (ca_certs or cadata)" :
		    "certificate verification needs trusted CA certificates "
		    "(ca_certs or cadata)");
		goto out;
	}
	if (pyussl_get_fd(sock) < 0)
		goto out;

	/* The same files give the same (shared, read-only) context. */
	cache_key = pyussl_ctxcache_key(server_side ? USSL_SERVER : USSL_CLIENT,
	    verify, &it_cert, &it_key, &it_ca);
	ctx = pyussl_ctxcache_get(cache_key);
	if (ctx == NULL) {
		if (pyussl_item_load(&it_cert) < 0 ||
		    pyussl_item_load(&it_key) < 0 ||
		    pyussl_item_load(&it_ca) < 0)
			goto out;
		ctx = build_ctx(server_side ? USSL_SERVER : USSL_CLIENT,
		    verify, &it_cert, &it_key, &it_ca);
		if (ctx == NULL)
			goto out;
		pyussl_ctxcache_put(cache_key, ctx);
	}
	res = pyussl_context_wrap(ctx, sock, server_side, do_handshake,
	    hostname, PYUSSL_SOCK_LEGACY);
	Py_DECREF(ctx);
out:
	pyussl_item_free(&it_key);
	pyussl_item_free(&it_cert);
	pyussl_item_free(&it_ca);
	Py_XDECREF(cache_key);
	Py_XDECREF(host);
	return res;
}

/* ---------------------------------------------------------------------- */
/* Module                                                                  */

PyDoc_STRVAR(create_default_context_doc,
"create_default_context(purpose=SERVER_AUTH, *, cafile=None, capath=None,\n"
"                       cadata=None)\n"
"--\n\n"
"An SSLContext with secure defaults: for SERVER_AUTH (the default) a\n"
"client context that verifies servers and their names, for CLIENT_AUTH\n"
"a server context.  The given CA material is trusted, else the system's\n"
"CA certificates (load_default_certs()).  ssl.Purpose members work too.");

PyDoc_STRVAR(cert_info_doc,
"cert_info(der, /)\n--\n\n"
"A DER certificate as the dict getpeercert() returns (subject, issuer,\n"
"version, serialNumber, notBefore, notAfter, subjectAltName, ...).  It\n"
"describes the certificate and verifies nothing.  ValueError if the\n"
"data is not a certificate.");

/*
 * ussl.asyncio is the pure-Python module ussl_asyncio (installed next to
 * this extension), imported when first used so that importing ussl does
 * not import asyncio.
 */
static PyObject *module_getattr(PyObject *module, PyObject *name)
{
	PyObject *mod, *modules;

	if (!PyUnicode_Check(name) ||
	    PyUnicode_CompareWithASCIIString(name, "asyncio") != 0) {
		PyErr_Format(PyExc_AttributeError,
		    "module 'ussl' has no attribute %R", name);
		return NULL;
	}
	mod = PyImport_ImportModule("ussl_asyncio");
	if (mod == NULL) {
		/* hasattr() and "from ussl import asyncio" expect this. */
		if (PyErr_ExceptionMatches(PyExc_ImportError)) {
			PyErr_Clear();
			PyErr_SetString(PyExc_AttributeError, "ussl.asyncio "
			    "needs ussl_asyncio.py next to the ussl module");
		}
		return NULL;
	}
	modules = PyImport_GetModuleDict();
	if (PyObject_SetAttrString(module, "asyncio", mod) < 0 ||
	    PyDict_SetItemString(modules, "ussl.asyncio", mod) < 0) {
		Py_DECREF(mod);
		return NULL;
	}
	return mod;
}

static PyMethodDef module_methods[] = {
	{ "wrap_socket", (PyCFunction)(void (*)(void))wrap_socket,
	  METH_VARARGS | METH_KEYWORDS, wrap_socket_doc },
	{ "create_default_context",
	  (PyCFunction)(void (*)(void))pyussl_create_default_context,
	  METH_VARARGS | METH_KEYWORDS, create_default_context_doc },
	{ "cert_info", (PyCFunction)pyussl_cert_info, METH_O, cert_info_doc },
	{ "_ctx_cache_size", (PyCFunction)pyussl_ctxcache_size, METH_NOARGS,
	  "Number of wrap_socket() contexts kept (for tests)." },
	{ "__getattr__", (PyCFunction)module_getattr, METH_O, NULL },
	{ NULL, NULL, 0, NULL }
};

PyDoc_STRVAR(module_doc,
"TLS for stream sockets, with MicroPython's ussl API.\n\n"
"wrap_socket() turns a connected socket into an SSLSocket with stream\n"
"methods (read, readinto, readline, write).  Certificates are verified\n"
"when cert_reqs asks for it (chain, validity time, host name).  There is\n"
"no SSLError: failures raise OSError, whose errno is one of the E_*\n"
"codes below, the errno of a transport failure (ConnectionResetError,\n"
"...), or ETIMEDOUT (TimeoutError).");

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	"ussl",
	module_doc,
	-1,
	module_methods,
	NULL, NULL, NULL, NULL
};

/* "mbed TLS 3.6.4" -> "mbedtls", "OpenSSL 3.0.2 ..." -> "openssl". */
static PyObject *engine_name(const char *version)
{
	char name[32];
	size_t n = 0;
	const char *p;

	for (p = version; *p != '\0' && !isdigit((unsigned char)*p); p++) {
		if (isalnum((unsigned char)*p) && n < sizeof(name) - 1)
			name[n++] = (char)tolower((unsigned char)*p);
	}
	name[n] = '\0';
	return PyUnicode_FromString(n > 0 ? name : "unknown");
}

static const struct {
	const char *name;
	int value;
} int_constants[] = {
	{ "CERT_NONE", USSL_VERIFY_NONE },
	{ "CERT_OPTIONAL", USSL_VERIFY_OPTIONAL },
	{ "CERT_REQUIRED", USSL_VERIFY_REQUIRED },
	{ "WANT_READ", PYUSSL_WANT_READ },
	{ "WANT_WRITE", PYUSSL_WANT_WRITE },
	{ "E_IO", USSL_E_IO },
	{ "E_TIMEOUT", USSL_E_TIMEOUT },
	{ "E_VERIFY", USSL_E_VERIFY },
	{ "E_PROTOCOL", USSL_E_PROTOCOL },
	{ "E_PEER_ALERT", USSL_E_PEER_ALERT },
	{ "E_HANDSHAKE", USSL_E_HANDSHAKE },
	{ "E_TRUNCATED", USSL_E_TRUNCATED },
	{ "E_CLOSED", USSL_E_CLOSED },
	{ "E_NOMEM", USSL_E_NOMEM },
	{ "E_BADARG", USSL_E_BADARG },
	{ "E_BADKEY", USSL_E_BADKEY },
	{ "E_BADCERT", USSL_E_BADCERT },
	{ "E_CONFIG", USSL_E_CONFIG },
	{ "E_INTERNAL", USSL_E_INTERNAL },
	{ "E_NOFILE", USSL_E_NOFILE },
	{ "E_HELLO_VERIFY", USSL_E_HELLO_VERIFY },
	/* SSLContext (CPython's values) */
	{ "PROTOCOL_TLS_CLIENT", 16 },
	{ "PROTOCOL_TLS_SERVER", 17 },
	{ "PROTOCOL_DTLS_CLIENT", 18 },
	{ "PROTOCOL_DTLS_SERVER", 19 },
	{ "OP_NO_TICKET", 0x4000 },
	{ "TLSv1_2", USSL_TLS1_2 },
	{ "TLSv1_3", USSL_TLS1_3 },
	{ "MINIMUM_SUPPORTED", -2 },
	{ "MAXIMUM_SUPPORTED", -1 },
	/* SSLContext.verify_relax */
	{ "RELAX_CN_ONLY", USSL_RELAX_CN_ONLY },
	{ "RELAX_NO_EKU", USSL_RELAX_NO_EKU },
	{ "RELAX_LEGACY_CA", USSL_RELAX_LEGACY_CA },
	/* load_cert_chain(sign_callback=): the scheme asked for */
	{ "SIGN_ECDSA_SHA256", USSL_SIGN_ECDSA_SHA256 },
	{ "SIGN_ECDSA_SHA384", USSL_SIGN_ECDSA_SHA384 },
	{ "SIGN_ECDSA_SHA512", USSL_SIGN_ECDSA_SHA512 },
	{ "SIGN_RSA_PKCS1_SHA256", USSL_SIGN_RSA_PKCS1_SHA256 },
	{ "SIGN_RSA_PKCS1_SHA384", USSL_SIGN_RSA_PKCS1_SHA384 },
	{ "SIGN_RSA_PKCS1_SHA512", USSL_SIGN_RSA_PKCS1_SHA512 },
	{ "SIGN_RSA_PSS_SHA256", USSL_SIGN_RSA_PSS_SHA256 },
	{ "SIGN_RSA_PSS_SHA384", USSL_SIGN_RSA_PSS_SHA384 },
	{ "SIGN_RSA_PSS_SHA512", USSL_SIGN_RSA_PSS_SHA512 },
};

PyMODINIT_FUNC PyInit_ussl(void)
{
	const char *ver = ussl_engine_version();
	PyObject *m, *eng;
	size_t i;

	if (pyussl_socket_type_ready() < 0 ||
	    PyType_Ready(&PyUsslContext_Type) < 0)
		return NULL;
	m = PyModule_Create(&module_def);
	if (m == NULL)
		return NULL;
	for (i = 0; i < sizeof(int_constants) / sizeof(int_constants[0]);
	    i++) {
		if (PyModule_AddIntConstant(m, int_constants[i].name,
		    int_constants[i].value) < 0)
			goto fail;
	}
	if (ver == NULL)
		ver = "";
	if (PyModule_AddStringConstant(m, "__version__",
	    USSL_VERSION_STRING) < 0 ||
	    PyModule_AddStringConstant(m, "MBEDTLS_VERSION", ver) < 0)
		goto fail;
	eng = engine_name(ver);
	if (eng == NULL || PyModule_AddObjectRef(m, "ENGINE", eng) < 0) {
		Py_XDECREF(eng);
		goto fail;
	}
	Py_DECREF(eng);
	if (PyModule_AddObjectRef(m, "SSLSocket",
	    (PyObject *)&PyUsslSocket_Type) < 0 ||
	    PyModule_AddObjectRef(m, "SSLContext",
	    (PyObject *)&PyUsslContext_Type) < 0 ||
	    PyModule_AddStringConstant(m, "SERVER_AUTH",
	    "1.3.6.1.5.5.7.3.1") < 0 ||
	    PyModule_AddStringConstant(m, "CLIENT_AUTH",
	    "1.3.6.1.5.5.7.3.2") < 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
