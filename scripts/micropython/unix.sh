#!/usr/bin/env bash
# unix.sh - the unix part of `make check-micropython`: MicroPython's unix
# port (coverage variant) from Debian's source (prepare.sh), built
#   - with our module on the bundled mbedTLS 3.6   -> build-micropython/unix-bundled/micropython
#   - with our module on the system's mbedTLS 2.28 -> build-micropython/unix-system/micropython
#   - with the stock module, same tree             -> build-micropython/unix-stock/micropython
# then runs, each part ending with "N passed, N failed, N skipped":
#   1. tests/micropython/run.sh on both of ours;
#   2. MicroPython's tests/run-tests.py on extmod/ssl_* extmod/tls_* (ours
#      and stock);
#   3. tests/run-multitests.py on multi_net/*ssl* *tls* inside `unshare -n`
#      with lo up: ours/ours, stock/ours and ours/stock (server first).
# Deliberate differences (docs/micropython.md, "What differs") are listed
# below as expected failures by name; tests that cannot run on Debian's
# source are listed with the reason and counted as skipped.  Anything else
# failing, or an expected failure that passes, fails the script.
# Builds are incremental (build-micropython/unix-*/build); a build whose
# make arguments or module makefile changed starts afresh.
#
# Usage: scripts/micropython/unix.sh      (JOBS=N for make -j, default 2;
#        USSL_MP_BUILD_ONLY="unix-bundled unix-stock": only build those)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-micropython
jobs=${JOBS:-2}
start=$(date +%s)

tree=$(bash "$root/scripts/micropython/prepare.sh" "$out" | tail -n 1) || {
	echo "unix: cannot prepare MicroPython's source"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}
# MicroPython's make checks that micropython-lib is there before it
# freezes anything, although our manifests use none of it.
mplib=$out/mplib-stub
mkdir -p "$mplib"
echo "Stand-in for micropython-lib (not in Debian's source); unused." \
	>"$mplib/README.md"
# The stock build freezes scripts/micropython/stock/ssl.py as `ssl`.
cat >"$out/stock_manifest.py" <<EOF
include("$root/scripts/micropython/coverage_manifest.py")
module("ssl.py", base_path="$root/scripts/micropython/stock")
EOF

failed_parts=0
fail_part() { echo "unix: $*"; failed_parts=$((failed_parts + 1)); }
# Totals over every part, for the closing line.
T_pass=0 T_fail=0 T_skip=0
add_totals() { T_pass=$((T_pass + $1)); T_fail=$((T_fail + $2)); T_skip=$((T_skip + $3)); }

# build NAME MAKE-ARGS...: the coverage variant in $out/NAME/build, the
# binary copied to $out/NAME/micropython.
build() {
	local name=$1 dir=$out/$1
	shift
	local args=(VARIANT=coverage BUILD="$dir/build" MICROPY_PY_BTREE=0
		MPY_LIB_DIR="$mplib" "$@")
	local stamp
	stamp=$( { printf '%s\n' "${args[@]}"; cat "$root/micropython/ussl/micropython.mk"; } |
		sha256sum | cut -c1-16)
	mkdir -p "$dir"
	if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" != "$stamp" ]; then
		echo "   $name: build arguments or module makefile changed: building afresh"
		rm -rf "$dir/build"
	fi
	# mpy-tool numbers the frozen modules' qstrs after the firmware's:
	# regenerate them when the module's qstrs may have changed.
	rm -f "$dir/build/frozen_content.c"
	echo "== unix: building $name"
	local t0=$(date +%s)
	if ! make -C "$tree/ports/unix" -j"$jobs" "${args[@]}" \
	    >"$dir/build.log" 2>&1; then
		tail -n 30 "$dir/build.log"
		fail_part "build of $name failed (log: $dir/build.log)"
		rm -f "$dir/micropython"
		return 1
	fi
	echo "$stamp" >"$dir/stamp"
	cp "$dir/build/micropython" "$dir/micropython"
	echo "   built in $(( $(date +%s) - t0 )) s: $dir/micropython"
}

echo "== unix: mpy-cross"
if ! make -C "$tree/mpy-cross" -j"$jobs" >"$out/mpy-cross.log" 2>&1; then
	tail -n 30 "$out/mpy-cross.log"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
ours=(USER_C_MODULES="$root/micropython" MICROPY_PY_SSL=0
	FROZEN_MANIFEST="$root/scripts/micropython/coverage_manifest.py")
# USSL_MP_BUILD_ONLY="unix-bundled unix-stock ...": build those and stop
# (bench.sh uses it).
only=${USSL_MP_BUILD_ONLY:-}
want() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
want unix-bundled && build unix-bundled "${ours[@]}"
want unix-system && build unix-system "${ours[@]}" USSL_MBEDTLS=system
# Stock: the variant's own user modules (MicroPython's examples), as its
# CI builds it.
want unix-stock && build unix-stock FROZEN_MANIFEST="$out/stock_manifest.py"
if [ -n "$only" ]; then
	[ $failed_parts -eq 0 ]
	exit
fi

B=$out/unix-bundled/micropython
S=$out/unix-system/micropython
K=$out/unix-stock/micropython
# Coverage builds write profile data at exit: into a directory of their
# own, emptied here, so that data of an earlier build of the same sources
# (different checksums) cannot make them print warnings into test output.
export GCOV_PREFIX=$out/gcov
rm -rf "$GCOV_PREFIX"

# ---------------------------------------------------------------------
# 1. ussl's own MicroPython tests
part_own() {
	local name=$1 bin=$2 log
	log=$out/$name/run.log
	echo "== unix: tests/micropython on $name"
	if [ ! -x "$bin" ]; then
		fail_part "no binary for $name"
		echo "0 passed, 1 failed, 0 skipped"
		return
	fi
	# 40 connections alive at once in one process (test_memio.py).
	USSL_EXPECT_CONNS=40 MICROPY=$bin sh "$root/tests/micropython/run.sh" \
		>"$log" 2>&1
	local rc=$?
	grep -v '^  [^ ]*: PASS ' "$log"
	local last p f k
	last=$(tail -n 1 "$log")
	p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$last" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	k=$(echo "$last" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	add_totals "${p:-0}" "${f:-1}" "${k:-0}"
	[ $rc -eq 0 ] || fail_part "tests/micropython on $name failed"
}
part_own unix-bundled "$B"
part_own unix-system "$S"

# ---------------------------------------------------------------------
# Results against expectations.  tally FILE KIND LABEL: FILE has lines
# "<status> <test>" (status pass, FAIL, skip); expectations for KIND come
# from expect_fail / cannot_run below.
# KIND: "extmod-ours", "extmod-stock", or "SERVER/CLIENT" for multi_net
# (each ours or stock).
expect_fail() { # expect_fail KIND TEST -> reason, or nothing
	case "$1:$2" in
	ours/*:multi_net/sslcontext_server_client_ciphers.py)
		echo "our server refuses the client's only suite, a CBC one (default suites: AEAD with forward secrecy; set_ciphers() enables it)" ;;
	ours/*:multi_net/sslcontext_verify_time_error.py)
		echo "load_cert_chain() refuses the test's certificate with a key that is not its own" ;;
	esac
}
skip_reason() { # skip_reason KIND TEST -> why a skip is expected
	case "$1:$2" in
	*/stock:multi_net/sslcontext_getpeercert.py)
		echo "the stock unix build has no getpeercert()" ;;
	esac
}
tally() {
	local file=$1 kind=$2 label=$3 not_run=${4:-} p=0 f=0 s=0 status test why
	while read -r status test; do
		why=$(expect_fail "$kind" "$test")
		case $status in
		pass)
			if [ -n "$why" ]; then
				echo "   UNEXPECTED PASS $test (expected to fail: $why)"
				f=$((f + 1))
			else
				p=$((p + 1))
			fi ;;
		skip)
			why=$(skip_reason "$kind" "$test")
			if [ -n "$why" ]; then
				echo "   skipped $test: $why"
				s=$((s + 1))
			else
				echo "   UNEXPECTED SKIP $test"
				f=$((f + 1))
			fi ;;
		*)
			if [ -n "$why" ]; then
				echo "   expected failure $test: $why"
				s=$((s + 1))
			else
				echo "   FAILED $test"
				f=$((f + 1))
			fi ;;
		esac
	done <"$file"
	if [ ! -s "$file" ]; then
		echo "   no results: the runner did not run (see its log)"
		f=$((f + 1))
	fi
	echo "$label: $p passed, $f failed, $s skipped${not_run:+, $not_run not run}"
	add_totals $p $f $((s + ${not_run:-0}))
	[ $f -eq 0 ] || fail_part "$label failed"
}

# ---------------------------------------------------------------------
# 2. MicroPython's extmod ssl/tls tests
extmod_tests() {
	(cd "$tree/tests" && ls extmod/ssl_*.py extmod/tls_*.py) |
		grep -v -e tls_noleak -e tls_threads
}
not_run_extmod="extmod/tls_noleak.py extmod/tls_threads.py"
part_extmod() {
	local name=$1 bin=$2 kind=$3 dir=$out/$1
	echo "== unix: MicroPython's extmod ssl/tls tests on $name"
	for t in $not_run_extmod; do
		echo "   not run: $t (needs micropython-lib's unittest, which Debian's source leaves out)"
	done
	[ -x "$bin" ] || { fail_part "no binary for $name"; return; }
	rm -rf "$dir/extmod-results"
	(cd "$tree/tests" && MICROPY_MICROPYTHON=$bin timeout 600 \
		./run-tests.py --result-dir "$dir/extmod-results" \
		$(extmod_tests)) >"$dir/extmod.log" 2>&1
	# From run-tests.py's own record: its console lines interleave
	# when tests run in parallel ("pass pass a.py b.py"). No record,
	# no results: the part fails below.
	python3 - "$dir/extmod-results/_results.json" >"$dir/extmod.res" <<'PY' ||
import json, sys
for test, status, _ in json.load(open(sys.argv[1]))["results"]:
    print({"pass": "pass", "fail": "FAIL", "skip": "skip"}.get(status, "FAIL"), test)
PY
		fail_part "$name: run-tests.py left no _results.json"
	# Output of failures, for the log.
	if grep -q '^FAIL' "$dir/extmod.res"; then
		for t in $(sed -n 's/^FAIL //p' "$dir/extmod.res"); do
			b=$(echo "$t" | tr / _)
			echo "   --- $t: expected"
			sed 's/^/   | /' "$dir/extmod-results/$b.exp" 2>/dev/null
			echo "   --- $t: got"
			sed 's/^/   | /' "$dir/extmod-results/$b.out" 2>/dev/null
		done
	fi
	local n_not_run
	n_not_run=$(echo $not_run_extmod | wc -w)
	tally "$dir/extmod.res" "$kind" "extmod $name" "$n_not_run"
}
part_extmod unix-bundled "$B" extmod-ours
part_extmod unix-system "$S" extmod-ours
part_extmod unix-stock "$K" extmod-stock

# ---------------------------------------------------------------------
# 3. multi_net ssl/tls tests, server (instance 0) first
netns=1
if ! unshare -n true 2>/dev/null || ! command -v ip >/dev/null; then
	netns=0
	echo "unix: no network namespace (unshare -n / ip missing or not permitted): multi_net runs on the host's loopback"
fi
part_multi() {
	local label=$1 server=$2 client=$3 kind=$4 dir=$out/multi-$1
	mkdir -p "$dir"
	echo "== unix: multi_net ssl/tls, $label (server / client)"
	[ -x "$server" ] && [ -x "$client" ] || { fail_part "no binary for $label"; return; }
	# Every pairing here has ours on one side; the DTLS tests run in
	# each (ussl and the stock module both provide DTLS).
	local files not_run=0
	files=$(cd "$tree/tests" && ls multi_net/*ssl*.py multi_net/*tls*.py |
		sort -u)
	# The instance option is -i in MicroPython 1.26, -t later.
	local opt=-i
	grep -q -- '--test-instance' "$tree/tests/run-multitests.py" && opt=-t
	local cmd="./run-multitests.py $opt exec:$server $opt exec:$client \
		$(echo $files)"
	if [ $netns -eq 1 ]; then
		(cd "$tree/tests" && timeout 900 unshare -n sh -c \
			"ip link set lo up && $cmd") >"$dir/multi.log" 2>&1
	else
		(cd "$tree/tests" && timeout 900 sh -c "$cmd") >"$dir/multi.log" 2>&1
	fi
	sed -n 's/^\(multi_net\/[^ ]*\) on .*: \(pass\|FAIL\|skip\)$/\2 \1/p' \
		"$dir/multi.log" >"$dir/multi.res"
	tally "$dir/multi.res" "$kind" "multi_net $label" "$not_run"
}
part_multi bundled-bundled "$B" "$B" ours/ours
part_multi system-system "$S" "$S" ours/ours
part_multi stock-bundled "$K" "$B" stock/ours
part_multi bundled-stock "$B" "$K" ours/stock

echo "unix: $(( $(date +%s) - start )) s; $failed_parts part(s) failed"
# Expected failures, expected skips and tests that cannot run here are
# all counted as skipped (each named above).
echo "unix: $T_pass passed, $T_fail failed, $T_skip skipped"
[ $failed_parts -eq 0 ] && [ $T_fail -eq 0 ]
