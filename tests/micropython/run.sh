#!/bin/sh
# run.sh - run ussl's MicroPython tests inside a MicroPython binary built
# with the module (docs/micropython.md says how to build one).
#
#   MICROPY=/path/to/micropython tests/micropython/run.sh
#
# Without MICROPY (or when it is not executable) it prints a skip line and
# exits 77, which CTest's SKIP_RETURN_CODE can report as skipped.  The
# test PKI comes from tests/certs/mkcerts.sh (USSL_CERTS to reuse one).
# Ends with "N passed, N failed, N skipped" (a check that could not run
# prints a SKIP line naming it and counts as skipped, never as passed);
# exits 1 if anything failed.
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
# MicroPython finds mptest.py here; asyncio is frozen in the unix port's
# standard variant and in scripts/micropython/unix.sh's coverage builds.
export MICROPYPATH="$here:.frozen"

passed=0
failed=0
skipped=0
count() { # count NAME RC OUTPUT: add a script's PASS/FAIL/SKIP lines
	echo "$3" | sed "s|^|  $1: |"
	p=$(echo "$3" | grep -c '^PASS ')
	f=$(echo "$3" | grep -c '^FAIL ')
	k=$(echo "$3" | grep -c '^SKIP ')
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1    # crashed or raised outside a check
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + k))
}
run_one() { # run_one SCRIPT
	out=$(cd "$work" && timeout 60 "$MICROPY" "$here/$1" 2>&1)
	count "$1" $? "$out"
}
check() { # check NAME CONDITION-RESULT(0/1) [WHY]: a check made here
	if [ "$2" -eq 0 ]; then
		echo "  PASS $1"; passed=$((passed + 1))
	else
		echo "  FAIL $1: ${3:-}"; failed=$((failed + 1))
	fi
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait (at most about 5 s) until a server accepts on the loopback port.
wait_port() {
	local i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null
	do
		i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
	done
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
run_one test_psk.py
run_one test_dtls.py
run_one test_signcb.py
run_one test_sessions.py

# The interop script needs openssl s_server on a free loopback port.
if command -v openssl >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1
then
	port=$(free_port)
	# Three connections for the test, one for the readiness probe below.
	openssl s_server -quiet -rev -naccept 4 -accept "127.0.0.1:$port" \
	    -cert "$certs/server-ec.pem" -cert_chain "$certs/int.pem" \
	    -key "$certs/server-ec.key" \
	    >"$work/s_server.log" 2>&1 &
	server_pid=$!
	wait_port "$port"
	USSL_PORT=$port run_one test_openssl.py
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=""
else
	echo "  SKIP test_openssl.py: no openssl/python3"
	skipped=$((skipped + 1))
fi

# A PSK client against openssl s_server -psk (key "secret-shared-key").
if command -v openssl >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1
then
	port=$(free_port)
	openssl s_server -quiet -rev -naccept 3 -accept "127.0.0.1:$port" \
	    -nocert -psk 7365637265742d7368617265642d6b6579 \
	    -psk_identity micropython >"$work/s_server_psk.log" 2>&1 &
	server_pid=$!
	wait_port "$port"
	USSL_PORT=$port run_one test_psk_openssl.py
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=""
else
	echo "  SKIP test_psk_openssl.py: no openssl/python3"
	skipped=$((skipped + 1))
fi

# ALPN and sessions against openssl s_server, the session kept in a file
# by one MicroPython process and resumed by another.
if command -v openssl >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1
then
	port=$(free_port)
	openssl s_server -quiet -rev -accept "127.0.0.1:$port" \
	    -alpn x-amzn-mqtt-ca,http/1.1 \
	    -cert "$certs/server-ec.pem" -cert_chain "$certs/int.pem" \
	    -key "$certs/server-ec.key" \
	    >"$work/s_server_sess.log" 2>&1 &
	server_pid=$!
	wait_port "$port"
	for phase in save resume; do
		out=$(cd "$work" && USSL_PORT=$port USSL_PHASE=$phase \
		    USSL_SESSION_FILE="$work/session.bin" timeout 60 \
		    "$MICROPY" "$here/test_openssl_sessions.py" 2>&1)
		count "test_openssl_sessions.py ($phase)" $? "$out"
	done
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=""
else
	echo "  SKIP test_openssl_sessions.py: no openssl/python3"
	skipped=$((skipped + 1))
fi

# max_fragment_length against a server that honours it (openssl s_server,
# one connection, answering with 16 KB from its stdin, a FIFO) and one
# that ignores it (nomfl_server.go, Go's crypto/tls).  Both premises are
# checked with openssl s_client -tlsextdebug first.
mfl_ext() { # mfl_ext PORT: does the server's hello carry max_fragment_length?
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" -tls1_2 \
	    -maxfraglen 512 -tlsextdebug 2>/dev/null |
	    grep -c 'TLS server extension "max fragment length"'
}
start_s_server() { # start_s_server PORT FIFO LOG FD: one connection,
	# stdin from FIFO, which this shell then holds open as fd FD
	openssl s_server -naccept 1 -accept "127.0.0.1:$1" -tls1_2 \
	    -cert "$certs/server-ec.pem" -key "$certs/server-ec.key" \
	    <"$2" >"$3" 2>&1 &
	mfl_pids="$mfl_pids $!"
	eval "exec $4>\"\$2\""
	i=0
	until grep -q ACCEPT "$3" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
	done
}
if command -v openssl >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1
then
	mfl_pids=""
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(16384)))' \
	    >"$work/mfl.pattern"
	# Premise: s_server answers the request.
	mkfifo "$work/fifo0" "$work/fifo1"
	p0=$(free_port)
	start_s_server "$p0" "$work/fifo0" "$work/s_server0.log" 7
	check "mfl premise: openssl s_server agrees to max_fragment_length" \
	    "$([ "$(mfl_ext "$p0")" = 1 ]; echo $?)" "no extension in its hello"
	exec 7>&-
	# The test's server: 16 KB from the FIFO, held open until the end.
	p1=$(free_port)
	start_s_server "$p1" "$work/fifo1" "$work/s_server1.log" 8
	cat "$work/mfl.pattern" >&8
	ignore_port=""
	# Go's build cache: the user's if there is a home, else a fresh one.
	gocache=${GOCACHE:-}
	if [ -z "$gocache" ]; then
		if [ -n "${HOME:-}" ]; then gocache=$HOME/.cache/go-build
		else gocache=$work/gocache; fi
	fi
	if command -v go >/dev/null 2>&1 &&
	    GOCACHE="$gocache" GOPATH="$work/gopath" GO111MODULE=off \
	    timeout 300 go build -o "$work/nomfl" "$here/nomfl_server.go" \
	    2>"$work/go.err"; then
		mkfifo "$work/fifo2"
		"$work/nomfl" "$certs/server-ec.pem" "$certs/server-ec.key" \
		    <"$work/fifo2" >"$work/nomfl.out" 2>&1 &
		mfl_pids="$mfl_pids $!"
		exec 9>"$work/fifo2"
		i=0
		until grep -q '^PORT ' "$work/nomfl.out" 2>/dev/null; do
			i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
		done
		ignore_port=$(sed -n 's/^PORT //p' "$work/nomfl.out")
		check "mfl premise: Go's crypto/tls ignores max_fragment_length" \
		    "$([ "$(mfl_ext "$ignore_port")" = 0 ]; echo $?)" \
		    "extension in its hello"
	else
		echo "  SKIP mfl: server that ignores max_fragment_length: go not installed or failed ($(head -c 200 "$work/go.err" 2>/dev/null))"
		skipped=$((skipped + 1))
	fi
	USSL_HONOUR_PORT=$p1 USSL_IGNORE_PORT=$ignore_port run_one test_mfl_peers.py
	exec 8>&- 9>&- 2>/dev/null
	# s_server printed what the client sent: the 16 KB pattern.
	check "mfl: s_server received the client's 16 KB intact" \
	    "$(python3 -c 'import sys; a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read(); sys.exit(0 if b in a else 1)' \
	    "$work/s_server1.log" "$work/mfl.pattern"; echo $?)"
	for p in $mfl_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
else
	echo "  SKIP test_mfl_peers.py: no openssl/python3"
	skipped=$((skipped + 1))
fi

# A MicroPython server against the TLS clients people use, with their
# default protocol versions (TLS 1.3 and 1.2 offered): openssl s_client,
# curl (when installed) and CPython's ssl default context.
if command -v openssl >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1
then
	clients=2
	have_curl=0
	if command -v curl >/dev/null 2>&1; then
		clients=3
		have_curl=1
	else
		echo "  SKIP test_server.py: curl client: curl not installed"
		skipped=$((skipped + 1))
	fi
	port=$(free_port)
	ready=$work/server.ready
	(cd "$work" && USSL_PORT=$port USSL_CLIENTS=$clients \
	    USSL_READY=$ready timeout 120 "$MICROPY" "$here/test_server.py" \
	    >"$work/server.out" 2>&1; echo $? >"$work/server.rc") &
	server_pid=$!
	i=0
	until [ -s "$ready" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
	done
	got=$(printf 'openssl\n' | timeout 30 openssl s_client -quiet \
	    -connect "127.0.0.1:$port" -servername localhost \
	    -CAfile "$certs/ca.pem" -verify_return_error 2>"$work/s_client.err")
	check "client: openssl s_client (default options) against the MicroPython server" \
	    "$([ "$got" = "lssnepo" ]; echo $?)" \
	    "got '$got': $(tail -n 2 "$work/s_client.err" | tr '\n' ' ')"
	if [ $have_curl -eq 1 ]; then
		got=$(timeout 30 curl -sS --max-time 20 --cacert "$certs/ca.pem" \
		    --resolve "localhost:$port:127.0.0.1" \
		    "https://localhost:$port/" 2>&1)
		check "client: curl against the MicroPython server" \
		    "$([ "$got" = "ussl" ]; echo $?)" "got '$got'"
	fi
	got=$(timeout 30 python3 - "$port" "$certs/ca.pem" <<-'PYEOF' 2>&1
		import socket, ssl, sys
		ctx = ssl.create_default_context(cafile=sys.argv[2])
		raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
		with ctx.wrap_socket(raw, server_hostname="localhost") as s:
		    s.sendall(b"cpython\n")
		    print(s.recv(100).decode().strip())
	PYEOF
	)
	check "client: CPython ssl default context against the MicroPython server" \
	    "$([ "$got" = "nohtypc" ]; echo $?)" "got '$got'"
	wait "$server_pid"
	server_pid=""
	count test_server.py "$(cat "$work/server.rc" 2>/dev/null || echo 1)" \
	    "$(cat "$work/server.out")"
else
	echo "  SKIP test_server.py: no openssl/python3"
	skipped=$((skipped + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
