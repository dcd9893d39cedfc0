/*
 * certdict.c - a certificate as the dict CPython's getpeercert() returns
 * (subject, issuer, version, serialNumber, notBefore, notAfter,
 * subjectAltName, OCSP, caIssuers, crlDistributionPoints), built from
 * the engine-neutral walker ussl_cert_info() (src/certinfo.c).
 *
 * Names are gathered as lists of RDN lists while walking and turned into
 * CPython's nested tuples at the end:
 *   ((('organizationName', 'x'),), (('commonName', 'y'),))
 */
#include "pyussl.h"

struct acc {
	PyObject *d;             /* the result */
	PyObject *subject, *issuer;
	PyObject *san;           /* list of (type, value) tuples */
	PyObject *dirname;       /* RDN lists of the current DirName entry */
	PyObject *ocsp, *ca_issuers, *crl;
};

static PyObject *text(const char *p, size_t len)
{
	/* Hostile certificates may hold anything; never fail on bytes. */
	return PyUnicode_DecodeUTF8(p, (Py_ssize_t)len, "replace");
}

/* Append (name, value) to RDN number index of rdns (a list of lists). */
static int add_attr(PyObject *rdns, const ussl_cert_item *it)
{
	PyObject *pair, *rdn;
	Py_ssize_t n = PyList_GET_SIZE(rdns);
	int r;

	pair = Py_BuildValue("(sN)", it->name, text(it->value, it->value_len));
	if (pair == NULL)
		return -1;
	if (n > 0 && it->index == n - 1) {
		r = PyList_Append(PyList_GET_ITEM(rdns, n - 1), pair);
	} else {
		rdn = PyList_New(1);
		if (rdn == NULL) {
			Py_DECREF(pair);
			return -1;
		}
		PyList_SET_ITEM(rdn, 0, pair);
		pair = NULL;
		r = PyList_Append(rdns, rdn);
		Py_DECREF(rdn);
	}
	Py_XDECREF(pair);
	return r;
}

/* A list of lists as a tuple of tuples.  New reference. */
static PyObject *freeze(PyObject *rdns)
{
	Py_ssize_t i, n = PyList_GET_SIZE(rdns);
	PyObject *t = PyTuple_New(n), *inner;

	for (i = 0; t != NULL && i < n; i++) {
		inner = PyList_AsTuple(PyList_GET_ITEM(rdns, i));
		if (inner == NULL)
			Py_CLEAR(t);
		else
			PyTuple_SET_ITEM(t, i, inner);
	}
	return t;
}

static int add_value(PyObject **list, const ussl_cert_item *it)
{
	PyObject *v;
	int r;

	if (*list == NULL && (*list = PyList_New(0)) == NULL)
		return -1;
	v = text(it->value, it->value_len);
	if (v == NULL)
		return -1;
	r = PyList_Append(*list, v);
	Py_DECREF(v);
	return r;
}

static int set_text(PyObject *d, const char *key, const ussl_cert_item *it)
{
	PyObject *v = text(it->value, it->value_len);
	int r;

	if (v == NULL)
		return -1;
	r = PyDict_SetItemString(d, key, v);
	Py_DECREF(v);
	return r;
}

/* Close the DirName entry being gathered, if any. */
static int end_dirname(struct acc *a)
{
	PyObject *t, *entry;
	int r;

	if (a->dirname == NULL)
		return 0;
	t = freeze(a->dirname);
	Py_CLEAR(a->dirname);
	if (t == NULL)
		return -1;
	entry = Py_BuildValue("(sN)", "DirName", t);
	if (entry == NULL)
		return -1;
	r = PyList_Append(a->san, entry);
	Py_DECREF(entry);
	return r;
}

static int on_item(void *arg, const ussl_cert_item *it)
{
	struct acc *a = arg;
	PyObject *v;
	char num[8];
	int r;

	if (it->field != USSL_CERT_SAN_DIRNAME && end_dirname(a) < 0)
		return -2;
	switch (it->field) {
	case USSL_CERT_VERSION:
		if (it->value_len >= sizeof(num))
			return -2;
		memcpy(num, it->value, it->value_len);
		num[it->value_len] = '\0';
		v = PyLong_FromString(num, NULL, 10);
		if (v == NULL)
			return -2;
		r = PyDict_SetItemString(a->d, "version", v);
		Py_DECREF(v);
		break;
	case USSL_CERT_SERIAL:
		r = set_text(a->d, "serialNumber", it);
		break;
	case USSL_CERT_NOT_BEFORE:
		r = set_text(a->d, "notBefore", it);
		break;
	case USSL_CERT_NOT_AFTER:
		r = set_text(a->d, "notAfter", it);
		break;
	case USSL_CERT_ISSUER:
		r = add_attr(a->issuer, it);
		break;
	case USSL_CERT_SUBJECT:
		r = add_attr(a->subject, it);
		break;
	case USSL_CERT_SAN:
		if (a->san == NULL && (a->san = PyList_New(0)) == NULL)
			return -2;
		if (strcmp(it->name, "DirName") == 0) {
			a->dirname = PyList_New(0);
			r = a->dirname != NULL ? 0 : -1;
			break;
		}
		v = Py_BuildValue("(sN)", it->name,
		    text(it->value, it->value_len));
		if (v == NULL)
			return -2;
		r = PyList_Append(a->san, v);
		Py_DECREF(v);
		break;
	case USSL_CERT_SAN_DIRNAME:
		r = a->dirname != NULL ? add_attr(a->dirname, it) : 0;
		break;
	case USSL_CERT_OCSP:
		r = add_value(&a->ocsp, it);
		break;
	case USSL_CERT_CA_ISSUERS:
		r = add_value(&a->ca_issuers, it);
		break;
	case USSL_CERT_CRL_DP:
		r = add_value(&a->crl, it);
		break;
	default:
		r = 0;
		break;
	}
	/* -2: a Python error is set (-1 is the walker's "malformed"). */
	return r < 0 ? -2 : 0;
}

static int put_tuple(PyObject *d, const char *key, PyObject *list)
{
	PyObject *t;
	int r;

	if (list == NULL)
		return 0;
	t = PyList_AsTuple(list);
	if (t == NULL)
		return -1;
	r = PyDict_SetItemString(d, key, t);
	Py_DECREF(t);
	return r;
}

PyObject *pyussl_cert_dict(const unsigned char *der, size_t len)
{
	struct acc a;
	PyObject *res = NULL, *t;
	int r;

	memset(&a, 0, sizeof(a));
	a.d = PyDict_New();
	a.subject = PyList_New(0);
	a.issuer = PyList_New(0);
	if (a.d == NULL || a.subject == NULL || a.issuer == NULL)
		goto out;
	r = ussl_cert_info(der, len, on_item, &a);
	if (r == -2)
		goto out;
	if (r != 0 || end_dirname(&a) < 0) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_ValueError,
			    "malformed certificate");
		goto out;
	}
	t = freeze(a.subject);
	if (t == NULL || PyDict_SetItemString(a.d, "subject", t) < 0) {
		Py_XDECREF(t);
		goto out;
	}
	Py_DECREF(t);
	t = freeze(a.issuer);
	if (t == NULL || PyDict_SetItemString(a.d, "issuer", t) < 0) {
		Py_XDECREF(t);
		goto out;
	}
	Py_DECREF(t);
	if (put_tuple(a.d, "subjectAltName", a.san) < 0 ||
	    put_tuple(a.d, "OCSP", a.ocsp) < 0 ||
	    put_tuple(a.d, "caIssuers", a.ca_issuers) < 0 ||
	    put_tuple(a.d, "crlDistributionPoints", a.crl) < 0)
		goto out;
	res = Py_NewRef(a.d);
out:
	Py_XDECREF(a.d);
	Py_XDECREF(a.subject);
	Py_XDECREF(a.issuer);
	Py_XDECREF(a.san);
	Py_XDECREF(a.dirname);
	Py_XDECREF(a.ocsp);
	Py_XDECREF(a.ca_issuers);
	Py_XDECREF(a.crl);
	return res;
}

PyObject *pyussl_cert_info(PyObject *module, PyObject *der)
{
	Py_buffer view;
	PyObject *res;

	(void)module;
	if (PyObject_GetBuffer(der, &view, PyBUF_SIMPLE) < 0)
		return NULL;
	res = pyussl_cert_dict(view.buf, (size_t)view.len);
	PyBuffer_Release(&view);
	return res;
}
