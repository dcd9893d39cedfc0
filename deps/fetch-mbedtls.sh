#!/usr/bin/env bash
# fetch-mbedtls.sh - obtain the mbedTLS 3.6 source from Debian 13's source
# package and unpack it, without touching the system's apt configuration.
#
# Usage: deps/fetch-mbedtls.sh [CACHE_DIR [DEST_DIR]]
#   CACHE_DIR  private apt state + downloaded files, kept so that other build
#              trees reuse the download (default ~/.cache/ussl/mbedtls)
#   DEST_DIR   where to unpack (default build/_deps): the source ends up in
#              DEST_DIR/mbedtls-3.6.x, and DEST_DIR/mbedtls-src links to it.
# Prints the unpacked source directory on the last line of stdout.
#
# Why Debian's source package: it is the only place with mbedTLS 3.6 that
# this project can reach, and apt checks the archive signature (Release file)
# and the hashes of the .dsc and tarballs for us.  We re-check the .orig
# tarball against the .dsc ourselves so a stale cache cannot slip through.
set -euo pipefail

die() { echo "fetch-mbedtls: error: $*" >&2; exit 1; }
log() { echo "fetch-mbedtls: $*" >&2; }

[ $# -le 2 ] || die "usage: $0 [CACHE_DIR [DEST_DIR]]"
cache=${1:-${XDG_CACHE_HOME:-${HOME:?}/.cache}/ussl/mbedtls}
dest=${2:-$(dirname "$0")/../build/_deps}
mkdir -p "$cache" "$dest"
cache=$(cd "$cache" && pwd)
dest=$(cd "$dest" && pwd)

# Already unpacked?  (The symlink is made last, so it marks a complete unpack.)
if [ -L "$dest/mbedtls-src" ] && [ -f "$dest/mbedtls-src/include/mbedtls/build_info.h" ]; then
    src=$(cd "$dest/mbedtls-src" && pwd -P)
    log "already unpacked: $src"
    echo "$src"
    exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (a Debian-based system is needed)"
command -v dpkg-source >/dev/null || die "dpkg-source not found: apt-get install dpkg-dev"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing: apt-get install debian-archive-keyring"

# Serialise concurrent runs sharing one cache (e.g. several build trees).
exec 9>"$cache/.lock"
flock 9

dl="$cache/download"
aptdir="$cache/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$dl"

# Asks apt for the source package; leaves the files in $dl.
download() {
    # Same mirror as the machine's own Debian entry (a local mirror or proxy
    # may be the only route out); fall back to the public one.
    local uri="" sys=/etc/apt/sources.list.d/debian.sources
    if [ -r "$sys" ]; then
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /deb\.debian\.org\/debian\/?$/) { print $i; exit } }' "$sys")
    fi
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    cat >"$aptdir/ussl-trixie-src.sources" <<EOF
Types: deb-src
URIs: $uri
Suites: trixie
Components: main
Signed-By: $keyring
EOF
    local aptopts=(-o Dir::Etc::SourceList=/dev/null
                   -o Dir::Etc::SourceParts="$aptdir"
                   -o Dir::State::Lists="$aptdir/lists"
                   -o Dir::Cache="$aptdir/cache"
                   -o Dir::Etc::Preferences=/dev/null
                   -o Dir::Etc::PreferencesParts=/dev/null
                   -o APT::Get::List-Cleanup=0)
    log "apt-get update (deb-src trixie from $uri)"
    apt-get -q "${aptopts[@]}" update >&2 \
        || die "apt-get update of the private trixie deb-src list failed"
    # As root, apt would hand the download to its _apt user, which cannot
    # write to a private folder (e.g. under /root): say up front that root
    # downloads, rather than have apt warn about it.
    local srcopts=()
    [ "$(id -u)" -ne 0 ] || srcopts=(-o APT::Sandbox::User=root)
    log "apt-get source --download-only mbedtls"
    (cd "$dl" && apt-get -q "${aptopts[@]}" "${srcopts[@]}" source --download-only mbedtls >&2) \
        || die "apt-get source --download-only mbedtls failed"
}

# Sets dsc, tarball and ver from what is in $dl; fails (with a message) if
# anything is missing or the tarball does not match its .dsc.
check_download() {
    dsc=$(ls "$dl"/mbedtls_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$dsc" ] || { log "no mbedtls .dsc in $dl"; return 1; }
    # The .orig tarball and its sha256 from the .dsc's Checksums-Sha256 block.
    local line want got
    line=$(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && $3 ~ /\.orig\.tar\./ { print $1, $3; exit }' "$dsc")
    [ -n "$line" ] || { log "no .orig tarball listed in $dsc"; return 1; }
    want=${line%% *}
    tarball=${line#* }
    [ -f "$dl/$tarball" ] || { log "$tarball listed in $dsc but missing"; return 1; }
    got=$(sha256sum "$dl/$tarball" | cut -d' ' -f1)
    [ "$got" = "$want" ] || { log "sha256 mismatch for $tarball: $got, .dsc says $want"; return 1; }
    # mbedtls_3.6.4.orig.tar.bz2 -> 3.6.4
    ver=${tarball#mbedtls_}
    ver=${ver%%.orig.tar.*}
}

# A download kept from an earlier run is used if it still checks out;
# otherwise (none yet, or a damaged cache) fetch it afresh, once.
if ! check_download; then
    log "downloading"
    rm -f "$dl"/mbedtls_*
    download
    check_download || die "the downloaded mbedTLS source does not check out (see above)"
fi
log "using $(basename "$dsc"), sha256 of $tarball verified"

case $ver in
    3.6.*) ;;
    *) die "expected mbedTLS 3.6.x, got $ver" ;;
esac

out="$dest/mbedtls-$ver"
tmp=$(mktemp -d "$dest/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "unpacking $tarball"
tar -xf "$dl/$tarball" -C "$tmp" || die "cannot unpack $tarball"
top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d)
[ "$(printf '%s\n' "$top" | wc -l)" -eq 1 ] || die "unexpected layout in $tarball"
[ -f "$top/include/mbedtls/build_info.h" ] || die "$tarball does not look like mbedTLS"
# Belt and braces: the header's version must agree with the file name.
hdrver=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$top/include/mbedtls/build_info.h")
[ "$hdrver" = "$ver" ] || die "version mismatch: tarball $ver, header $hdrver"

rm -rf "$out"
mv "$top" "$out"
ln -sfn "mbedtls-$ver" "$dest/mbedtls-src"
log "mbedTLS $ver ready in $out"
echo "$out"
