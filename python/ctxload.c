/*
 * ctxload.c - the SSLContext methods that load material: this side's
 * chain and key (load_cert_chain), trusted CAs (load_verify_locations,
 * load_default_certs), from files, directories or data.  A str or
 * os.PathLike names a file, bytes-like is the data itself (MicroPython's
 * convention).
 */
#include "ctxint.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A str/PathLike names a file, anything bytes-like is the data itself. */
static int item_from(pyussl_item *it, PyObject *o)
{
	if (o == Py_None)
		return 0;
	if (PyObject_CheckBuffer(o))
		return pyussl_item_parse(it, Py_None, o);
	if (PyUnicode_Check(o) || PyObject_HasAttrString(o, "__fspath__"))
		return pyussl_item_parse(it, o, Py_None);
	PyErr_Format(PyExc_TypeError, "%s must be a path (str or os.PathLike) "
	    "or data (bytes-like), not %.100s", it->path_arg,
	    Py_TYPE(o)->tp_name);
	return -1;
}

/* password: None, str, bytes-like, or a callable returning one of those.
   *out is a PyMem_Raw copy (or NULL for None).  0 or -1. */
static int get_password(PyObject *o, char **out)
{
	PyObject *v = NULL, *b = NULL;
	Py_buffer view;
	int r = -1;

	*out = NULL;
	if (o == Py_None)
		return 0;
	if (PyCallable_Check(o)) {
		v = PyObject_CallNoArgs(o);
		if (v == NULL)
			return -1;
		o = v;
	}
	if (PyUnicode_Check(o)) {
		b = PyUnicode_AsUTF8String(o);
		if (b == NULL)
			goto out;
		o = b;
	}
	if (!PyObject_CheckBuffer(o)) {
		PyErr_Format(PyExc_TypeError, "password must be str, bytes or "
		    "a callable returning one, not %.100s",
		    Py_TYPE(o)->tp_name);
		goto out;
	}
	if (PyObject_GetBuffer(o, &view, PyBUF_SIMPLE) < 0)
		goto out;
	if (memchr(view.buf, 0, (size_t)view.len) != NULL) {
		PyErr_SetString(PyExc_ValueError, "password contains a NUL");
	} else if ((*out = pyussl_ctx_str_dup(view.buf,
	    (size_t)view.len)) == NULL) {
		PyErr_NoMemory();
	} else {
		r = 0;
	}
	PyBuffer_Release(&view);
out:
	Py_XDECREF(b);
	Py_XDECREF(v);
	return r;
}

const char pyussl_ctx_load_cert_chain_doc[] =
"load_cert_chain($self, /, certfile, keyfile=None, password=None, *,\n"
"                sign_callback=None)\n--\n\n"
"Load this side's certificate chain (leaf first, then intermediates,\n"
"which are sent to the peer) and private key.  A str or os.PathLike is a\n"
"file name, bytes-like is the data itself (PEM or DER).  Without keyfile\n"
"the key is read from certfile.  password (str, bytes or a callable\n"
"returning them) decrypts an encrypted key.\n\n"
"sign_callback(alg, digest) -> bytes signs for the certificate's key\n"
"(alg: a SIGN_* constant; the result DER for ECDSA, modulus-sized for\n"
"RSA).  Without keyfile the chain is used without a private key and the\n"
"callback makes every signature (a key held in a secure element or an\n"
"HSM); with keyfile an EC key is signed with by the callback first, and\n"
"returning None lets the library sign with the key.";

PyObject *pyussl_ctx_load_cert_chain(PyUsslContext *c, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "certfile", "keyfile", "password",
	    "sign_callback", NULL };
	PyObject *certfile, *keyfile = Py_None, *pw_obj = Py_None;
	PyObject *sign_cb = Py_None;
	const unsigned char *cp, *kp;
	pyussl_item it_cert, it_key;
	pyussl_errinfo e;
	PyObject *res = NULL;
	char *pw = NULL;
	size_t cl, kl;

	pyussl_item_init(&it_cert, "certfile", "certfile");
	pyussl_item_init(&it_key, "keyfile", "keyfile");
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO$O:load_cert_chain",
	    kwlist, &certfile, &keyfile, &pw_obj, &sign_cb))
		return NULL;
	if (sign_cb != Py_None && !PyCallable_Check(sign_cb)) {
		PyErr_SetString(PyExc_TypeError,
		    "sign_callback must be callable or None");
		return NULL;
	}
	if (certfile == Py_None) {
		PyErr_SetString(PyExc_TypeError, "certfile must not be None");
		return NULL;
	}
	if (item_from(&it_cert, certfile) < 0 ||
	    item_from(&it_key, keyfile) < 0)
		goto out;
	if (get_password(pw_obj, &pw) < 0)
		goto out;
	if (pyussl_item_load(&it_cert) < 0 || pyussl_item_load(&it_key) < 0)
		goto out;
	pyussl_item_bytes(&it_cert, &cp, &cl);
	pyussl_item_bytes(&it_key, &kp, &kl);
	if (sign_cb != Py_None && keyfile == Py_None) {
		/* No private key: every signature is the callback's. */
		if (pyussl_ctx_set_signer(c, cp, cl, sign_cb, 1, &e) != 0) {
			pyussl_raise_item_error(&e, &it_cert, NULL);
			goto out;
		}
	} else if (pyussl_context_set_chain(c, cp, cl, kp, kl, pw, &e) != 0 ||
	    ((sign_cb != Py_None || c->scb != NULL) &&
	    pyussl_ctx_set_signer(c, NULL, 0, sign_cb != Py_None ? sign_cb :
	    NULL, 0, &e) != 0)) {
		pyussl_raise_item_error(&e, &it_cert, &it_key);
		goto out;
	}
	res = Py_NewRef(Py_None);
out:
	if (pw != NULL) {
		pyussl_wipe(pw, strlen(pw));
		PyMem_RawFree(pw);
	}
	pyussl_item_free(&it_cert);
	pyussl_item_free(&it_key);
	return res;
}

/* Load one file of trusted certificates.  0 or -1 with an exception. */
static int load_ca_item(PyUsslContext *c, pyussl_item *it)
{
	const unsigned char *p;
	pyussl_errinfo e;
	size_t len;

	if (pyussl_item_load(it) < 0)
		return -1;
	pyussl_item_bytes(it, &p, &len);
	if (pyussl_ctx_add_ca_data(c, p, len, &e) != 0) {
		pyussl_raise_item_error(&e, it, NULL);
		return -1;
	}
	return 0;
}

/*
 * capath: every regular file in the directory that holds a PEM
 * certificate (OpenSSL looks up hashed names instead; loading them all
 * gives the same trust).  Returns 0 or -1 with an exception.
 */
static int load_ca_dir(PyUsslContext *c, PyObject *dir_obj)
{
	PyObject *dir_b = NULL, *path = NULL;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = -1;

	if (!PyUnicode_FSConverter(dir_obj, &dir_b))
		return -1;
	d = opendir(PyBytes_AS_STRING(dir_b));
	if (d == NULL) {
		PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, dir_obj);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		pyussl_item it;
		const unsigned char *p;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		path = PyBytes_FromFormat("%s/%s", PyBytes_AS_STRING(dir_b),
		    de->d_name);
		if (path == NULL)
			goto close;
		if (stat(PyBytes_AS_STRING(path), &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			Py_CLEAR(path);
			continue;
		}
		pyussl_item_init(&it, "capath", "capath");
		if (pyussl_item_parse(&it, path, Py_None) < 0 ||
		    pyussl_item_load(&it) < 0) {
			/* Unreadable or empty files give no trust: skip. */
			PyErr_Clear();
			pyussl_item_free(&it);
			Py_CLEAR(path);
			continue;
		}
		pyussl_item_bytes(&it, &p, &len);
		if (pyussl_ctx_contains(p, len,
		    "-----BEGIN CERTIFICATE-----") &&
		    load_ca_item(c, &it) < 0) {
			pyussl_item_free(&it);
			goto close;
		}
		pyussl_item_free(&it);
		Py_CLEAR(path);
	}
	r = 0;
close:
	closedir(d);
out:
	Py_XDECREF(path);
	Py_XDECREF(dir_b);
	return r;
}

const char pyussl_ctx_load_verify_locations_doc[] =
"load_verify_locations($self, /, cafile=None, capath=None, cadata=None)\n"
"--\n\n"
"Add trusted CA certificates.  cafile: a file name (str or os.PathLike)\n"
"or, as in MicroPython, the data itself (bytes-like).  capath: a\n"
"directory whose PEM files are all loaded.  cadata: PEM text (str or\n"
"bytes) or DER bytes (one certificate or several back to back).  A\n"
"bytes-like second positional argument is taken as cadata, following\n"
"MicroPython's load_verify_locations(cafile, cadata).";

PyObject *pyussl_ctx_load_verify_locations(PyUsslContext *c, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "cafile", "capath", "cadata", NULL };
	PyObject *cafile = Py_None, *capath = Py_None, *cadata = Py_None;
	PyObject *res = NULL, *ascii = NULL;
	pyussl_item it_file, it_data;

	pyussl_item_init(&it_file, "cafile", "cafile");
	pyussl_item_init(&it_data, "cadata", "cadata");
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:load_verify_locations",
	    kwlist, &cafile, &capath, &cadata))
		return NULL;
	if (capath != Py_None && cadata == Py_None &&
	    PyObject_CheckBuffer(capath)) {
		cadata = capath;
		capath = Py_None;
	}
	if (cafile == Py_None && capath == Py_None && cadata == Py_None) {
		PyErr_SetString(PyExc_TypeError, "cafile, capath and cadata "
		    "cannot be all omitted");
		return NULL;
	}
	if (PyUnicode_Check(cadata)) {
		ascii = PyUnicode_AsASCIIString(cadata);
		if (ascii == NULL)
			return NULL;
		cadata = ascii;
	} else if (cadata != Py_None && !PyObject_CheckBuffer(cadata)) {
		PyErr_Format(PyExc_TypeError,
		    "cadata should be an ASCII string "
		    "or a bytes-like object, not %.100s",
		    Py_TYPE(cadata)->tp_name);
		return NULL;
	}
	if (item_from(&it_file, cafile) < 0 ||
	    pyussl_item_parse(&it_data, Py_None, cadata) < 0)
		goto out;
	if (pyussl_item_present(&it_file) && load_ca_item(c, &it_file) < 0)
		goto out;
	if (capath != Py_None && load_ca_dir(c, capath) < 0)
		goto out;
	if (pyussl_item_present(&it_data) && load_ca_item(c, &it_data) < 0)
		goto out;
	res = Py_NewRef(Py_None);
out:
	Py_XDECREF(ascii);
	pyussl_item_free(&it_file);
	pyussl_item_free(&it_data);
	return res;
}

/* Where Linux distributions keep their CA bundle. */
static const char *const default_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",   /* Debian, Ubuntu, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",     /* Fedora, RHEL */
	"/etc/ssl/ca-bundle.pem",               /* openSUSE */
	"/etc/ssl/cert.pem",                    /* macOS, BSDs */
};

const char pyussl_ctx_load_default_certs_doc[] =
"load_default_certs($self, /, purpose=None)\n--\n\n"
"Trust the system's CA certificates: the file named by SSL_CERT_FILE\n"
"and the directory named by SSL_CERT_DIR if set, else the first bundle\n"
"found in the usual places.  Nothing is loaded if there is none.";

PyObject *pyussl_ctx_load_default_certs(PyUsslContext *c, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "purpose", NULL };
	PyObject *purpose = Py_None, *o;
	const char *env_file, *env_dir;
	pyussl_item it;
	struct stat st;
	size_t i;
	int r;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:load_default_certs",
	    kwlist, &purpose))
		return NULL;
	env_file = getenv("SSL_CERT_FILE");
	env_dir = getenv("SSL_CERT_DIR");
	for (i = 0; env_file == NULL && env_dir == NULL &&
	    i < sizeof(default_bundles) / sizeof(default_bundles[0]); i++) {
		if (stat(default_bundles[i], &st) == 0 && S_ISREG(st.st_mode))
			env_file = default_bundles[i];
	}
	if (env_file != NULL && env_file[0] != '\0') {
		o = PyUnicode_DecodeFSDefault(env_file);
		if (o == NULL)
			return NULL;
		pyussl_item_init(&it, "cafile", "cafile");
		r = pyussl_item_parse(&it, o, Py_None) < 0 ? -1 :
		    load_ca_item(c, &it);
		pyussl_item_free(&it);
		Py_DECREF(o);
		if (r < 0)
			return NULL;
	}
	if (env_dir != NULL && env_dir[0] != '\0') {
		o = PyUnicode_DecodeFSDefault(env_dir);
		if (o == NULL)
			return NULL;
		r = load_ca_dir(c, o);
		Py_DECREF(o);
		if (r < 0)
			return NULL;
	}
	Py_RETURN_NONE;
}
