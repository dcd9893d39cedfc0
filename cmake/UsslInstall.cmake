# UsslInstall.cmake - what `make install` (cmake --install) puts where.
#
#   lib/libussl.so.0 (+ libussl.so)  the shared library: only ussl_*
#                                     symbols exported, the engine linked in
#   lib/libussl.a                     the static library; with the bundled
#   lib/libussl_mbedtls.a             mbedTLS, that mbedTLS beside it
#   include/ussl.h
#   lib/pkgconfig/ussl.pc             pkg-config (engine as *.private)
#   lib/cmake/ussl/                   find_package(ussl CONFIG): ussl::ussl
#                                     (shared), ussl::ussl_static
#   bin/usslcat, share/man/man1/usslcat.1, share/man/man3/ussl*.3
#
# The standard variables apply: CMAKE_INSTALL_PREFIX, CMAKE_INSTALL_LIBDIR
# (GNUInstallDirs), and DESTDIR at install time.  build/install_manifest.txt
# lists what was installed (`make uninstall` removes exactly that).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS ussl ussl_shared
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Devel)
if(TARGET usslcat)
    install(TARGETS usslcat RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES "${PROJECT_SOURCE_DIR}/include/ussl.h"
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# What a static link needs besides libussl.a.
set(USSL_PC_REQUIRES_PRIVATE "")
set(USSL_PC_LIBS_PRIVATE "-lpthread")
set(USSL_CMAKE_STATIC_DEPS "Threads::Threads")
if(USSL_ENGINE STREQUAL "openssl")
    set(USSL_PC_REQUIRES_PRIVATE "libssl libcrypto")
    set(USSL_CMAKE_STATIC_DEPS "OpenSSL::SSL;OpenSSL::Crypto;Threads::Threads")
elseif(USSL_MBEDTLS STREQUAL "bundled")
    install(TARGETS ussl_mbedtls ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
    get_target_property(_mb_name ussl_mbedtls OUTPUT_NAME)
    if(NOT _mb_name)
        set(_mb_name ussl_mbedtls)
    endif()
    set(USSL_PC_LIBS_PRIVATE "-l${_mb_name} -lpthread")
    set(USSL_CMAKE_STATIC_DEPS "\${_ussl_libdir}/lib${_mb_name}.a;Threads::Threads")
else()
    set(USSL_PC_LIBS_PRIVATE "-lmbedtls -lmbedx509 -lmbedcrypto -lpthread")
    set(USSL_CMAKE_STATIC_DEPS "mbedtls;mbedx509;mbedcrypto;Threads::Threads")
endif()

# The .pc file finds its prefix from where it lies, so a tree installed
# with `cmake --install --prefix DIR` or moved elsewhere works as well.
file(RELATIVE_PATH USSL_PC_TO_PREFIX
    "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" USSL_PC_TO_PREFIX "${USSL_PC_TO_PREFIX}")
configure_file("${PROJECT_SOURCE_DIR}/packaging/ussl.pc.in"
    "${CMAKE_BINARY_DIR}/ussl.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/ussl.pc"
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(USSL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ussl)
configure_package_config_file("${PROJECT_SOURCE_DIR}/packaging/ussl-config.cmake.in"
    "${CMAKE_BINARY_DIR}/ussl-config.cmake"
    INSTALL_DESTINATION ${USSL_CMAKE_DIR}
    PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/ussl-config-version.cmake"
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/ussl-config.cmake"
    "${CMAKE_BINARY_DIR}/ussl-config-version.cmake"
    DESTINATION ${USSL_CMAKE_DIR})

file(GLOB _ussl_man1 "${PROJECT_SOURCE_DIR}/man/*.1")
file(GLOB _ussl_man3 "${PROJECT_SOURCE_DIR}/man/*.3")
install(FILES ${_ussl_man1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_ussl_man3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
