#!/usr/bin/env bash
# mkcerts.sh - generate the test PKI used by the Python and interop tests.
#
# Usage: tests/certs/mkcerts.sh OUTDIR
#
# Everything is made with the openssl CLI.  EC P-256 keys wherever the test
# does not need RSA, because they are generated in milliseconds.  The run is
# idempotent: when OUTDIR already holds a complete set made by this version
# of the script it exits at once; otherwise it builds the whole set in a
# private temporary directory and moves the files in, so a reader never
# sees a half-made PKI.  Concurrent runs on the same OUTDIR are serialised
# with flock (ctest may start several test files at the same moment).
#
# Files (all certificates PEM unless noted; keys unencrypted PEM):
#   ca.pem ca.key ca.der       root CA (P-256), 10 years
#   int.pem int.key            intermediate CA signed by ca (pathlen 0)
#   other-ca.pem other-ca.key  unrelated root (untrusted root / wrong CA)
#   server-ec.pem .key         leaf "localhost" (DNS:localhost, IP:127.0.0.1),
#                              P-256, signed by int
#   server-ec-chain.pem        server-ec leaf + int
#   server-ec-combined.pem     server-ec key + leaf + int in one file
#   server-ec.der .key.der     DER forms (certificate; PKCS#8 key)
#   server-rsa.pem .key        leaf "localhost", RSA-2048, signed by ca
#   server-rsa.der .key.der    DER forms
#   expired.pem .key           leaf "localhost" signed by ca, validity in 2015
#   notyet.pem .key            leaf "localhost" signed by ca, valid from 2040
#   selfsigned.pem .key        self-signed leaf "localhost"
#   wronghost.pem .key         leaf signed by ca with only DNS:other.example
#   leaf-only-int.pem .key     leaf "localhost" signed by int, WITHOUT int
#                              (serve it alone for "incomplete chain")
#   client.pem .key            clientAuth leaf "ussl test client", signed by ca
#   client-other.pem .key      clientAuth leaf signed by other-ca
#   client-san.pem             clientAuth-only leaf with the client key and
#                              DNS:localhost, IP:127.0.0.1 (no server
#                              certificate, whatever its name)
#   private-ca.pem .key        a private PKI's root
#   private-leaf.pem .key      leaf "localhost" signed by private-ca with
#                              only subjectAltName and key identifiers: no
#                              extendedKeyUsage, no keyUsage (what device
#                              PKIs and tutorials make; RFC 5280 accepts it)
# Certificates the default policy refuses and a USSL_RELAX_* flag lets
# through, or that only USSL_STRICT_EKU refuses (tests/c/test_relax.c,
# tests/python/test_relax.py):
#   cnonly.pem .key            X.509 v1 leaf "CN=localhost" signed by ca, as
#                              `openssl x509 -req` makes it without an
#                              extension file: no SAN, EKU or AKI (CN_ONLY)
#   noeku.pem .key             leaf "localhost" (DNS:localhost, IP:127.0.0.1)
#                              signed by ca, without extendedKeyUsage
#                              (accepted; refused under USSL_STRICT_EKU)
#   legacy-ca.pem .key         root without subjectKeyIdentifier (LEGACY_CA)
#   legacy-leaf.pem .key       leaf "localhost" signed by legacy-ca (its AKI
#                              made by hand, as openssl needs the issuer's SKI)
#   garbage.pem                random bytes between PEM certificate markers
#   truncated.pem              server-ec.pem cut in the middle
#   encrypted.key              server-ec key, PEM-encrypted (AES-128), password
#                              "secret"
# Mismatched pair for tests: server-ec.pem with server-rsa.key (no file).
set -euo pipefail

# Bump when the set of files or their properties change, so that an old
# OUTDIR is regenerated instead of being trusted.
VERSION=3

die() { echo "mkcerts: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
command -v openssl >/dev/null || die "openssl CLI not found"
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.mkcerts-complete"

complete() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$VERSION" ]; }
complete && exit 0

exec 9>"$out/.mkcerts.lock"
flock 9
complete && exit 0

work=$(mktemp -d "$out/.mkcerts.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

ossl() { openssl "$@" 2>/dev/null || { openssl "$@" >&2; die "openssl $1 failed"; }; }

eckey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
rsakey() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

# Extension sections, one file; each cert picks a section.
cat > ext.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_ec]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[server_rsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[wronghost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[selfsigned]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_san]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[private_leaf]
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[noeku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# openssl adds an SKI to every certificate unless told not to.
[legacy_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = none
authorityKeyIdentifier = none
EOF

DAYS=3650
serial=100

# sign NAME ISSUER SECTION SUBJECT: CSR from NAME.key, cert NAME.pem.
sign() {
    local name=$1 issuer=$2 section=$3 subj=$4
    serial=$((serial + 1))
    ossl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
    ossl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
        -set_serial "$serial" -days "$DAYS" -sha256 \
        -extfile ext.cnf -extensions "$section" -out "$name.pem"
}

# Roots.
for ca in ca other-ca; do
    eckey "$ca.key"
done
ossl req -new -x509 -key ca.key -subj "/O=ussl tests/CN=ussl test root CA" \
    -days "$DAYS" -sha256 -set_serial 1 \
    -config ext.cnf -extensions ca -out ca.pem
ossl req -new -x509 -key other-ca.key -subj "/O=ussl tests/CN=ussl other root CA" \
    -days "$DAYS" -sha256 -set_serial 2 \
    -config ext.cnf -extensions ca -out other-ca.pem
ossl x509 -in ca.pem -outform DER -out ca.der

eckey int.key
sign int ca int "/O=ussl tests/CN=ussl test intermediate CA"

# Good servers.
eckey server-ec.key
sign server-ec int server_ec "/O=ussl tests/CN=localhost"
cat server-ec.pem int.pem > server-ec-chain.pem
cat server-ec.key server-ec.pem int.pem > server-ec-combined.pem

rsakey server-rsa.key
sign server-rsa ca server_rsa "/O=ussl tests/CN=localhost"

for k in server-ec server-rsa; do
    ossl x509 -in "$k.pem" -outform DER -out "$k.der"
    ossl pkcs8 -topk8 -nocrypt -in "$k.key" -outform DER -out "$k.key.der"
done

# Bad servers.
eckey wronghost.key
sign wronghost ca wronghost "/O=ussl tests/CN=other.example"

eckey selfsigned.key
ossl req -new -x509 -key selfsigned.key -subj "/O=ussl tests/CN=localhost" \
    -days "$DAYS" -sha256 -set_serial 3 \
    -config ext.cnf -extensions selfsigned -out selfsigned.pem

eckey leaf-only-int.key
sign leaf-only-int int server_ec "/O=ussl tests/CN=localhost"

# Certificates with validity in the past / future: openssl 3.0's x509 has no
# way to set notBefore, but `openssl ca` takes -startdate/-enddate.
mkdir -p caroot/new
: > caroot/index.txt
cat > ca.cnf <<EOF
[ca]
default_ca = testca
[testca]
dir = $work/caroot
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = $work/ca.pem
private_key = $work/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
EOF
timed() {
    local name=$1 start=$2 end=$3
    serial=$((serial + 1))
    printf '%X\n' "$serial" > caroot/serial
    eckey "$name.key"
    ossl req -new -key "$name.key" -subj "/O=ussl tests/CN=localhost" -out "$name.csr"
    ossl ca -batch -notext -config ca.cnf -in "$name.csr" -out "$name.pem" \
        -startdate "$start" -enddate "$end" \
        -extfile ext.cnf -extensions server_ec
}
timed expired 20150101000000Z 20160101000000Z
timed notyet 20400101000000Z 20500101000000Z

# Clients.
eckey client.key
sign client ca client "/O=ussl tests/CN=ussl test client"
eckey client-other.key
sign client-other other-ca client "/O=ussl tests/CN=ussl other client"
cp client.key client-san.key          # the same key: client.key serves
sign client-san ca client_san "/O=ussl tests/CN=ussl test client"

# A private PKI: its leaf names no purpose and no key usage.
eckey private-ca.key
ossl req -new -x509 -key private-ca.key -subj "/O=ussl tests/CN=ussl private root CA" \
    -days "$DAYS" -sha256 -set_serial 5 \
    -config ext.cnf -extensions ca -out private-ca.pem
eckey private-leaf.key
sign private-leaf private-ca private_leaf "/O=ussl tests/CN=localhost"

# For the policy relaxations.  A v1 leaf: no extension file at all.
eckey cnonly.key
serial=$((serial + 1))
ossl req -new -key cnonly.key -subj "/O=ussl tests/CN=localhost" -out cnonly.csr
ossl x509 -req -in cnonly.csr -CA ca.pem -CAkey ca.key -set_serial "$serial" \
    -days "$DAYS" -sha256 -out cnonly.pem

eckey noeku.key
sign noeku ca noeku "/O=ussl tests/CN=localhost"

eckey legacy-ca.key
ossl req -new -x509 -key legacy-ca.key -subj "/O=ussl tests/CN=ussl legacy root CA" \
    -days "$DAYS" -sha256 -set_serial 4 \
    -config ext.cnf -extensions legacy_ca -out legacy-ca.pem
# The leaf's AKI by hand: the keyIdentifier is the SHA-1 of the root's
# public key bits (RFC 5280 4.2.1.2, method 1; a P-256 point is the last
# 65 bytes of the SubjectPublicKeyInfo).
kid=$(openssl x509 -in legacy-ca.pem -noout -pubkey |
      openssl pkey -pubin -outform DER | tail -c 65 | openssl dgst -sha1 -r | cut -d' ' -f1)
[ ${#kid} -eq 40 ] || die "no key id for legacy-ca"
cat >> ext.cnf <<EOF

[legacy_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
2.5.29.35 = DER:30168014$kid
EOF
eckey legacy-leaf.key
sign legacy-leaf legacy-ca legacy_leaf "/O=ussl tests/CN=localhost"

# Malformed inputs.
{
    echo "-----BEGIN CERTIFICATE-----"
    ossl rand -base64 600
    echo "-----END CERTIFICATE-----"
} > garbage.pem
lines=$(wc -l < server-ec.pem)
head -n $((lines / 2)) server-ec.pem > truncated.pem
# Traditional PEM encryption: mbedTLS 2.28 cannot decrypt PKCS#8 with AES.
ossl ec -aes128 -in server-ec.key -passout pass:secret -out encrypted.key

# Sanity: the chains verify as intended (fail loudly here, not in a test).
ossl verify -CAfile ca.pem -untrusted int.pem -purpose sslserver server-ec.pem >/dev/null
ossl verify -CAfile ca.pem -purpose sslserver server-rsa.pem >/dev/null
ossl verify -CAfile ca.pem -purpose sslclient client.pem >/dev/null
ossl verify -CAfile other-ca.pem -purpose sslclient client-other.pem >/dev/null
ossl verify -CAfile ca.pem -purpose sslserver cnonly.pem >/dev/null
ossl verify -CAfile ca.pem -purpose sslserver noeku.pem >/dev/null
ossl verify -CAfile private-ca.pem -purpose sslserver private-leaf.pem >/dev/null
if grep -q 'Key Usage' <<<"$(openssl x509 -in private-leaf.pem -noout -text)"; then
    die "private-leaf.pem has a key usage"
fi
ossl verify -CAfile legacy-ca.pem -purpose sslserver legacy-leaf.pem >/dev/null
# (grep reads a captured text: `openssl | grep -q` under pipefail fails
# when grep stops reading before openssl has written everything.)
grep -q 'Version: 1 ' <<<"$(openssl x509 -in cnonly.pem -noout -text)" || die "cnonly.pem is not v1"
if grep -q Identifier <<<"$(openssl x509 -in legacy-ca.pem -noout -ext subjectKeyIdentifier 2>/dev/null)"; then
    die "legacy-ca.pem has an SKI"
fi
[ "$(openssl x509 -in legacy-leaf.pem -noout -ext authorityKeyIdentifier | tail -n 1 | tr -d ' :')" = \
  "$(echo "$kid" | tr a-f A-F)" ] || die "legacy-leaf.pem: AKI is not the root's key id"
if openssl verify -CAfile ca.pem expired.pem >/dev/null 2>&1; then die "expired.pem verifies"; fi
if openssl verify -CAfile ca.pem notyet.pem >/dev/null 2>&1; then die "notyet.pem verifies"; fi

files="ca.pem ca.key ca.der int.pem int.key other-ca.pem other-ca.key
server-ec.pem server-ec.key server-ec-chain.pem server-ec-combined.pem
server-ec.der server-ec.key.der server-rsa.pem server-rsa.key server-rsa.der
server-rsa.key.der expired.pem expired.key notyet.pem notyet.key
selfsigned.pem selfsigned.key wronghost.pem wronghost.key leaf-only-int.pem
leaf-only-int.key client.pem client.key client-other.pem client-other.key
client-san.pem private-ca.pem private-ca.key private-leaf.pem private-leaf.key
cnonly.pem cnonly.key noeku.pem noeku.key legacy-ca.pem legacy-ca.key
legacy-leaf.pem legacy-leaf.key garbage.pem truncated.pem encrypted.key"
for f in $files; do
    chmod 644 "$f"
    mv -f "$f" "$out/$f"
done
echo "$VERSION" > "$stamp"
