/*
 * ussl_mp_alloc.h - force-included into the core's sources by
 * micropython.mk: the core then allocates with mbedTLS's allocator, so
 * its memory comes from wherever the port sends mbedTLS's (the
 * MicroPython heap through m_tracked_calloc on bare-metal ports and the
 * unix coverage build, libc elsewhere).  m_tracked blocks are reachable
 * from a GC root, so the collector never frees them behind our back.
 */
#ifndef USSL_MP_ALLOC_H
#define USSL_MP_ALLOC_H

#include <mbedtls/platform.h>

#define USSL_CALLOC(n, size) mbedtls_calloc((n), (size))
#define USSL_FREE(p) mbedtls_free(p)

#endif /* USSL_MP_ALLOC_H */
