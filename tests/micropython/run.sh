#!/bin/sh
# run.sh - run ussl's MicroPython tests inside a MicroPython binary built
# with the module (docs/micropython.md says how to build one).
#
#   MICROPY=/path/to/micropython tests/micropython/run.sh
#
# Without MICROPY (or when it is not executable) it prints a skip line and
# exits 77, which CTest's SKIP_RETURN_CODE can report as skipped.  The
# test PKI comes from tests/certs/mkcerts.sh (USSL_CERTS to reuse one).
# Ends with "N passed, N failed"; exits 1 if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${MICROPY:-}" ] || [ ! -x "${MICROPY:-}" ]; then
	echo "SKIP: no MicroPython binary (set MICROPY=/path/to/micropython)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
fi
work=$(mktemp -d)
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
certs=${USSL_CERTS:-$work/certs}
bash "$here/../certs/mkcerts.sh" "$certs" >/dev/null || exit 1
export USSL_CERTS="$certs"
# MicroPython finds mptest.py here; asyncio and ssl are frozen in the
# unix port.
export MICROPYPATH="$here:.frozen"

passed=0
failed=0
skipped=0
run_one() { # run_one SCRIPT
	out=$(cd "$work" && timeout 60 "$MICROPY" "$here/$1" 2>&1)
	rc=$?
	echo "$out" | sed "s|^|  $1: |"
	p=$(echo "$out" | grep -c '^PASS ')
	f=$(echo "$out" | grep -c '^FAIL ')
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1    # crashed or raised outside a check
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# A certificate of the form MicroPython's own tests use (self-signed,
# CA:TRUE, CN only, no extendedKeyUsage), for test_policy.py.
mpcerts=$work/mpcerts
mkdir -p "$mpcerts"
if openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -subj "/CN=micropython.local/O=MicroPython/C=AU" -days 3650 \
    -keyout "$mpcerts/mp_key.pem" -out "$mpcerts/mp_cert.pem" \
    >/dev/null 2>&1 &&
    openssl x509 -in "$mpcerts/mp_cert.pem" -outform der \
    -out "$mpcerts/mp_cert.der" &&
    openssl pkey -in "$mpcerts/mp_key.pem" -outform der \
    -out "$mpcerts/mp_key.der"
then
	export USSL_MPCERTS="$mpcerts"
fi

run_one test_memio.py
run_one test_errors.py
run_one test_policy.py
run_one test_frozen.py

# The interop script needs openssl s_server on a free loopback port.
if command -v openssl >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1
then
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# Three connections for the test, one for the readiness probe below.
	openssl s_server -quiet -rev -naccept 4 -accept "127.0.0.1:$port" \
	    -cert "$certs/server-ec.pem" -cert_chain "$certs/int.pem" \
	    -key "$certs/server-ec.key" \
	    >"$work/s_server.log" 2>&1 &
	server_pid=$!
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null
	do
		i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
	done
	USSL_PORT=$port run_one test_openssl.py
else
	echo "  test_openssl.py: skipped (no openssl/python3)"
	skipped=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
