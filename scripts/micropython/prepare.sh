#!/usr/bin/env bash
# prepare.sh - the MicroPython source tree the MicroPython checks and
# benchmarks build in: Debian's MicroPython source (deps/fetch-micropython.sh)
# with its empty lib/mbedtls filled from our mbedTLS source
# (deps/fetch-mbedtls.sh).  Both downloads are signature- and hash-checked
# and cached under ~/.cache/ussl; the tree is made once and reused.
#
# Usage: scripts/micropython/prepare.sh [OUT_DIR]   (default build-micropython)
# Prints the tree's path (OUT_DIR/micropython) on the last line of stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build-micropython}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${USSL_DEPS_CACHE:-${XDG_CACHE_HOME:-${HOME:?}/.cache}/ussl}

mp_src=$(bash "$root/deps/fetch-micropython.sh" "$cache/micropython" "$out/_deps" | tail -n 1)
mb_src=$(bash "$root/deps/fetch-mbedtls.sh" "$cache/mbedtls" "$out/_deps" | tail -n 1)

tree=$out/micropython
stamp=$tree/.ussl-prepared
want="$(basename "$mp_src") $(basename "$mb_src")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$tree"
    exit 0
fi
echo "prepare: copying $(basename "$mp_src") to $tree" >&2
rm -rf "$tree"
cp -a "$mp_src" "$tree"
# lib/mbedtls: a copy of our mbedTLS source (the +ds tarball leaves it empty).
rm -rf "$tree/lib/mbedtls"
cp -a "$mb_src" "$tree/lib/mbedtls"
echo "$want" >"$stamp"
echo "$tree"
