#!/usr/bin/env bash
# test_pip.sh - the CPython module installed as Python users install it:
# `pip install --no-build-isolation --no-index SOURCE` into a fresh virtual
# environment (offline: the in-tree backend needs no package), then a
# verified exchange with a CPython ssl server on 127.0.0.1 through the
# installed module, `from ussl import asyncio`, and `pip uninstall`.
#
# Usage: test_pip.sh SOURCE_DIR CERT_DIR [ENGINE]   (ENGINE: see
# packaging/ussl_build.py; default openssl).  Ends with "N passed, N failed".
set -uo pipefail
src=$(cd "$1" && pwd) certs=$(cd "$2" && pwd) engine=${3:-openssl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

python3 -m venv "$work/venv" >"$work/venv.log" 2>&1 || { cat "$work/venv.log"; bad "python3 -m venv"; finish; }
py=$work/venv/bin/python
if JOBS=${JOBS:-2} "$py" -m pip install --no-build-isolation --no-index \
        --config-settings "engine=$engine" "$src" >"$work/pip.log" 2>&1; then
    ok "pip install . (engine $engine)"
else
    tail -n 40 "$work/pip.log"; bad "pip install ."; finish
fi
"$py" -m pip show ussl >/dev/null 2>&1 && ok "pip knows the ussl distribution" || bad "pip show ussl"

cd "$work"   # not the source tree: the import must come from the venv
if "$py" - "$certs" >"$work/run.log" 2>&1 <<'PY'
import os, socket, ssl, sys, threading
import ussl
from ussl import asyncio as uasyncio
certs = sys.argv[1]
assert os.path.dirname(ussl.__file__).startswith(sys.prefix), ussl.__file__
assert hasattr(uasyncio, "open_connection")
srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
srv.load_cert_chain(os.path.join(certs, "server-ec-chain.pem"),
                    os.path.join(certs, "server-ec.key"))
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
ls.settimeout(30)
def serve():
    c, _ = ls.accept()
    with srv.wrap_socket(c, server_side=True) as s:
        s.sendall(s.recv(100).upper())
t = threading.Thread(target=serve)
t.start()
ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
s = ctx.wrap_socket(socket.create_connection(ls.getsockname(), timeout=30),
                    server_hostname="localhost")
s.write(b"hello")
got = s.read(100)
print("version", s.version(), "got", got)
assert got == b"HELLO", got
s.close()
t.join()
PY
then
    ok "installed module: verified exchange with CPython ssl ($(grep '^version' "$work/run.log"))"
else
    cat "$work/run.log"; bad "installed module exchange"
fi
if "$py" -m pip uninstall -y ussl >"$work/un.log" 2>&1 && ! "$py" -c "import ussl" 2>/dev/null; then
    ok "pip uninstall removes the module"
else
    cat "$work/un.log"; bad "pip uninstall"
fi
finish
