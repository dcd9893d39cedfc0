#!/usr/bin/env bash
# build.sh - build ussl's libFuzzer targets (clang, ASan + UBSan) and their
# seed corpora.
#
# Usage: fuzz/build.sh [BUILD_DIR]        (default build-fuzz)
#
# Compiles src/*.c (the mbedTLS engine) with coverage instrumentation and
# the bundled mbedTLS 3.6 sources with the sanitizers, links one binary per
# fuzz/fuzz_*.c, makes the test PKI (tests/certs/mkcerts.sh) in
# BUILD_DIR/certs and the seeds in BUILD_DIR/seeds (fuzz/mkcorpus.sh).
#
# mbedTLS is taken from USSL_MBEDTLS_SOURCE_DIR, else from build/_deps (left
# by a normal `make`), else fetched with deps/fetch-mbedtls.sh.
# Environment: JOBS (default 2), MBEDTLS_COV=1 (coverage-guide through
# mbedTLS's parsers as well).
set -euo pipefail

die() { echo "fuzz/build.sh: error: $*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build-fuzz}
mkdir -p "$B"
B=$(cd "$B" && pwd)
cov=${MBEDTLS_COV:-0}

command -v clang >/dev/null ||
    die "clang not found (apt-get install clang libclang-rt-14-dev)"
rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)
[ -f "$rt" ] || die "libFuzzer runtime missing (apt-get install libclang-rt-14-dev)"

src=""
for d in "${USSL_MBEDTLS_SOURCE_DIR:-}" "$top"/build/_deps/mbedtls-3.6.* \
         "$B"/_deps/mbedtls-3.6.*; do
    if [ -n "$d" ] && [ -f "$d/include/mbedtls/build_info.h" ]; then
        src=$d
        break
    fi
done
if [ -z "$src" ]; then
    src=$(bash "$top/deps/fetch-mbedtls.sh" \
          "${XDG_CACHE_HOME:-$HOME/.cache}/ussl/mbedtls" "$B/_deps" | tail -n 1)
fi
src=$(cd "$src" && pwd -P)
grep -q '^#define MBEDTLS_VERSION_STRING *"3\.6\.' "$src/include/mbedtls/build_info.h" ||
    die "$src is not mbedTLS 3.6"

# The library sources, as links.  (The CMake build's two fixes in
# cmake/UsslMbedtls.cmake concern variable buffers, off in the fuzz
# configuration, and a TLS 1.2 server's curve check; the RSA-PSS fix that
# 3.6.6 needed, once copied here too, is gone: a copy left by an older
# build is replaced by the link.)
lib="$B/mbedtls-lib"
mkdir -p "$lib"
for f in "$src"/library/*.c; do
    n=${f##*/}
    if [ -e "$lib/$n" ] && [ ! -L "$lib/$n" ]; then
        rm -f "$lib/$n" "$B"/obj/mbedtls*/"${n%.c}.o" "$B"/libmbedtls-fuzz*.a
    fi
    [ -e "$lib/$n" ] || ln -s "$f" "$lib/$n"
done
rm -f "$lib/.ssl_tls12_client.c.new"

# Binaries linked against the other mbedTLS variant must be relinked.
if [ "$(cat "$B/.mbedtls-cov" 2>/dev/null)" != "$cov" ]; then
    rm -f "$B"/fuzz_* "$B/mkseeds"
    echo "$cov" > "$B/.mbedtls-cov"
fi

bash "$top/tests/certs/mkcerts.sh" "$B/certs"
make --no-print-directory -f "$top/fuzz/fuzz.mk" -j"${JOBS:-2}" \
    B="$B" MBEDTLS_SRC="$src" MBEDTLS_LIB="$lib" MBEDTLS_COV="$cov"
bash "$top/fuzz/mkcorpus.sh" "$B"
echo "fuzz/build.sh: fuzzers in $B:" $(cd "$B" && ls fuzz_* )
