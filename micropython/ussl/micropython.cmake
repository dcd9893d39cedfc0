# micropython.cmake - ussl (the `tls` and `ussl` modules) as a user C
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
    ${USSL_ROOT}/src/error.c
    ${USSL_ROOT}/src/verify.c
    ${USSL_ROOT}/src/engine_mbedtls.c
)

target_sources(usermod_ussl INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/mod_tls.c
    ${CMAKE_CURRENT_LIST_DIR}/mod_ussl.c
    ${CMAKE_CURRENT_LIST_DIR}/sslsocket.c
    ${CMAKE_CURRENT_LIST_DIR}/errors.c
    ${CMAKE_CURRENT_LIST_DIR}/mbedtls_glue.c
    ${USSL_CORE_SOURCES}
)

target_include_directories(usermod_ussl INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${USSL_ROOT}/include
)

# The stock module registers `tls` too: switch it off (ports whose
# mpconfigport.h guards MICROPY_PY_SSL with #ifndef, such as rp2).
target_compile_definitions(usermod_ussl INTERFACE
    USSL_STATIC
    MICROPY_PY_SSL=0
)

# The core allocates with mbedTLS's allocator (see ussl_mp_alloc.h).  This
# file is include()d from the port's CMakeLists.txt, so the property is
# set in the directory that compiles these sources.
set_source_files_properties(${USSL_CORE_SOURCES} PROPERTIES
    COMPILE_OPTIONS "SHELL:-include ${CMAKE_CURRENT_LIST_DIR}/ussl_mp_alloc.h"
)

# mbedTLS itself comes with the port (its include path and
# MBEDTLS_CONFIG_FILE reach these sources through the firmware target).
# With -DMBEDTLS_CONFIG_FILE=<this dir>/ussl_mbedtls_config.h on a port
# that compiles lib/mbedtls (rp2), add the sources its list lacks for
# TLS 1.3 with -DUSSL_MBEDTLS_CONFIG=ON.
option(USSL_MBEDTLS_CONFIG "lib/mbedtls is built with ussl_mbedtls_config.h" OFF)
if(USSL_MBEDTLS_CONFIG)
    file(GLOB USSL_MBEDTLS_EXTRA
        ${MICROPY_DIR}/lib/mbedtls/library/ssl_tls13_*.c
        ${MICROPY_DIR}/lib/mbedtls/library/psa_*.c
        ${MICROPY_DIR}/lib/mbedtls/library/hkdf.c
    )
    target_sources(usermod_ussl INTERFACE ${USSL_MBEDTLS_EXTRA})
endif()

target_link_libraries(usermod INTERFACE usermod_ussl)
