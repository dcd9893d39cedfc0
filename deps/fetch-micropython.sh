#!/usr/bin/env bash
# fetch-micropython.sh - obtain MicroPython's source (1.26.x) from Debian's
# unstable suite and unpack it, without touching the system's apt
# configuration (deps/fetch-debian-source.sh checks the archive signature
# and every hash).
#
# Usage: deps/fetch-micropython.sh [CACHE_DIR [DEST_DIR]]
#   CACHE_DIR  default ~/.cache/ussl/micropython
#   DEST_DIR   default build-micropython/_deps: the source ends up in
#              DEST_DIR/micropython-1.26.x+ds, DEST_DIR/micropython-src
#              links to it, and Debian's debian/ directory (its patches)
#              sits beside it as micropython-VERSION.debian.
# Prints the unpacked source directory on the last line of stdout.
#
# Debian's tarball is "+ds": lib/ submodules (lib/mbedtls, lib/micropython-lib,
# lib/berkeley-db-1.xx, ...) are empty.  Builds fill lib/mbedtls from our own
# mbedTLS source (deps/fetch-mbedtls.sh) and set MICROPY_PY_BTREE=0.
set -euo pipefail
[ $# -le 2 ] || { echo "usage: $0 [CACHE_DIR [DEST_DIR]]" >&2; exit 1; }
cache=${1:-${XDG_CACHE_HOME:-${HOME:?}/.cache}/ussl/micropython}
dest=${2:-$(dirname "$0")/../build-micropython/_deps}
export ACCEPT_VERSION='
    case $1 in
    1.2[6-9].*|1.[3-9][0-9].*) ;;
    *) echo "MicroPython $1 is older than 1.26"; exit 1 ;;
    esac'
exec bash "$(dirname "$0")/fetch-debian-source.sh" micropython sid "$cache" "$dest" py/mpconfig.h
