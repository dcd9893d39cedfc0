#!/usr/bin/env bash
# fetch-mbedtls.sh - obtain the mbedTLS 3.6 source (3.6.7 or a later 3.6.x)
# from Debian's unstable suite and unpack it, without touching the system's
# apt configuration (deps/fetch-debian-source.sh does the work and checks
# the archive signature and every hash).
#
# Usage: deps/fetch-mbedtls.sh [CACHE_DIR [DEST_DIR]]
#   CACHE_DIR  private apt state + downloaded files, kept so that other build
#              trees reuse the download (default ~/.cache/ussl/mbedtls)
#   DEST_DIR   where to unpack (default build/_deps): the source ends up in
#              DEST_DIR/mbedtls-3.6.x, and DEST_DIR/mbedtls-src links to it.
# Prints the unpacked source directory on the last line of stdout.
#
# Why 3.6.7 at least: 3.6.6 (Debian 13) lacks about twenty CVE fixes (among
# them CVE-2026-49300, malformed basicConstraints read as CA:TRUE).  4.x
# changes the API and is refused.
set -euo pipefail
[ $# -le 2 ] || { echo "usage: $0 [CACHE_DIR [DEST_DIR]]" >&2; exit 1; }
cache=${1:-${XDG_CACHE_HOME:-${HOME:?}/.cache}/ussl/mbedtls}
dest=${2:-$(dirname "$0")/../build/_deps}
export ACCEPT_VERSION='
    v=${1%%[+~-]*}
    case $v in
    3.6.*) p=${v#3.6.}; p=${p%%.*}
           [ "$p" -ge 7 ] 2>/dev/null || { echo "mbedTLS $v is older than 3.6.7 (known CVEs)"; exit 1; } ;;
    4.*|[5-9].*) echo "mbedTLS $v is not supported (ussl needs the 3.6 LTS branch, 3.6.7 or later)"; exit 1 ;;
    *) echo "mbedTLS $v is not 3.6.x"; exit 1 ;;
    esac'
src=$(bash "$(dirname "$0")/fetch-debian-source.sh" mbedtls sid "$cache" "$dest" include/mbedtls/build_info.h | tail -n 1)
# Belt and braces: the header's version must agree with the file name.
hdrver=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$src/include/mbedtls/build_info.h")
case ${src##*/mbedtls-} in
    "$hdrver"*) ;;
    *) echo "fetch-mbedtls: error: version mismatch: tarball ${src##*/mbedtls-}, header $hdrver" >&2; exit 1 ;;
esac
echo "$src"
