#!/usr/bin/env bash
# fetch-debian-source.sh - download a source package from a Debian suite
# through a private apt list (the system's apt configuration is not
# touched), check it, and unpack its upstream tarball.
#
# Usage: deps/fetch-debian-source.sh PACKAGE SUITE CACHE_DIR DEST_DIR [PROBE]
#   PACKAGE    Debian source package name (mbedtls, micropython)
#   SUITE      suite to take it from (sid, trixie)
#   CACHE_DIR  private apt state + downloaded files, reused by later runs
#   DEST_DIR   where to unpack: DEST_DIR/PACKAGE-VERSION, and the symlink
#              DEST_DIR/PACKAGE-src pointing to it (made last: it marks a
#              complete unpack)
#   PROBE      a path relative to the unpacked tree that must exist (a
#              sanity check that the tarball is what we think it is)
# The environment variable ACCEPT_VERSION, if set, is a shell command run
# with the upstream version as $1; a non-zero exit refuses that version
# (its output is the reason).  Also unpacks debian/ (Debian's patches) into
# DEST_DIR/PACKAGE-VERSION.debian when the package has one.
# Prints the unpacked source directory on the last line of stdout.
#
# Trust: apt checks the suite's Release signature against Debian's archive
# keyring and the hashes of the .dsc and tarballs; we re-check the .orig
# tarball against the .dsc ourselves, so a stale or damaged cache cannot slip
# through.
set -euo pipefail

die() { echo "fetch-debian-source: error: $*" >&2; exit 1; }
log() { echo "fetch-debian-source: $*" >&2; }

[ $# -ge 4 ] && [ $# -le 5 ] || die "usage: $0 PACKAGE SUITE CACHE_DIR DEST_DIR [PROBE]"
pkg=$1 suite=$2 cache=$3 dest=$4 probe=${5:-}
mkdir -p "$cache" "$dest"
cache=$(cd "$cache" && pwd)
dest=$(cd "$dest" && pwd)

accept() {
    [ -z "${ACCEPT_VERSION:-}" ] && return 0
    bash -c "$ACCEPT_VERSION" accept "$1"
}

# Already unpacked (and still an acceptable version)?
if [ -L "$dest/$pkg-src" ] && { [ -z "$probe" ] || [ -e "$dest/$pkg-src/$probe" ]; }; then
    src=$(cd "$dest/$pkg-src" && pwd -P)
    v=${src##*/$pkg-}
    if why=$(accept "$v"); then
        log "already unpacked: $src"
        echo "$src"
        exit 0
    fi
    log "unpacked $v is refused ($why): fetching again"
    rm -f "$dest/$pkg-src"
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

download() {
    # Same mirror as the machine's own Debian entry (a local mirror or proxy
    # may be the only route out); fall back to the public one.
    local uri="" sys=/etc/apt/sources.list.d/debian.sources
    if [ -r "$sys" ]; then
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /deb\.debian\.org\/debian\/?$/) { print $i; exit } }' "$sys")
    fi
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    rm -f "$aptdir"/*.sources
    cat >"$aptdir/ussl-$suite-src.sources" <<EOS
Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: $keyring
EOS
    local aptopts=(-o Dir::Etc::SourceList=/dev/null
                   -o Dir::Etc::SourceParts="$aptdir"
                   -o Dir::State::Lists="$aptdir/lists"
                   -o Dir::Cache="$aptdir/cache"
                   -o Dir::Etc::Preferences=/dev/null
                   -o Dir::Etc::PreferencesParts=/dev/null
                   -o APT::Get::List-Cleanup=0)
    log "apt-get update (deb-src $suite from $uri)"
    apt-get -q "${aptopts[@]}" update >&2 \
        || die "apt-get update of the private $suite deb-src list failed"
    # As root, apt would hand the download to its _apt user, which cannot
    # write to a private folder: say up front that root downloads.
    local srcopts=()
    [ "$(id -u)" -ne 0 ] || srcopts=(-o APT::Sandbox::User=root)
    log "apt-get source --download-only $pkg"
    (cd "$dl" && apt-get -q "${aptopts[@]}" "${srcopts[@]}" source --download-only "$pkg" >&2) \
        || die "apt-get source --download-only $pkg failed"
}

# Sets dsc, tarball, ver (upstream version) from what is in $dl; fails
# (with a message) if anything is missing or does not match its .dsc.
check_download() {
    dsc=$(ls "$dl/${pkg}_"*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$dsc" ] || { log "no $pkg .dsc in $dl"; return 1; }
    local line want got f
    # Every file the .dsc lists must be there with its sha256.
    while read -r want _ f; do
        [ -f "$dl/$f" ] || { log "$f listed in $dsc but missing"; return 1; }
        got=$(sha256sum "$dl/$f" | cut -d' ' -f1)
        [ "$got" = "$want" ] || { log "sha256 mismatch for $f: $got, .dsc says $want"; return 1; }
    done < <(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF == 3 { print }' "$dsc")
    line=$(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && $3 ~ /\.orig\.tar\./ { print $3; exit }' "$dsc")
    [ -n "$line" ] || { log "no .orig tarball listed in $dsc"; return 1; }
    tarball=$line
    # micropython_1.26.1+ds.orig.tar.xz -> 1.26.1+ds
    ver=${tarball#${pkg}_}
    ver=${ver%%.orig.tar.*}
    local why
    why=$(accept "$ver") || { log "version $ver refused: $why"; return 1; }
}

if ! check_download; then
    log "downloading"
    rm -f "$dl/${pkg}_"*
    download
    check_download || die "the downloaded $pkg source does not check out or is refused (see above)"
fi
log "using $(basename "$dsc"), sha256 of every file verified"

out="$dest/$pkg-$ver"
tmp=$(mktemp -d "$dest/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "unpacking $tarball"
tar -xf "$dl/$tarball" -C "$tmp" || die "cannot unpack $tarball"
top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d)
[ "$(printf '%s\n' "$top" | wc -l)" -eq 1 ] || die "unexpected layout in $tarball"
[ -z "$probe" ] || [ -e "$top/$probe" ] || die "$tarball does not look like $pkg (no $probe)"
# Debian's own changes, for reading (debian/patches); not applied.
deb=$(ls "$dl/${pkg}_"*.debian.tar.* 2>/dev/null | head -n 1 || true)
if [ -n "$deb" ]; then
    rm -rf "$out.debian"
    mkdir -p "$tmp/deb"
    tar -xf "$deb" -C "$tmp/deb" && mv "$tmp/deb/debian" "$out.debian" || log "could not unpack $deb (ignored)"
fi
rm -rf "$out"
mv "$top" "$out"
ln -sfn "$pkg-$ver" "$dest/$pkg-src"
log "$pkg $ver ready in $out"
echo "$out"
