#!/usr/bin/env bash
# qemu.sh - MicroPython firmware under QEMU (part of make check-micropython,
# and of make bench-micropython with USSL_QEMU_BENCH=1).
#
# Builds MicroPython's ports/qemu firmware for the boards MPS2_AN385
# (Cortex-M3, qemu-system-arm) and VIRT_RV32 (RISC-V, qemu-system-riscv32)
# from Debian's MicroPython source (scripts/micropython/prepare.sh), in
# several ways each, with the port glue of micropython/ports/qemu:
#   ours   with the ussl module (MICROPY_PY_SSL=0), every feature
#   stock  with MicroPython's own `tls` module (MICROPY_PY_SSL=1
#          MICROPY_SSL_MBEDTLS=1) on the same mbedTLS and port configuration
#   none   without TLS
#   ours_stockfeat  ussl with the stock module's features only
#          (USSL_FEATURES=stock: no PSK, sessions, ALPN, signing
#          callback, PEM, `ssl` or `ussl` module; DTLS kept)
#   ours_small      ussl's smallest profile (USSL_PROFILE=small)
#   ours_no_FEATURE (USSL_QEMU_BENCH=1, MPS2_AN385 only) the default less
#          one feature, for what each costs: psk, sessions, alpn, signcb,
#          pem, dtls, ssl (the `ssl` module), ussl (the `ussl` module)
# then, under QEMU (every run bounded by a timeout, QEMU stopped by PID):
#   - ussl's no-network test scripts (tests/micropython: test_memio,
#     test_errors, test_policy) and the port's own (frozen/test_port.py) in
#     the firmware with ussl;
#   - frozen/test_features.py in ours, ours_stockfeat and ours_small: the
#     optional features each was built with, all there or all absent,
#     and verification working in every one;
#   - MicroPython's test runner (tests/run-tests.py) on its no-network
#     ssl/tls tests (extmod/ssl_*, extmod/tls_*) with ours and with
#     ours_stockfeat;
# and prints flash (.text + .data) and static RAM (.data + .bss) of each
# firmware.  That is the check (USSL_QEMU_BENCH=0, the default): the
# stock and no-TLS firmware are built there only for the size comparison.
# With USSL_QEMU_BENCH=1 (make bench-micropython) also:
#   - MicroPython's runner on the ssl/tls tests with stock, and on a
#     basic sanity set (basics/, micropython/ subsets) with each firmware;
#   - the handshake benchmark (frozen/bench_handshake.py) with ours and
#     stock under -icount shift=0: instructions per full handshake (never
#     asserted);
#   - build-micropython/qemu/bench.json (below).
# Ends with "N passed, N failed, N skipped"; exits 1 on failure.
#
# bench.json (USSL_QEMU_BENCH=1), one object:
#   {"boards": {BOARD: {KIND: {"text": N, "data": N, "bss": N,
#     "handshake_insns": N|null, "resumed_insns": N|null}}}}
# BOARD: MPS2_AN385, VIRT_RV32; KIND: ours, stock, none, ours_stockfeat,
# ours_small, ours_no_FEATURE (each present when it was built).  text/data/bss: bytes, Berkeley `size` of firmware.elf
# (.text includes .rodata).  handshake_insns: guest instructions per full
# handshake (QEMU -icount shift=0, median of 5, repeatable to the tick):
# TLS 1.2 ECDHE-ECDSA P-256, client and server in the one firmware over an
# in-memory pipe, the same DER certificates for ours and stock; null for
# none or when the benchmark failed.  resumed_insns: the same for a
# resumed TLS 1.2 handshake (tls.SSLSession; null for the stock module,
# which has no session API, and when a handshake did not resume).
# The firmware's entropy is a TEST-ONLY PRNG (micropython/ports/qemu/
# qemuport/test_rng.c): these machines have no RNG.
#
# Environment: JOBS (default 2), USSL_QEMU_BOARDS (default
# "MPS2_AN385 VIRT_RV32"), USSL_QEMU_BENCH (default 0, see above),
# USSL_QEMU_KINDS (default "ours stock none ours_stockfeat ours_small").
# Output in build-micropython/qemu/ (logs, firmware, results).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-micropython/qemu
jobs=${JOBS:-2}
boards=${USSL_QEMU_BOARDS:-MPS2_AN385 VIRT_RV32}
bench=${USSL_QEMU_BENCH:-0}
glue=$root/micropython/ports/qemu
runner=$root/scripts/micropython/qemu_run.py
# Debian's python3 (python3-serial, which MicroPython's runner needs).
py=/usr/bin/python3
# The GC heap of every firmware (the port's default is 143360): the
# in-memory tests keep client and server of a connection (16 KB input
# buffer each) beside previously dropped ones, which 140 KB does not
# hold without fragmenting; the sizes below subtract it.
heap=262144
started=$(date +%s)

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "  PASS $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }
skip() { skipped=$((skipped + 1)); echo "  SKIP $*"; }
finish() {
	echo "qemu: $(($(date +%s) - started)) s"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

mkdir -p "$out"

# --- tools --------------------------------------------------------------------
missing=""
for t in arm-none-eabi-gcc qemu-system-arm openssl; do
	command -v $t >/dev/null || missing="$missing $t"
done
if [ ! -x $py ] || ! $py -c "import serial" 2>/dev/null; then
	missing="$missing python3-serial(/usr/bin/python3)"
fi
if [ -n "$missing" ]; then
	bad "tools missing:$missing (make deps installs deps/micropython-packages.txt)"
	finish
fi
rv_why=""
if ! command -v riscv64-unknown-elf-gcc >/dev/null; then
	rv_why="no riscv64-unknown-elf-gcc (Debian: gcc-riscv64-unknown-elf)"
elif [ "$(riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 \
    --print-file-name=picolibc.specs)" = picolibc.specs ]; then
	rv_why="no RV32 C library (Debian: picolibc-riscv64-unknown-elf)"
elif ! command -v qemu-system-riscv32 >/dev/null; then
	rv_why="no qemu-system-riscv32 (Debian: qemu-system-misc)"
fi

# --- sources, cross-compiler, test files --------------------------------------
tree=$(bash "$root/scripts/micropython/prepare.sh" | tail -n 1) ||
	{ bad "MicroPython source (prepare.sh)"; finish; }
echo "qemu: MicroPython tree $tree"

if ! timeout 1200 make -C "$tree/mpy-cross" BUILD="$out/mpy-cross" \
    -j"$jobs" >"$out/mpy-cross.log" 2>&1; then
	tail -n 20 "$out/mpy-cross.log"
	bad "mpy-cross build (log: $out/mpy-cross.log)"
	finish
fi

files=$out/files
bash "$root/tests/certs/mkcerts.sh" "$files/certs" >/dev/null ||
	{ bad "test certificates (tests/certs/mkcerts.sh)"; finish; }
# A certificate of the form MicroPython's own tests use (self-signed,
# CA:TRUE, CN only, no EKU), for test_policy.py; made once.
mp=$files/mpcerts
if [ ! -f "$mp/mp_key.der" ]; then
	mkdir -p "$mp"
	{ openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj "/CN=micropython.local/O=MicroPython/C=AU" -days 3650 \
	    -keyout "$mp/mp_key.pem" -out "$mp/mp_cert.pem" &&
	  openssl x509 -in "$mp/mp_cert.pem" -outform der -out "$mp/mp_cert.der" &&
	  openssl pkey -in "$mp/mp_key.pem" -outform der -out "$mp/mp_key.der"
	} >/dev/null 2>&1 || { bad "MicroPython-style test certificate"; finish; }
fi
# DER forms for the handshake benchmark, which both modules must parse
# (the stock module has no PEM in MicroPython 1.26's configuration).
der=$files/der
mkdir -p "$der"
{ openssl x509 -in "$files/certs/int.pem" -outform der -out "$der/int.der" &&
  cp "$files/certs/server-ec.der" "$files/certs/server-ec.key.der" "$der/"
} || { bad "DER test certificates"; finish; }
$py "$runner" files "$files" "$files/certs" "$mp" "$der" ||
	{ bad "frozen test files"; finish; }
export USSL_QEMU_FILES_DIR=$files
# Debian's source has no micropython-lib; the frozen manifest needs none,
# but MicroPython's make checks that the directory exists.
mkdir -p "$out/no-micropython-lib"
echo "Empty: Debian's MicroPython source has no micropython-lib." \
	>"$out/no-micropython-lib/README.md"

# --- building -----------------------------------------------------------------
kind_args() { # KIND -> make variables
	case $1 in
	ours) echo "MICROPY_PY_SSL=0" ;;
	stock) echo "USSL_MODULE=0 MICROPY_PY_SSL=1 MICROPY_SSL_MBEDTLS=1" ;;
	none) echo "USSL_MODULE=0 MICROPY_PY_SSL=0" ;;
	ours_stockfeat) echo "MICROPY_PY_SSL=0 USSL_FEATURES=stock" ;;
	ours_small) echo "MICROPY_PY_SSL=0 USSL_PROFILE=small" ;;
	ours_no_ssl) echo "MICROPY_PY_SSL=0 USSL_SSL_MODULE=0" ;;
	ours_no_ussl) echo "MICROPY_PY_SSL=0 USSL_SEED_MODULE=0" ;;
	ours_no_*) echo "MICROPY_PY_SSL=0 USSL_$(echo "${1#ours_no_}" |
	    tr a-z A-Z)=0" ;;
	esac
}

build() { # BOARD KIND -> $out/BOARD-KIND/firmware.elf
	local board=$1 kind=$2 dir=$out/$1-$2 key
	# make does not rebuild when flags or the linker script change:
	# a new key, a clean tree.
	key="$(kind_args "$kind") heap=$heap $(cat "$glue"/*/micropython.mk "$glue"/mps2.ld \
	    "$root/micropython/ussl/micropython.mk" "$glue"/manifest.py \
	    "$glue"/frozen/*.py "$root"/tests/micropython/*.py \
	    "$files/qemu_files.py" | md5sum)"
	if [ "$(cat "$dir/.ussl-key" 2>/dev/null)" != "$key" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		echo "$key" >"$dir/.ussl-key"
	fi
	# shellcheck disable=SC2046
	if timeout 1800 make -C "$tree/ports/qemu" BOARD="$board" BUILD="$dir" \
	    USER_C_MODULES="$glue" MICROPY_MPYCROSS="$out/mpy-cross/mpy-cross" \
	    MPY_LIB_DIR="$out/no-micropython-lib" \
	    FROZEN_MANIFEST="$glue/manifest.py" MICROPY_HEAP_SIZE=$heap \
	    $(kind_args "$kind") \
	    -j"$jobs" >"$out/$board-$kind.log" 2>&1; then
		ok "build $board $kind"
		return 0
	fi
	grep -E "error|Error|undefined" "$out/$board-$kind.log" | head -n 10
	bad "build $board $kind (log: $out/$board-$kind.log)"
	rm -f "$dir/firmware.elf"
	return 1
}

qemu_argv() { # BOARD FIRMWARE SERIAL [EXTRA...] -> QEMU command line
	local board=$1 fw=$2 serial=$3
	shift 3
	case $board in
	MPS2_AN385) echo qemu-system-arm -machine mps2-an385 ;;
	VIRT_RV32) echo qemu-system-riscv32 -machine virt -bios none ;;
	esac
	echo -nographic -monitor null -semihosting -serial "$serial" "$@" \
		-kernel "$fw"
}

# --- running ------------------------------------------------------------------
run_script() { # BOARD KIND NAME [FEATURES]: a frozen test script through
	# qemu_env; FEATURES, if given, is its USSL_EXPECT_FEATURES
	local board=$1 kind=$2 name=$3 log=$out/$1-$2-$3.out rc p f end env=""
	[ $# -ge 4 ] && env="qemu_env.ENV['USSL_EXPECT_FEATURES'] = '$4'"
	# shellcheck disable=SC2046
	printf 'import qemuport\nqemuport.settime(%s)\nimport qemu_env\n%s\nqemu_env.run(%s)\n' \
	    "$(date +%s)" "$env" "'$name'" |
	    $py "$runner" exec --timeout 300 -- \
	    $(qemu_argv "$board" "$out/$board-$kind/firmware.elf" stdio) \
	    >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	grep -E '^(FAIL|SKIP|INFO) ' "$log" | sed "s|^|    $board $name: |"
	end=$(grep "^QEMU-END $name " "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $rc -ne 0 ] || [ -z "$end" ]; then
		tail -n 8 "$log" | sed 's/^/    | /'
		bad "$board $kind $name did not run to its end (log: $log)"
	elif [ "$end" != "QEMU-END $name 0" ] && [ "$f" -eq 0 ]; then
		bad "$board $kind $name: exit status ${end##* } without a FAIL line (log: $log)"
	fi
	echo "  $board $kind $name: $p passed, $f failed"
}

run_mptests() { # BOARD KIND LABEL TEST... : MicroPython's runner
	local board=$1 kind=$2 label=$3 log res p f s
	shift 3
	log=$out/$board-$kind-$label.log
	res=$out/results-$board-$kind-$label
	rm -rf "$res"
	# shellcheck disable=SC2046
	(cd "$tree/tests" && PYTHONDONTWRITEBYTECODE=1 timeout 1200 \
	    $py ./run-tests.py -j 1 -r "$res" \
	    -t "execpty:timeout 1100 $(qemu_argv "$board" \
	        "$out/$board-$kind/firmware.elf" pty)" "$@") >"$log" 2>&1
	p=$(grep -c '^pass ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^skip ' "$log")
	grep -E '^(FAIL|skip) ' "$log" | sed "s|^|    $board $kind: |"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if ! grep -q "tests performed" "$log"; then
		tail -n 8 "$log" | sed 's/^/    | /'
		bad "$board $kind run-tests.py $label did not finish (log: $log)"
	fi
	echo "  $board $kind run-tests.py $label: $p passed, $f failed, $s skipped"
}

ssl_tests() { # the no-network ssl/tls tests of Debian's tree
	local t
	for t in "$tree"/tests/extmod/ssl_*.py "$tree"/tests/extmod/tls_*.py; do
		case $(basename "$t") in
		tls_noleak.py | tls_threads.py) ;; # need unittest (below)
		*) echo "extmod/$(basename "$t")" ;;
		esac
	done
}

# A sanity set: the interpreter with the module and its heap use.
sanity_tests() {
	(cd "$tree/tests" && ls basics/gc1.py basics/try_finally_loops.py \
	    basics/with1.py micropython/heapalloc*.py micropython/memstats.py \
	    extmod/hashlib_sha256.py extmod/json_loads.py 2>/dev/null)
}

step() { # print the seconds the previous step took
	local now
	now=$(date +%s)
	echo "  ($1: $((now - step_t)) s)"
	step_t=$now
}

# The check tests the firmware with ussl and builds the others for their
# sizes; the benchmark runs them too (ssl/tls and sanity tests,
# handshakes).
kinds=${USSL_QEMU_KINDS:-ours stock none ours_stockfeat ours_small}
feature_kinds=""
[ "$bench" = 1 ] && feature_kinds="ours_no_psk ours_no_sessions
	ours_no_alpn ours_no_signcb ours_no_pem ours_no_dtls ours_no_chacha
	ours_no_ssl ours_no_ussl"
if [ "$bench" = 1 ]; then
	tls_kinds="ours ours_stockfeat stock"
else
	tls_kinds="ours ours_stockfeat"
fi
declare -A bench_hs bench_res bench_heap bench_cipher
step_t=$(date +%s)
for board in $boards; do
	echo "== $board"
	if [ "$board" = VIRT_RV32 ] && [ -n "$rv_why" ]; then
		skip "$board: cannot be built from Debian's packages here: $rv_why"
		continue
	fi
	board_kinds=$kinds
	[ "$board" = MPS2_AN385 ] && board_kinds="$kinds $feature_kinds"
	for kind in $board_kinds; do
		build "$board" "$kind"
		step "build $board $kind"
	done
	fw=$out/$board-ours/firmware.elf
	if [ -f "$fw" ]; then
		for t in test_memio test_errors test_policy test_port; do
			run_script "$board" ours "$t"
		done
		step "$board test scripts"
	fi
	# The features each firmware was built with (micropython.mk).
	for kind in ours ours_stockfeat ours_small; do
		[ -f "$out/$board-$kind/firmware.elf" ] || continue
		case $kind in
		ours) want="psk sessions alpn signcb pem dtls" ;;
		ours_stockfeat) want="dtls" ;;
		*) want="" ;;
		esac
		run_script "$board" "$kind" test_features "$want"
	done
	for kind in $tls_kinds; do
		[ -f "$out/$board-$kind/firmware.elf" ] || continue
		# shellcheck disable=SC2046
		run_mptests "$board" "$kind" ssl $(ssl_tests)
		skip "$board $kind extmod/tls_noleak.py, tls_threads.py: need unittest (micropython-lib, not in Debian's source)"
		step "$board $kind run-tests.py ssl"
	done
	[ "$bench" = 1 ] || continue
	for kind in $kinds; do
		[ -f "$out/$board-$kind/firmware.elf" ] || continue
		# shellcheck disable=SC2046
		run_mptests "$board" "$kind" sanity $(sanity_tests)
	done
	step "$board run-tests.py sanity"
	for kind in ours stock; do
		[ -f "$out/$board-$kind/firmware.elf" ] || continue
		log=$out/$board-$kind-bench.out
		# shellcheck disable=SC2046
		echo "import qemu_env; qemu_env.run('bench_handshake')" |
		    $py "$runner" exec --timeout 900 -- \
		    $(qemu_argv "$board" "$out/$board-$kind/firmware.elf" stdio \
		        -icount shift=0) >"$log" 2>&1
		if ! grep -q "^BENCH done" "$log" ||
		    grep -q "^BENCH handshake_insns -1" "$log"; then
			tail -n 8 "$log" | sed 's/^/    | /'
			bad "$board $kind handshake benchmark (log: $log)"
			continue
		fi
		bench_hs[$board-$kind]=$(awk '/^BENCH handshake_insns/ {
		    print $3 }' "$log" | sort -n | sed -n 3p)
		bench_res[$board-$kind]=$(awk '/^BENCH resumed_insns/ {
		    print $3 }' "$log" | sort -n | sed -n 3p)
		case ${bench_res[$board-$kind]} in ''|-1) bench_res[$board-$kind]=null ;; esac
		bench_heap[$board-$kind]=$(awk '/^BENCH heap_pair_bytes/ { print $3 }' "$log")
		bench_cipher[$board-$kind]=$(awk '/^BENCH cipher/ { print $3 }' "$log")
	done
	step "$board benchmark"
done

# --- sizes --------------------------------------------------------------------
declare -A sizes
echo "== firmware size (bytes; frozen test payload included alike in each)"
printf '%-11s %-16s %9s %7s %8s %9s %10s %12s\n' board tls text data bss \
	flash "static RAM" "RAM - heap"
for board in $boards; do
	case $board in
	MPS2_AN385) size=arm-none-eabi-size ;;
	*) size=riscv64-unknown-elf-size ;;
	esac
	for kind in $kinds $feature_kinds; do
		fw=$out/$board-$kind/firmware.elf
		[ -f "$fw" ] || continue
		read -r text data bss _ < <($size "$fw" | tail -n 1)
		sizes[$board-$kind]="$text $data $bss"
		printf '%-11s %-16s %9d %7d %8d %9d %10d %12d\n' "$board" "$kind" \
		    "$text" "$data" "$bss" $((text + data)) $((data + bss)) \
		    $((data + bss - heap))
	done
	fz=$out/$board-ours/frozen_content.o
	[ -f "$fz" ] && read -r text data _ < <($size "$fz" | tail -n 1) &&
		echo "  $board frozen test payload (frozen_content.o): $((text + data)) bytes of flash"
done
echo "  flash = .text + .data; static RAM = .data + .bss, which holds the $heap-byte GC heap"

if [ "$bench" = 1 ]; then
	echo "== handshake benchmark (-icount shift=0; median of 5; both ends in one firmware)"
	for k in "${!bench_hs[@]}"; do
		echo "  $k: ${bench_hs[$k]} instructions per full handshake (${bench_cipher[$k]}), ${bench_res[$k]} per resumed one, connected pair keeps ${bench_heap[$k]} bytes of heap"
	done | sort
	# bench.json: see the header.
	{
		echo '{"boards": {'
		bsep=""
		for board in $boards; do
			echo "$bsep  \"$board\": {"
			bsep=","
			ksep=""
			for kind in $kinds $feature_kinds; do
				[ -n "${sizes[$board-$kind]:-}" ] || continue
				read -r text data bss <<<"${sizes[$board-$kind]}"
				printf '%s    "%s": {"text": %d, "data": %d, "bss": %d, "handshake_insns": %s, "resumed_insns": %s}\n' \
				    "$ksep" "$kind" "$text" "$data" "$bss" \
				    "${bench_hs[$board-$kind]:-null}" \
				    "${bench_res[$board-$kind]:-null}"
				ksep=","
			done
			echo "  }"
		done
		echo "}}"
	} >"$out/bench.json.tmp" && mv "$out/bench.json.tmp" "$out/bench.json"
	$py -c "import json, sys; json.load(open(sys.argv[1]))" "$out/bench.json" ||
		bad "bench.json is not JSON"
	echo "qemu: figures in $out/bench.json"
fi
finish
