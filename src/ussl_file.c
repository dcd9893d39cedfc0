/*
 * ussl_file.c - loading certificates and keys from files (hosts with
 * stdio).  Reads the whole file and hands the bytes to the context
 * setters; buffers that held keys are wiped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Largest file accepted: certificate bundles are well below this. */
#define FILE_MAX (16u << 20)

static int read_file(ussl_ctx *ctx, const char *path, unsigned char **out,
    size_t *out_len)
{
	FILE *f;
	unsigned char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;
	int e;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "empty path");
	f = fopen(path, "rb");
	if (f == NULL) {
		e = errno;
		ussl_err_set(&ctx->err, USSL_E_NOFILE, "cannot open %s", path);
		ctx->err.pub.sys_errno = e;
		return USSL_ERROR;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > FILE_MAX + 1)
				cap = FILE_MAX + 1;
			if (len == cap) {
				ussl_err_set(&ctx->err, USSL_E_BADARG,
				    "%s: file too large", path);
				goto fail;
			}
			nbuf = malloc(cap);
			if (nbuf == NULL) {
				ussl_err_set(&ctx->err, USSL_E_NOMEM,
				    "out of memory");
				goto fail;
			}
			if (buf != NULL) {
				memcpy(nbuf, buf, len);
				ussl_wipe(buf, len);
				free(buf);
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		e = errno;
		ussl_err_set(&ctx->err, USSL_E_NOFILE, "cannot read %s", path);
		ctx->err.pub.sys_errno = e;
		goto fail;
	}
	fclose(f);
	if (len == 0) {
		free(buf);
		return ussl_err_set(&ctx->err, USSL_E_BADCERT,
		    "%s: file is empty", path);
	}
	*out = buf;
	*out_len = len;
	return USSL_OK;
fail:
	fclose(f);
	if (buf != NULL) {
		ussl_wipe(buf, len);
		free(buf);
	}
	return USSL_ERROR;
}

static void drop(unsigned char *buf, size_t len)
{
	if (buf != NULL) {
		ussl_wipe(buf, len);
		free(buf);
	}
}

int ussl_ctx_use_cert_chain_file(ussl_ctx *ctx, const char *cert_path,
    const char *key_path, const char *password)
{
	unsigned char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int r;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (read_file(ctx, cert_path, &cert, &cert_len) != USSL_OK)
		return USSL_ERROR;
	if (key_path != NULL &&
	    read_file(ctx, key_path, &key, &key_len) != USSL_OK) {
		drop(cert, cert_len);
		return USSL_ERROR;
	}
	r = ussl_ctx_use_cert_chain(ctx, cert, cert_len, key, key_len,
	    password);
	if (r != USSL_OK && ctx->err.pub.code != USSL_E_NOMEM) {
		/* Say which file was at fault. */
		ussl_err_append(&ctx->err, "%s",
		    ctx->err.pub.code == USSL_E_BADKEY && key_path ? key_path :
		    cert_path);
	}
	drop(cert, cert_len);
	drop(key, key_len);
	return r;
}

int ussl_ctx_add_ca_file(ussl_ctx *ctx, const char *path)
{
	unsigned char *data;
	size_t len;
	int r;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (read_file(ctx, path, &data, &len) != USSL_OK)
		return USSL_ERROR;
	r = ussl_ctx_add_ca(ctx, data, len);
	if (r != USSL_OK && ctx->err.pub.code != USSL_E_NOMEM)
		ussl_err_append(&ctx->err, "%s", path);
	drop(data, len);
	return r;
}
