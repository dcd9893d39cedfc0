# UsslMbedtls.cmake - provides the target ussl::mbedtls for the build.
#
#   USSL_MBEDTLS=bundled  mbedTLS 3.6 (3.6.7 or later) from Debian unstable's source package
#                         (deps/fetch-mbedtls.sh), compiled here as one
#                         static, position-independent library with our
#                         deps/mbedtls_config.h.
#   USSL_MBEDTLS=system   the distribution's libmbedtls-dev (2.28 on Debian
#                         12), linked as shared libraries.
#
# Either way, whoever links ussl::mbedtls gets the include directories and
# the macros (MBEDTLS_CONFIG_FILE, USSL_MBEDTLS_*; USSL_MBEDTLS_BUNDLED in
# the bundled build) that the library itself was compiled with: a mismatch
# would change structure layouts.

set(USSL_DEPS_CACHE "" CACHE PATH
    "Where the mbedTLS download is kept, shared by build trees (default: ~/.cache/ussl)")
set(USSL_MBEDTLS_SOURCE_DIR "" CACHE PATH
    "An already unpacked mbedTLS 3.6 source tree to use instead of downloading")
set(USSL_MBEDTLS_DEFINES "" CACHE STRING
    "Extra macros for the bundled mbedTLS and its users, e.g. USSL_MBEDTLS_DEBUG")

find_package(Threads REQUIRED)

if(USSL_MBEDTLS STREQUAL "bundled")
    if(USSL_MBEDTLS_SOURCE_DIR)
        set(_mbedtls_src "${USSL_MBEDTLS_SOURCE_DIR}")
    else()
        if(USSL_DEPS_CACHE)
            set(_cache "${USSL_DEPS_CACHE}")
        elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
            set(_cache "$ENV{XDG_CACHE_HOME}/ussl")
        elseif(DEFINED ENV{HOME} AND NOT "$ENV{HOME}" STREQUAL "")
            set(_cache "$ENV{HOME}/.cache/ussl")
        else()
            set(_cache "${CMAKE_BINARY_DIR}/_deps/cache")
        endif()
        # At configure time, so that the list of library sources is known.
        execute_process(
            COMMAND bash "${PROJECT_SOURCE_DIR}/deps/fetch-mbedtls.sh"
                    "${_cache}/mbedtls" "${CMAKE_BINARY_DIR}/_deps"
            OUTPUT_VARIABLE _fetch_out
            RESULT_VARIABLE _fetch_rc)
        if(NOT _fetch_rc EQUAL 0)
            message(FATAL_ERROR
                "Could not obtain mbedTLS 3.6 (deps/fetch-mbedtls.sh failed, see above). "
                "Use -DUSSL_MBEDTLS=system for the distribution's mbedTLS, or "
                "-DUSSL_MBEDTLS_SOURCE_DIR=<unpacked mbedtls-3.6.x>.")
        endif()
        string(STRIP "${_fetch_out}" _fetch_out)
        string(REGEX REPLACE ".*\n" "" _mbedtls_src "${_fetch_out}")
    endif()
    if(NOT EXISTS "${_mbedtls_src}/include/mbedtls/build_info.h")
        message(FATAL_ERROR "${_mbedtls_src} is not an mbedTLS source tree")
    endif()
    file(STRINGS "${_mbedtls_src}/include/mbedtls/build_info.h" _v
         REGEX "^#define MBEDTLS_VERSION_STRING +\"")
    string(REGEX REPLACE ".*\"(.*)\".*" "\\1" USSL_MBEDTLS_VERSION "${_v}")
    # 3.6.7 fixes CVEs that matter here (basicConstraints parsing, TLS 1.3
    # serialized sessions) and the TLS 1.2 RSA-PSS regression of 3.6.6.
    if(NOT USSL_MBEDTLS_VERSION MATCHES "^3\\.6\\." OR
       USSL_MBEDTLS_VERSION VERSION_LESS "3.6.7")
        message(FATAL_ERROR "bundled mbedTLS must be 3.6.x at or above 3.6.7, found ${USSL_MBEDTLS_VERSION}")
    endif()

    # Every file is compiled; what our config leaves out compiles to nothing.
    # This is quicker and sturdier than driving mbedTLS's own CMake project.
    file(GLOB _mbedtls_c "${_mbedtls_src}/library/*.c")

    # Two fixes are applied to copies of library files in the build tree
    # (the download itself stays untouched); 3.6.7 still needs both.  Each
    # replaces text that must occur exactly once; when it does not (another
    # mbedTLS), the fix is left out with a message and what depends on it
    # stays off.  (3.6.6 also needed a third: its TLS 1.2 client refused
    # RSA-PSS in a ServerKeyExchange, Mbed-TLS issue 10668; 3.6.7 fixed it.)
    set(_patch_dir "${CMAKE_BINARY_DIR}/_deps/patched")
    set(_cli12 "${_mbedtls_src}/library/ssl_tls12_client.c")
    set(_tls "${_mbedtls_src}/library/ssl_tls.c")
    file(READ "${_cli12}" _cli12_text)
    file(READ "${_tls}" _tls_text)
    set(_cli12_fixed FALSE)
    set(_tls_fixes "")

    # ussl_replace_once(VAR OLD NEW OK): replace OLD by NEW in VAR when OLD
    # occurs exactly once; OK is set to TRUE or FALSE.
    function(ussl_replace_once var old new ok)
        string(FIND "${${var}}" "${old}" _first)
        string(FIND "${${var}}" "${old}" _last REVERSE)
        if(_first GREATER -1 AND _first EQUAL _last)
            string(REPLACE "${old}" "${new}" _t "${${var}}")
            set(${var} "${_t}" PARENT_SCOPE)
            set(${ok} TRUE PARENT_SCOPE)
        else()
            set(${ok} FALSE PARENT_SCOPE)
        endif()
    endfunction()

    # 1. Buffers that shrink to the negotiated maximum fragment length
    # (MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH) are unusable in 3.6.7 with a
    # small output buffer: once the handshake is over the input buffer is
    # cut to min(IN, OUT) content bytes when no fragment length was
    # negotiated (Mbed-TLS issue 4485), and a TLS 1.2 client cuts it to
    # the length it asked for even when the server ignored the request.
    # Either way the peer's next full-size record fails.  Fixed here: the
    # input limit is the negotiated length if any, else IN_CONTENT_LEN,
    # and the TLS 1.2 client records the length the server agreed to.
    option(USSL_MBEDTLS_VARIABLE_BUFFERS
           "Shrink the bundled mbedTLS's record buffers to a negotiated max fragment length" ON)
    if(USSL_MBEDTLS_VARIABLE_BUFFERS)
        set(_cli_t "${_cli12_text}")
        set(_tls_t "${_tls_text}")
        ussl_replace_once(_cli_t
"        return MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER;
    }

    return 0;
}
#endif /* MBEDTLS_SSL_MAX_FRAGMENT_LENGTH */"
"        return MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER;
    }

    ssl->session_negotiate->mfl_code = buf[0];   /* ussl: agreed */
    return 0;
}
#endif /* MBEDTLS_SSL_MAX_FRAGMENT_LENGTH */"
            _ok1)
        ussl_replace_once(_tls_t
"#if defined(MBEDTLS_SSL_PROTO_TLS1_2)
    /* Use the configured MFL for the client if we're past SERVER_HELLO_DONE */
    if (ssl->conf->endpoint == MBEDTLS_SSL_IS_CLIENT &&
        ssl->state >= MBEDTLS_SSL_SERVER_HELLO_DONE) {
        return ssl_mfl_code_to_length(ssl->conf->mfl_code);
    }
#endif

    /* Check if a smaller max length was negotiated */
    if (ssl->session_out != NULL) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_out->mfl_code);"
"    /* ussl: only a negotiated length limits what the peer may send */
    if (ssl->session_out != NULL &&
        ssl->session_out->mfl_code != MBEDTLS_SSL_MAX_FRAG_LEN_NONE) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_out->mfl_code);"
            _ok2)
        ussl_replace_once(_tls_t
"    if (ssl->session_negotiate != NULL) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_negotiate->mfl_code);"
"    if (ssl->session_negotiate != NULL &&
        ssl->session_negotiate->mfl_code != MBEDTLS_SSL_MAX_FRAG_LEN_NONE) {
        read_mfl = ssl_mfl_code_to_length(ssl->session_negotiate->mfl_code);"
            _ok3)
        if(_ok1 AND _ok2 AND _ok3)
            set(_cli12_text "${_cli_t}")
            set(_cli12_fixed TRUE)
            set(_tls_text "${_tls_t}")
            set(_tls_fixes "variable buffers")
            set(USSL_MBEDTLS_VARIABLE_BUFFERS_ON TRUE)
            message(STATUS "ussl: mbedTLS record buffers shrink to a negotiated max fragment length (USSL_MBEDTLS_VARIABLE_BUFFERS)")
        else()
            message(STATUS "ussl: USSL_MBEDTLS_VARIABLE_BUFFERS not applied (code not found in this mbedTLS)")
        endif()
    endif()

    # 2. With MBEDTLS_USE_PSA_CRYPTO (our config), 3.6.7's TLS 1.2 server
    # compares a PSA algorithm with MBEDTLS_PK_ECDSA when it checks that
    # the client offered its ECDSA certificate's curve, so the check never
    # runs: it picks a suite the client must then abort with an alert.
    set(_srv12 "${_mbedtls_src}/library/ssl_tls12_server.c")
    file(READ "${_srv12}" _srv12_text)
    ussl_replace_once(_srv12_text
"        if (pk_alg == MBEDTLS_PK_ECDSA &&
            ssl_check_key_curve("
"        if (USSL_PK_ALG_IS_ECDSA(pk_alg) &&
            ssl_check_key_curve("
        _ok)
    if(_ok)
        file(CONFIGURE OUTPUT "${_patch_dir}/ssl_tls12_server.c" CONTENT
"/* Copy of ${_srv12} with a fix (cmake/UsslMbedtls.cmake). */
#include \"mbedtls/build_info.h\"
#if defined(MBEDTLS_USE_PSA_CRYPTO)
#define USSL_PK_ALG_IS_ECDSA(a) PSA_ALG_IS_ECDSA(a)
#else
#define USSL_PK_ALG_IS_ECDSA(a) ((a) == MBEDTLS_PK_ECDSA)
#endif
\${_srv12_text}")
        list(REMOVE_ITEM _mbedtls_c "${_srv12}")
        list(APPEND _mbedtls_c "${_patch_dir}/ssl_tls12_server.c")
        message(STATUS "ussl: mbedTLS TLS 1.2 server checks the ECDSA certificate's curve under USE_PSA_CRYPTO")
    else()
        message(STATUS "ussl: TLS 1.2 server curve fix not applied (code not found in this mbedTLS)")
    endif()

    if(_cli12_fixed)
        file(CONFIGURE OUTPUT "${_patch_dir}/ssl_tls12_client.c" CONTENT
"/* Copy of ${_cli12} with fixes (cmake/UsslMbedtls.cmake). */
\${_cli12_text}")
        list(REMOVE_ITEM _mbedtls_c "${_cli12}")
        list(APPEND _mbedtls_c "${_patch_dir}/ssl_tls12_client.c")
    endif()
    if(NOT _tls_fixes STREQUAL "")
        file(CONFIGURE OUTPUT "${_patch_dir}/ssl_tls.c" CONTENT
"/* Copy of ${_tls} with fixes (cmake/UsslMbedtls.cmake). */
\${_tls_text}")
        list(REMOVE_ITEM _mbedtls_c "${_tls}")
        list(APPEND _mbedtls_c "${_patch_dir}/ssl_tls.c")
    endif()
    add_library(ussl_mbedtls STATIC ${_mbedtls_c})
    set_target_properties(ussl_mbedtls PROPERTIES
        POSITION_INDEPENDENT_CODE ON
        C_STANDARD 99
        C_EXTENSIONS ON
        OUTPUT_NAME ussl-mbedtls)
    target_include_directories(ussl_mbedtls SYSTEM PUBLIC "${_mbedtls_src}/include")
    target_include_directories(ussl_mbedtls PRIVATE "${_mbedtls_src}/library")
    # An absolute path: a bare name would find upstream's default
    # include/mbedtls/mbedtls_config.h next to build_info.h first.
    target_compile_definitions(ussl_mbedtls PUBLIC
        "MBEDTLS_CONFIG_FILE=\"${PROJECT_SOURCE_DIR}/deps/mbedtls_config.h\""
        USSL_MBEDTLS_BUNDLED
        USSL_MBEDTLS_THREADING
        USSL_MBEDTLS_FS_IO
        $<$<BOOL:${USSL_MBEDTLS_VARIABLE_BUFFERS_ON}>:USSL_MBEDTLS_VARIABLE_BUFFERS>
        ${USSL_MBEDTLS_DEFINES})
    # Upstream code: its warnings are not ours to fix.
    target_compile_options(ussl_mbedtls PRIVATE -w)
    # mbedTLS 3.6.7 calls memcmp(NULL, ..., 0) when it compares the names
    # of an empty certificate (x509_name_cmp, reached by a peer that sends
    # one; a fuzz regression input does).  Harmless, but UBSan stops on it:
    # that one check is left out of the engine's own code only.
    if(USSL_SANITIZE MATCHES "undefined")
        target_compile_options(ussl_mbedtls PRIVATE
            -fno-sanitize=nonnull-attribute)
    endif()
    target_link_libraries(ussl_mbedtls PUBLIC Threads::Threads)
    add_library(ussl::mbedtls ALIAS ussl_mbedtls)
    message(STATUS "ussl: bundled mbedTLS ${USSL_MBEDTLS_VERSION} from ${_mbedtls_src}")

elseif(USSL_MBEDTLS STREQUAL "system")
    find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h)
    find_library(MBEDTLS_LIB mbedtls)
    find_library(MBEDX509_LIB mbedx509)
    find_library(MBEDCRYPTO_LIB mbedcrypto)
    if(NOT MBEDTLS_INCLUDE_DIR OR NOT MBEDTLS_LIB OR NOT MBEDX509_LIB OR NOT MBEDCRYPTO_LIB)
        message(FATAL_ERROR "system mbedTLS not found: apt-get install libmbedtls-dev")
    endif()
    foreach(_h mbedtls/build_info.h mbedtls/version.h)
        if(EXISTS "${MBEDTLS_INCLUDE_DIR}/${_h}")
            file(STRINGS "${MBEDTLS_INCLUDE_DIR}/${_h}" _v
                 REGEX "^#define MBEDTLS_VERSION_STRING +\"")
            if(_v)
                string(REGEX REPLACE ".*\"(.*)\".*" "\\1" USSL_MBEDTLS_VERSION "${_v}")
                break()
            endif()
        endif()
    endforeach()
    add_library(ussl_mbedtls INTERFACE)
    target_include_directories(ussl_mbedtls SYSTEM INTERFACE "${MBEDTLS_INCLUDE_DIR}")
    # Same knobs as the bundled build; the distribution's own config.h
    # decides (Debian's has threading and file I/O on).
    target_compile_definitions(ussl_mbedtls INTERFACE USSL_MBEDTLS_THREADING USSL_MBEDTLS_FS_IO)
    target_link_libraries(ussl_mbedtls INTERFACE
        "${MBEDTLS_LIB}" "${MBEDX509_LIB}" "${MBEDCRYPTO_LIB}" Threads::Threads)
    add_library(ussl::mbedtls ALIAS ussl_mbedtls)
    message(STATUS "ussl: system mbedTLS ${USSL_MBEDTLS_VERSION} (${MBEDTLS_LIB})")

else()
    message(FATAL_ERROR "USSL_MBEDTLS must be 'bundled' or 'system', not '${USSL_MBEDTLS}'")
endif()
