/*
 * ctxcache.c - the module-level wrap_socket() builds its context from
 * files: keyfile, certfile, ca_certs.  Parsing a CA bundle (hundreds of
 * certificates) on every call costs time and, worse, a copy of the store
 * per connection.  Contexts built from files only are kept here, keyed by
 * role, verify mode and each file's path and identity (device, inode,
 * size, modification and change times), so that the same files give the
 * same shared context and a changed file gives a new one.  Data items
 * (key=, cert=, cadata=) are not cached: their bytes would have to be
 * kept as the key.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <sys/stat.h>

#include "pyussl.h"

#define CACHE_MAX 16

static PyObject *cache;      /* dict: key tuple -> PyUsslContext */

/* (path, dev, ino, size, mtime ns, ctime ns) of an item, None when the
   item is absent, NULL when it cannot be part of a key (data, or the
   file cannot be examined: the caller then reports the real error). */
static PyObject *item_ident(const pyussl_item *it)
{
	struct stat st;

	if (it->have_data)
		return NULL;
	if (it->path == NULL)
		return Py_NewRef(Py_None);
	if (stat(PyBytes_AS_STRING(it->path), &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return NULL;
	return Py_BuildValue("(OKKLLL)", it->path,
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
	    (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec);
}

PyObject *pyussl_ctxcache_key(int role, int verify, const pyussl_item *cert,
    const pyussl_item *key, const pyussl_item *ca)
{
	PyObject *a, *b, *c, *k = NULL;

	a = item_ident(cert);
	b = item_ident(key);
	c = item_ident(ca);
	if (a != NULL && b != NULL && c != NULL)
		k = Py_BuildValue("(iiOOO)", role, verify, a, b, c);
	Py_XDECREF(a);
	Py_XDECREF(b);
	Py_XDECREF(c);
	if (k == NULL)
		PyErr_Clear();   /* not cacheable is no error */
	return k;
}

PyUsslContext *pyussl_ctxcache_get(PyObject *key)
{
	PyObject *c;

	if (cache == NULL || key == NULL)
		return NULL;
	c = PyDict_GetItemWithError(cache, key);
	if (c == NULL) {
		PyErr_Clear();
		return NULL;
	}
	return (PyUsslContext *)Py_NewRef(c);
}

void pyussl_ctxcache_put(PyObject *key, PyUsslContext *ctx)
{
	Py_ssize_t pos = 0;
	PyObject *k, *v;

	if (key == NULL)
		return;
	if (cache == NULL && (cache = PyDict_New()) == NULL) {
		PyErr_Clear();
		return;
	}
	/* Oldest first out: dicts keep insertion order. */
	if (PyDict_GET_SIZE(cache) >= CACHE_MAX &&
	    PyDict_Next(cache, &pos, &k, &v)) {
		Py_INCREF(k);
		if (PyDict_DelItem(cache, k) < 0)
			PyErr_Clear();
		Py_DECREF(k);
	}
	if (PyDict_SetItem(cache, key, (PyObject *)ctx) < 0)
		PyErr_Clear();
}

void pyussl_ctxcache_clear(void)
{
	Py_CLEAR(cache);
}

PyObject *pyussl_ctxcache_size(PyObject *module, PyObject *unused)
{
	(void)module;
	(void)unused;
	return PyLong_FromSsize_t(cache != NULL ? PyDict_GET_SIZE(cache) : 0);
}
