# micropython.cmake - ussl (the `tls`, `ssl` and `ussl` modules) as a user C
# module of a CMake-based port.  Not built in this project's CI (no
# ESP-IDF or Pico SDK here): see docs/micropython.md for its status.
#
# mbedTLS is the port's: micropy_lib_mbedtls (rp2 and other ports built
# on extmod.cmake) or ESP-IDF's component (esp32), with the port's own
# configuration unless told otherwise (below).

add_library(usermod_ussl INTERFACE)

get_filename_component(USSL_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(USSL_CORE_SOURCES
    ${USSL_ROOT}/src/ctx.c
    ${USSL_ROOT}/src/conn.c
    ${USSL_ROOT}/src/dtls.c
    ${USSL_ROOT}/src/error.c
    ${USSL_ROOT}/src/der.c
    ${USSL_ROOT}/src/verify.c
    ${USSL_ROOT}/src/verify_cert.c
    ${USSL_ROOT}/src/verify_names.c
    ${USSL_ROOT}/src/verify_nc.c
    ${USSL_ROOT}/src/verify_profile.c
    ${USSL_ROOT}/src/engine_mbedtls.c
    ${USSL_ROOT}/src/mbedtls_x509.c
    ${USSL_ROOT}/src/mbedtls_session.c
    ${USSL_ROOT}/src/mbedtls_psk.c
    ${USSL_ROOT}/src/psk.c
    ${USSL_ROOT}/src/mbedtls_dtls.c
    ${USSL_ROOT}/src/mbedtls_sign.c
    ${USSL_ROOT}/src/sign.c
    ${USSL_ROOT}/src/session.c
    ${USSL_ROOT}/src/session_cache.c
    ${USSL_ROOT}/src/session_leaf.c
)

# USSL_SEED_MODULE=OFF leaves out the `ussl` module (seed API), keeping
# only `tls`.
option(USSL_SEED_MODULE "the ussl module (seed API) as well as tls" ON)
if(USSL_SEED_MODULE)
    target_sources(usermod_ussl INTERFACE ${CMAKE_CURRENT_LIST_DIR}/mod_ussl.c)
endif()

# USSL_SSL_MODULE=OFF leaves out the built-in `ssl` module (MicroPython's
# documented ssl API, for firmware without micropython-lib's ssl.py).
option(USSL_SSL_MODULE "the ssl module (documented ssl API over tls)" ON)
if(USSL_SSL_MODULE)
    target_sources(usermod_ussl INTERFACE ${CMAKE_CURRENT_LIST_DIR}/mod_ssl.c)
endif()

target_sources(usermod_ussl INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/mod_tls.c
    ${CMAKE_CURRENT_LIST_DIR}/mod_tls_psk.c
    ${CMAKE_CURRENT_LIST_DIR}/sslsocket.c
    ${CMAKE_CURRENT_LIST_DIR}/sslsession.c
    ${CMAKE_CURRENT_LIST_DIR}/errors.c
    ${CMAKE_CURRENT_LIST_DIR}/signcb.c
    ${CMAKE_CURRENT_LIST_DIR}/mbedtls_glue.c
    ${USSL_CORE_SOURCES}
)

target_include_directories(usermod_ussl INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${USSL_ROOT}/include
)
# The sign callback's key table (src/mbedtls_sign.c) is declared in
# mbedTLS's library/pk_wrap.h.
set_source_files_properties(${USSL_ROOT}/src/mbedtls_sign.c PROPERTIES
    INCLUDE_DIRECTORIES ${MICROPY_DIR}/lib/mbedtls/library)

# The stock module registers `tls` too: switch it off (ports whose
# mpconfigport.h guards MICROPY_PY_SSL with #ifndef, such as rp2).
target_compile_definitions(usermod_ussl INTERFACE
    USSL_STATIC
    MICROPY_PY_SSL=0
    USSL_CLOCK_MS=ussl_mp_ticks_ms
)

# The core allocates with mbedTLS's allocator (see ussl_mp_alloc.h).  This
# file is include()d from the port's CMakeLists.txt, so the property is
# set in the directory that compiles these sources.
# Two list items rather than "SHELL:-include <file>": CMake 3.25 (Debian
# 12) passes the SHELL: prefix of a source file's COMPILE_OPTIONS to the
# compiler literally.  (No de-duplication applies to source properties.)
set_source_files_properties(${USSL_CORE_SOURCES} PROPERTIES
    COMPILE_OPTIONS "-include;${CMAKE_CURRENT_LIST_DIR}/ussl_mp_alloc.h"
)

# mbedTLS itself comes with the port (its include path and
# MBEDTLS_CONFIG_FILE reach these sources through the firmware target).
# With -DMBEDTLS_CONFIG_FILE=<this dir>/ussl_mbedtls_config.h on a port
# that compiles lib/mbedtls (rp2), add -DUSSL_MBEDTLS_CONFIG=ON: that adds
# the PSA sources the port's list lacks (and TLS 1.3's with USSL_TLS13),
# and passes the options below to every source, mbedTLS's included (they
# change structure layouts).
option(USSL_MBEDTLS_CONFIG "lib/mbedtls is built with ussl_mbedtls_config.h" OFF)
option(USSL_TLS13 "TLS 1.3 as well as 1.2 (with USSL_MBEDTLS_CONFIG)" OFF)
option(USSL_USE_PSA "TLS 1.2 record keys in PSA (with USSL_MBEDTLS_CONFIG)" OFF)
if(NOT USSL_MBEDTLS_CONFIG)
    # The core reads PEM as well as DER; MicroPython 1.26's base mbedTLS
    # configuration leaves PEM out (its source list has pem.c and
    # base64.c).  Defined empty, as a configuration header would, so that
    # a port header that has them already redefines nothing.
    target_compile_definitions(usermod_ussl INTERFACE
        MBEDTLS_PEM_PARSE_C=
        MBEDTLS_BASE64_C=
    )
endif()
if(USSL_MBEDTLS_CONFIG)
    file(GLOB USSL_MBEDTLS_EXTRA ${MICROPY_DIR}/lib/mbedtls/library/psa_*.c)
    if(USSL_TLS13)
        file(GLOB USSL_MBEDTLS_TLS13
            ${MICROPY_DIR}/lib/mbedtls/library/ssl_tls13_*.c
            ${MICROPY_DIR}/lib/mbedtls/library/hkdf.c
        )
        list(APPEND USSL_MBEDTLS_EXTRA ${USSL_MBEDTLS_TLS13})
    endif()
    target_sources(usermod_ussl INTERFACE ${USSL_MBEDTLS_EXTRA})
    if(USSL_TLS13)
        set(USSL_TLS13_VALUE 1)
    else()
        set(USSL_TLS13_VALUE 0)
    endif()
    if(USSL_USE_PSA)
        set(USSL_USE_PSA_VALUE 1)
    else()
        set(USSL_USE_PSA_VALUE 0)
    endif()
    target_compile_definitions(usermod_ussl INTERFACE
        USSL_MP_TLS13=${USSL_TLS13_VALUE}
        USSL_MP_USE_PSA=${USSL_USE_PSA_VALUE}
    )
endif()

target_link_libraries(usermod INTERFACE usermod_ussl)
