#!/usr/bin/env python3
"""mbedtls_patch.py - patched copies of two mbedTLS 3.6 sources for the
module's bundled build (micropython.mk), so that record buffers can shrink
safely (MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH).

The same input-sizing fixes as ussl's CMake build (cmake/UsslMbedtls.cmake,
fix 1), applied to the port's lib/mbedtls, which is used as it is
otherwise:

  1. ssl_tls12_client.c: the TLS 1.2 client records the length the server
     agreed to (mbedTLS keeps only the length it asked for), so that
  2. ssl_tls.c: only a length the peer agreed to limits the input buffer
     once the handshake is over (unpatched, a client cuts it to the length
     it asked for even when the server ignored the request, and without a
     request to min(IN, OUT) content length, Mbed-TLS issue 4485: a peer's
     next full-size record then fails the connection).

and one of the module's own, in ssl_tls.c:

  3. once the handshake is over, records we send are at most
     USSL_OUT_RECORD_AFTER_HANDSHAKE bytes (when that macro is defined;
     the output buffer then shrinks to that size after the handshake,
     which still needs the full MBEDTLS_SSL_OUT_CONTENT_LEN for our
     certificate chain), and never longer than the output buffer holds;
  4. buffers shrink to a TLS 1.2 AEAD suite's exact record expansion (24
     bytes for GCM) rather than the worst case of all suites built in
     (333 bytes with CBC suites: IV, MAC, 256 bytes of padding).

Usage: mbedtls_patch.py LIBRARY_DIR OUT_DIR
  Writes OUT_DIR/ssl_tls.c and OUT_DIR/ssl_tls12_client.c (only when
  their text changed, so that make does not rebuild them every time) and
  prints "1"; prints "0" and writes nothing when the code to patch is not
  found exactly once (another mbedTLS version): the build then keeps
  fixed-size buffers, which is safe.
"""

import os
import sys

CLI_OLD = """        return MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER;
    }

    return 0;
}
#endif /* MBEDTLS_SSL_MAX_FRAGMENT_LENGTH */"""
CLI_NEW = """        return MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER;
    }

    ssl->session_negotiate->mfl_code = buf[0];   /* ussl: agreed */
    return 0;
}
#endif /* MBEDTLS_SSL_MAX_FRAGMENT_LENGTH */"""

IN_OLD1 = """#if defined(MBEDTLS_SSL_PROTO_TLS1_2)
    /* Use the configured MFL for the client if we're past SERVER_HELLO_DONE */
    if (ssl->conf->endpoint == MBEDTLS_SSL_IS_CLIENT &&
        ssl->state >= MBEDTLS_SSL_SERVER_HELLO_DONE) {
        return ssl_mfl_code_to_length(ssl->conf->mfl_code);
    }
#endif

    /* Check if a smaller max length was negotiated */
    if (ssl->session_out != NULL) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_out->mfl_code);"""
IN_NEW1 = """    /* ussl: only a negotiated length limits what the peer may send */
    if (ssl->session_out != NULL &&
        ssl->session_out->mfl_code != MBEDTLS_SSL_MAX_FRAG_LEN_NONE) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_out->mfl_code);"""

IN_OLD2 = """    if (ssl->session_negotiate != NULL) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_negotiate->mfl_code);"""
IN_NEW2 = """    if (ssl->session_negotiate != NULL &&
        ssl->session_negotiate->mfl_code != MBEDTLS_SSL_MAX_FRAG_LEN_NONE) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_negotiate->mfl_code);"""

OUT_OLD = """        max_len = ssl_mfl_code_to_length(ssl->session_negotiate->mfl_code);
    }

    return max_len;
}"""
OUT_NEW = """        max_len = ssl_mfl_code_to_length(ssl->session_negotiate->mfl_code);
    }

#if defined(USSL_OUT_RECORD_AFTER_HANDSHAKE)
    /* ussl: smaller records of ours once the handshake is over */
    if ((ssl->state == MBEDTLS_SSL_HANDSHAKE_WRAPUP ||
         ssl->state == MBEDTLS_SSL_HANDSHAKE_OVER) &&
        max_len > USSL_OUT_RECORD_AFTER_HANDSHAKE) {
        max_len = USSL_OUT_RECORD_AFTER_HANDSHAKE;
    }
#endif
#if defined(MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH)
    /* ussl: never more than the output buffer holds */
    if (ssl->out_buf != NULL &&
        ssl->out_buf_len < ussl_buflen(ssl->transform_out, max_len)) {
        max_len = ssl->out_buf_len - ussl_buflen(ssl->transform_out, 0);
    }
#endif

    return max_len;
}"""


# 4. the sizes buffers shrink to: a TLS 1.2 AEAD's exact record expansion
# (explicit IV and tag, 24 bytes for GCM) instead of the worst case of
# every suite built in (a CBC suite's IV, MAC and 256 bytes of padding).
HELPER_OLD = """static void handle_buffer_resizing(mbedtls_ssl_context *ssl, int downsizing,"""
HELPER_NEW = """/* ussl: room for a record of len content bytes under transform t (NULL:
   none yet): a TLS 1.2 AEAD's exact expansion, else the worst case. */
static size_t ussl_buflen(const mbedtls_ssl_transform *t, size_t len)
{
#if defined(MBEDTLS_SSL_PROTO_TLS1_2)
    if (t != NULL && t->tls_version == MBEDTLS_SSL_VERSION_TLS1_2 &&
        t->maclen == 0 && t->taglen > 0 && t->ivlen >= t->fixed_ivlen) {
        return len + MBEDTLS_SSL_HEADER_LEN + (t->ivlen - t->fixed_ivlen) +
               t->taglen;
    }
#endif
    return len + MBEDTLS_SSL_HEADER_LEN + MBEDTLS_SSL_PAYLOAD_OVERHEAD;
}

static void handle_buffer_resizing(mbedtls_ssl_context *ssl, int downsizing,"""
SHRINK_OLD = """    handle_buffer_resizing(ssl, 1, mbedtls_ssl_get_input_buflen(ssl),
                           mbedtls_ssl_get_output_buflen(ssl));"""
SHRINK_NEW = """    handle_buffer_resizing(ssl, 1,   /* ussl: exact expansion */
        ussl_buflen(ssl->transform_in, mbedtls_ssl_get_input_max_frag_len(ssl)),
        ussl_buflen(ssl->transform_out,
                    mbedtls_ssl_get_output_max_frag_len(ssl)));"""


def replace_once(text, old, new):
    if text.count(old) != 1:
        return None
    return text.replace(old, new)


def write_if_changed(path, text):
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    lib, out = sys.argv[1], sys.argv[2]
    try:
        with open(os.path.join(lib, "ssl_tls.c")) as f:
            tls = f.read()
        with open(os.path.join(lib, "ssl_tls12_client.c")) as f:
            cli = f.read()
    except OSError:
        print("0")
        return 0
    cli = replace_once(cli, CLI_OLD, CLI_NEW)
    for old, new in ((IN_OLD1, IN_NEW1), (IN_OLD2, IN_NEW2),
                     (OUT_OLD, OUT_NEW), (HELPER_OLD, HELPER_NEW),
                     (SHRINK_OLD, SHRINK_NEW)):
        if tls is not None:
            tls = replace_once(tls, old, new)
    if cli is None or tls is None:
        print("0")
        return 0
    os.makedirs(out, exist_ok=True)
    head = "/* Copy of %s with fixes (micropython/ussl/mbedtls_patch.py). */\n"
    # The copies live outside lib/mbedtls/library: its private headers
    # are found through -I (micropython.mk).
    write_if_changed(os.path.join(out, "ssl_tls.c"),
                     head % "ssl_tls.c" + tls)
    write_if_changed(os.path.join(out, "ssl_tls12_client.c"),
                     head % "ssl_tls12_client.c" + cli)
    print("1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
