#!/usr/bin/env bash
# mkcorpus.sh - make the fuzzers' seed inputs in BUILD_DIR/seeds/<fuzzer>/.
#
# Usage: fuzz/mkcorpus.sh BUILD_DIR   (after fuzz/build.sh compiled mkseeds)
#
# From the test PKI in BUILD_DIR/certs (tests/certs/mkcerts.sh): keys and
# certificates in PEM and DER for fuzz_load and fuzz_certinfo, plus one
# certificate with every field ussl_cert_info() reports (made here with
# openssl).  Recorded handshakes for fuzz_client/fuzz_server, operation
# lists for fuzz_record and saved sessions come from BUILD_DIR/mkseeds.
# Rebuilt from scratch every time (it takes a second or two); the corpora
# the fuzzers grow live in BUILD_DIR/corpus/ and are kept.
set -euo pipefail

die() { echo "fuzz/mkcorpus.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
B=$(cd "$1" && pwd)
certs="$B/certs"
[ -f "$certs/ca.pem" ] || die "no test PKI in $certs (run fuzz/build.sh)"
seeds="$B/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/fuzz_load "$seeds"/fuzz_certinfo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A certificate with each kind of name, SAN entry and URI extension.
cat > "$work/rich.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
string_mask = utf8only
[dn]
C = DE
ST = Berlin
L = Berlin
O = Example \, Test
OU = Fuzz
CN = rich.example
emailAddress = admin@example.com
[ext]
basicConstraints = critical, CA:FALSE
subjectAltName = @san
authorityInfoAccess = OCSP;URI:http://ocsp.example/, caIssuers;URI:http://ca.example/ca.der
crlDistributionPoints = URI:http://crl.example/ca.crl
[san]
DNS.1 = rich.example
DNS.2 = *.rich.example
IP.1 = 192.0.2.1
IP.2 = 2001:db8::1
URI.1 = https://rich.example/path
email.1 = user@rich.example
RID.1 = 1.2.3.4.5
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn@rich.example
dirName.1 = dir_sect
[dir_sect]
C = US
O = Dir Org
CN = dir name
EOF
openssl req -x509 -new -key "$certs/server-ec.key" -config "$work/rich.cnf" \
    -days 365 -set_serial 0x00ff0102030405060708 -outform DER \
    -out "$seeds/fuzz_certinfo/rich.der" 2>/dev/null ||
    echo "fuzz/mkcorpus.sh: warning: no rich certificate (openssl failed)" >&2

# Every certificate of the test PKI, in DER.
for f in "$certs"/*.pem; do
    n=${f##*/}; n=${n%.pem}
    case $n in garbage|truncated|*-chain|*-combined) continue ;; esac
    openssl x509 -in "$f" -outform DER -out "$seeds/fuzz_certinfo/$n.der" 2>/dev/null || true
done

# fuzz_load: mode byte, then parts joined by "@@@@" (see fuzz_load.c).
sep='@@@@'
seed() {  # seed NAME MODE-OCTAL FILE...  (files joined by the separator)
    local name=$1 mode=$2 first=1 f
    shift 2
    {
        printf "\\$mode"
        for f in "$@"; do
            [ $first = 1 ] || printf '%s' "$sep"
            first=0
            if [ -f "$certs/$f" ]; then cat "$certs/$f"; else printf '%s' "$f"; fi
        done
    } > "$seeds/fuzz_load/$name"
}
seed combined-ec     000 server-ec-combined.pem
seed combined-ec-srv 010 server-ec-combined.pem
seed pair-ec         001 server-ec-chain.pem server-ec.key
seed pair-rsa        011 server-rsa.pem server-rsa.key
seed pair-ec-der     001 server-ec.der server-ec.key.der
seed pair-rsa-der    011 server-rsa.der server-rsa.key.der
seed mismatch        001 server-ec.pem server-rsa.key
seed encrypted       002 server-ec.pem encrypted.key secret
seed encrypted-wrong 002 server-ec.pem encrypted.key wrong
seed ca-pem          003 ca.pem
seed ca-der-int      003 ca.der int.pem
seed ca-garbage      003 garbage.pem truncated.pem
seed verify-good     024 server-ec.pem int.pem
seed verify-ip       044 server-ec.pem int.pem
seed verify-rsa      124 server-rsa.der
seed verify-expired  024 expired.pem
seed verify-notyet   024 notyet.pem
seed verify-self     024 selfsigned.pem
seed verify-wrong    024 wronghost.pem
seed verify-leafonly 024 leaf-only-int.pem
seed verify-client   014 client.pem
seed verify-cb       224 server-ec.pem int.pem
seed names           006 server-ec.der ca.der client.pem
seed own-ca          027 ca.pem server-ec.pem int.pem
seed other-ca        027 other-ca.pem server-ec.pem int.pem
seed own-ca-int      027 int.pem server-ec.pem

"$B/mkseeds" "$seeds"
echo "fuzz/mkcorpus.sh: seeds in $seeds:" \
    $(for d in "$seeds"/*/; do d=${d%/}; echo "${d##*/}=$(ls "$d" | wc -l)"; done)
