#!/usr/bin/env bash
# test_install.sh - install a built tree into a staging directory and use it
# as a user would: a C client built with pkg-config (shared and static) and
# with CMake's find_package(ussl CONFIG) (ussl::ussl, ussl::ussl_static),
# each run against the installed usslcat serving on 127.0.0.1, with the
# server verified.  Then the manifest-driven uninstall must leave nothing.
#
# Usage: test_install.sh SOURCE_DIR BUILD_DIR CERT_DIR
# Ends with "N passed, N failed".
set -uo pipefail
src=$1 build=$2 certs=$3
work=$(mktemp -d)
server_pid=""
# cmake --install rewrites the build tree's install_manifest.txt, which
# `make uninstall` reads: keep the user's own and put it back.
manifest=$build/install_manifest.txt
[ -f "$manifest" ] && cp "$manifest" "$work/manifest.user"
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    if [ -f "$work/manifest.user" ]; then cp "$work/manifest.user" "$manifest"; else rm -f "$manifest"; fi
    rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

for t in pkg-config cc; do
    command -v $t >/dev/null || { echo "FAIL: $t not found"; bad tools; finish; }
done
[ -f "$certs/ca.pem" ] || { bad "certificates in $certs"; finish; }

# 1. Install with another prefix (the .pc file and the CMake package are
#    relocatable) and check what went where.
prefix=$work/prefix
if cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
    ok "cmake --install into a staging prefix"
else
    cat "$work/install.log"; bad "cmake --install"; finish
fi
pcfile=$(find "$prefix" -name ussl.pc | head -n 1)
libdir=$(dirname "$(dirname "$pcfile")")
for f in "$prefix/include/ussl.h" "$libdir/libussl.a" "$libdir/libussl.so.0" \
         "$libdir/libussl.so" "$libdir/cmake/ussl/ussl-config.cmake" "$prefix/bin/usslcat"; do
    [ -e "$f" ] && ok "installed ${f#$prefix/}" || bad "missing ${f#$prefix/}"
done
for page in usslcat.1 ussl.3; do
    if ls "$src/man/$page" >/dev/null 2>&1; then
        [ -f "$prefix/share/man/man${page##*.}/$page" ] && ok "man page $page" || bad "man page $page not installed"
    fi
done
soname=$(objdump -p "$libdir/libussl.so" 2>/dev/null | awk '/SONAME/ { print $2 }')
[ "$soname" = libussl.so.0 ] && ok "soname libussl.so.0" || bad "soname is '$soname'"
extra=$(nm -D --defined-only "$libdir/libussl.so" | awk 'NF == 3 { print $3 }' | grep -v '^ussl_' | head -n 5)
[ -z "$extra" ] && ok "only ussl_* symbols exported" || bad "exported besides ussl_*: $extra"

# 2. The installed usslcat serves (echo) on a free port.
"$prefix/bin/usslcat" --listen --keep-open --echo --port-file "$work/port" \
    --certfile "$certs/server-ec-chain.pem" --keyfile "$certs/server-ec.key" \
    127.0.0.1 0 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port" 2>/dev/null)
[ -n "$port" ] && ok "installed usslcat listens" || { cat "$work/server.log"; bad "usslcat --listen"; finish; }

run_client() { # NAME BINARY [ENV...]
    local name=$1 bin=$2; shift 2
    if [ ! -x "$bin" ]; then bad "$name: not built"; return; fi
    if env "$@" timeout 30 "$bin" 127.0.0.1 "$port" localhost "$certs/ca.pem" >"$work/out" 2>&1 &&
       grep -q "verified=1 echo=hello over an installed ussl" "$work/out"; then
        ok "$name: verified echo ($(head -n 1 "$work/out"))"
    else
        cat "$work/out"; bad "$name"
    fi
}

# 3. pkg-config, shared and static.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
if cc -o "$work/pc_shared" "$src/tests/install/client.c" $(pkg-config --cflags --libs ussl) 2>"$work/cc.log"; then
    run_client "pkg-config shared" "$work/pc_shared" LD_LIBRARY_PATH="$libdir"
    # ldd's output kept first: `ldd | grep -q` under pipefail fails
    # whenever grep stops reading early.
    deps=$(LD_LIBRARY_PATH="$libdir" ldd "$work/pc_shared" 2>&1)
    case $deps in
    *"$libdir/libussl.so.0"*) ok "pkg-config shared: links the installed libussl.so.0" ;;
    *) echo "$deps"; bad "pkg-config shared: not linked to the installed library" ;;
    esac
else
    cat "$work/cc.log"; bad "pkg-config shared: build"
fi
if cc -o "$work/pc_static" "$src/tests/install/client.c" $(pkg-config --cflags ussl) \
       "$libdir/libussl.a" $(pkg-config --static --libs-only-L --libs-only-other ussl) \
       $(pkg-config --static --libs ussl | tr ' ' '\n' | grep -v '^-lussl$' | grep '^-l') 2>"$work/cc.log"; then
    run_client "pkg-config static" "$work/pc_static"
    deps=$(ldd "$work/pc_static" 2>&1)
    case $deps in
    *libussl*) bad "pkg-config static: still needs libussl.so" ;;
    *) ok "pkg-config static: self-contained" ;;
    esac
else
    cat "$work/cc.log"; bad "pkg-config static: build"
fi

# 4. CMake find_package.
if cmake -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
        >"$work/cmake.log" 2>&1 && cmake --build "$work/consumer" >>"$work/cmake.log" 2>&1; then
    ok "find_package(ussl CONFIG) and build"
    run_client "cmake ussl::ussl" "$work/consumer/client_shared"
    run_client "cmake ussl::ussl_static" "$work/consumer/client_static"
else
    cat "$work/cmake.log"; bad "find_package(ussl CONFIG)"
fi

# 5. Uninstall from the manifest (as `make uninstall` does).
if [ -f "$manifest" ]; then
    while IFS= read -r f || [ -n "$f" ]; do rm -f "$f"; done <"$manifest"
    left=$(find "$prefix" -type f | head -n 5)
    [ -z "$left" ] && ok "manifest removes every installed file" || bad "left after uninstall: $left"
else
    bad "no install manifest"
fi
finish
