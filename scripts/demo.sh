#!/usr/bin/env bash
# demo.sh - a loopback demonstration of usslcat (run by `make demo`).
#
# Usage: scripts/demo.sh BUILD_DIR
#
# Makes a throwaway CA, a server certificate for "localhost" and a client
# certificate with the openssl CLI (in a temporary directory removed on
# exit), then on 127.0.0.1 only:
#   1. a usslcat echo server that requires client certificates, and a
#      usslcat client that checks the server's chain and host name: data
#      goes both ways and is compared; both sides print what they
#      negotiated and whom they talk to;
#   2. a bulk transfer (1 MiB) through the same kind of connection;
#   3. a client that expects the name "wrong.example": the connection is
#      refused, with exit status 5 (certificate verification failure).
# Exits 0 only if everything behaved as expected.  Every process is bounded
# in time and servers are killed by PID on exit.
set -u

STEP_TIMEOUT=30     # seconds for any one usslcat process (outer bound)
IO_TIMEOUT=15       # usslcat --timeout (handshake and idle)

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
CAT=$1/usslcat
if [ ! -x "$CAT" ]; then
    echo "demo: $CAT not found; build first (make)" >&2
    exit 2
fi
CAT=$(cd "$(dirname "$CAT")" && pwd)/usslcat
for tool in openssl timeout cmp; do
    command -v "$tool" >/dev/null || { echo "demo: $tool not found" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/usslcat-demo.XXXXXX")
SERVER_PID=""     # the server running now (they run one at a time)
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failures=0
heading() { printf '\n=== %s ===\n' "$*"; }
ok()      { printf '  [ok]   %s\n' "$*"; }
bad()     { printf '  [FAIL] %s\n' "$*"; failures=$((failures + 1)); }
# Show a log file indented, with a label in front of each line.
show()    { sed "s/^/  $1| /" "$2"; }

# ---------------------------------------------------------------------------
heading "usslcat"
"$CAT" --version | sed 's/^/  /'

# ---------------------------------------------------------------------------
heading "Throwaway CA and certificates (in $tmp)"
cd "$tmp" || exit 2
cat > ext.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
mkpki() {
    local n
    for n in ca server client; do
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -out "$n.key" || return 1
    done
    openssl req -new -x509 -key ca.key -subj "/O=usslcat demo/CN=usslcat demo CA" \
        -days 2 -sha256 -config ext.cnf -extensions ca -out ca.pem || return 1
    openssl req -new -key server.key -subj "/O=usslcat demo/CN=localhost" \
        -out server.csr || return 1
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 \
        -days 2 -sha256 -extfile ext.cnf -extensions server -out server.pem || return 1
    openssl req -new -key client.key -subj "/O=usslcat demo/CN=usslcat demo client" \
        -out client.csr || return 1
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 3 \
        -days 2 -sha256 -extfile ext.cnf -extensions client -out client.pem || return 1
}
if ! mkpki > pki.log 2>&1; then
    show openssl pki.log
    bad "could not make the certificates"
    exit 1
fi
for n in ca server client; do
    printf '  %-7s %s\n' "$n:" "$(openssl x509 -in $n.pem -noout -subject -nameopt oneline)"
done
printf '  %-7s %s\n' "" "$(openssl x509 -in server.pem -noout -ext subjectAltName | tail -n 1 | sed 's/^ *//')"

# ---------------------------------------------------------------------------
# start_server NAME ARGS...: usslcat --listen on 127.0.0.1, any free port,
# in the background; sets PORT and SERVER_PID, logs to NAME.out/.err.
start_server() {
    local name=$1 i
    shift
    rm -f "$name.port"
    timeout "$STEP_TIMEOUT" "$CAT" --listen 127.0.0.1 0 --port-file "$name.port" \
        --timeout "$IO_TIMEOUT" --ca-certs ca.pem \
        --certfile server.pem --keyfile server.key "$@" \
        < /dev/null > "$name.out" 2> "$name.err" &
    SERVER_PID=$!
    for i in $(seq 100); do
        [ -s "$name.port" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    PORT=$(cat "$name.port" 2>/dev/null)
    if [ -z "$PORT" ]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=""
        return 1
    fi
}

# wait_server: exit status of the server started last.
wait_server() {
    local rc
    wait "$SERVER_PID"
    rc=$?
    SERVER_PID=""
    return "$rc"
}

# client NAME STDIN_FILE ARGS...: usslcat client to 127.0.0.1:$PORT with
# the demo CA and the client certificate; sets RC.
client() {
    local name=$1 input=$2
    shift 2
    timeout "$STEP_TIMEOUT" "$CAT" --timeout "$IO_TIMEOUT" --ca-certs ca.pem \
        --certfile client.pem --keyfile client.key "$@" 127.0.0.1 "$PORT" \
        < "$input" > "$name.out" 2> "$name.err"
    RC=$?
}

# expect_line FILE TEXT WHAT: check that a log has a line containing TEXT.
expect_line() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3 (no '$2' in $1)"; fi
}

# ---------------------------------------------------------------------------
heading "1. Mutually authenticated connection, data both ways"
echo "  server: usslcat --listen 127.0.0.1 0 --echo --cert-reqs required \\"
echo "            --ca-certs ca.pem --certfile server.pem --keyfile server.key"
echo "  client: usslcat --ca-certs ca.pem --certfile client.pem --keyfile client.key \\"
echo "            --server-hostname localhost 127.0.0.1 PORT"
if start_server echo1 --echo --cert-reqs required; then
    ok "server listening on 127.0.0.1 port $PORT"
    printf 'Hello over TLS from the usslcat demo.\nA second line, with UTF-8: \xc3\xa9\xe2\x82\xac\n' > sent1.txt
    client client1 sent1.txt --server-hostname localhost
    wait_server; src=$?
    echo
    echo "  client stderr:"; show client client1.err
    echo "  server stderr:"; show server echo1.err
    echo
    echo "  sent by the client:";            show sent sent1.txt
    echo "  echoed by the server, received:"; show recv client1.out
    echo
    if [ "$RC" -eq 0 ]; then ok "client exit status 0"; else bad "client exit status $RC"; fi
    if [ "$src" -eq 0 ]; then ok "server exit status 0"; else bad "server exit status $src"; fi
    if cmp -s sent1.txt client1.out; then
        ok "received data equals sent data ($(wc -c < sent1.txt) bytes)"
    else
        bad "received data differs from sent data"
    fi
    expect_line client1.err "peer subject: " "client printed the server's subject"
    expect_line client1.err "CN=localhost" "server certificate is for localhost"
    expect_line client1.err "verification: verified" "client verified chain and host name"
    expect_line echo1.err "CN=usslcat demo client" "server saw the client certificate"
    expect_line echo1.err "verification: verified" "server verified the client"
    expect_line client1.err "protocol: TLSv1." "protocol shown"
    expect_line client1.err "cipher: " "cipher shown"
else
    show server echo1.err
    bad "server did not start"
fi

# ---------------------------------------------------------------------------
heading "2. Bulk transfer: 1 MiB through an echo server"
if start_server echo2 --echo --cert-reqs required --quiet; then
    head -c 1048576 /dev/urandom > sent2.bin
    client client2 sent2.bin --server-hostname localhost --quiet
    wait_server; src=$?
    show client client2.err
    show server echo2.err
    if [ "$RC" -eq 0 ] && [ "$src" -eq 0 ]; then
        ok "both sides exit 0"
    else
        bad "exit status: client $RC, server $src"
    fi
    if cmp -s sent2.bin client2.out; then
        ok "1 MiB came back unchanged ($(sha256sum < sent2.bin | cut -c1-16)...)"
    else
        bad "bulk data differs ($(wc -c < client2.out) bytes came back)"
    fi
else
    show server echo2.err
    bad "server did not start"
fi

# ---------------------------------------------------------------------------
heading "3. Wrong host name: the connection must be refused"
echo "  client: usslcat ... --server-hostname wrong.example 127.0.0.1 PORT"
if start_server echo3 --echo --cert-reqs required; then
    echo "this must never reach the server" > sent3.txt
    client client3 sent3.txt --server-hostname wrong.example
    wait_server; src=$?
    echo "  client stderr:"; show client client3.err
    echo "  server stderr:"; show server echo3.err
    echo
    if [ "$RC" -eq 5 ]; then
        ok "client refused the server: exit status 5 (verification failure)"
    else
        bad "client exit status $RC, expected 5"
    fi
    if [ ! -s client3.out ]; then ok "no data received"; else bad "data was received"; fi
    if grep -q '^usslcat: handshake with ' client3.err; then
        ok "clear message: $(grep '^usslcat: handshake with ' client3.err | head -n 1)"
    else
        bad "no handshake error message from the client"
    fi
    if [ "$src" -ne 0 ]; then
        ok "server saw a failed handshake (exit status $src)"
    else
        bad "server exit status 0 after a refused connection"
    fi
else
    show server echo3.err
    bad "server did not start"
fi

# ---------------------------------------------------------------------------
heading "Result"
if [ "$failures" -eq 0 ]; then
    echo "  all checks passed"
    exit 0
fi
echo "  $failures check(s) FAILED"
exit 1
