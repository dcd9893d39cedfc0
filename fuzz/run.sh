#!/usr/bin/env bash
# run.sh - run the fuzzers built by fuzz/build.sh, one after the other, and
# print executions and coverage of each.
#
# Usage: fuzz/run.sh BUILD_DIR SECONDS [FUZZER...]   (default: all of them)
#
# Each fuzzer grows its corpus in BUILD_DIR/corpus/<fuzzer>/ (kept between
# runs) from the seeds in BUILD_DIR/seeds/<fuzzer>/ and fuzz/corpus/<fuzzer>/,
# with fuzz/<fuzzer>.dict when there is one.  Crashes, leaks and timeouts
# land in BUILD_DIR/artifacts/<fuzzer>/ and make the script exit 1 (only
# those of this run count); the log
# of each run is BUILD_DIR/logs/<fuzzer>.log.  Extra libFuzzer flags:
# FUZZ_FLAGS, e.g. "-fork=1 -ignore_crashes=1 -ignore_timeouts=1" to go on
# past known findings (coverage is then counted differently: compare runs
# of one mode only).
set -uo pipefail

die() { echo "fuzz/run.sh: error: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: $0 BUILD_DIR SECONDS [FUZZER...]"
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "$1" && pwd) || die "no build directory $1"
secs=$2
shift 2
if [ $# -gt 0 ]; then
    fuzzers=("$@")
else
    fuzzers=()
    for f in "$B"/fuzz_*; do
        [ -x "$f" ] && fuzzers+=("${f##*/}")
    done
fi
[ ${#fuzzers[@]} -gt 0 ] || die "no fuzzers in $B (run fuzz/build.sh)"

export USSL_FUZZ_CERTS=${USSL_FUZZ_CERTS:-$B/certs}
# Leaks are findings too; UBSan reports abort the run like ASan's.
# A short allocation stack: unwinding at every malloc of mbedTLS's bignum
# code otherwise costs a sixth of the time.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1:malloc_context_size=10}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

mkdir -p "$B/logs"
status=0
summary=""
for f in "${fuzzers[@]}"; do
    bin="$B/$f"
    [ -x "$bin" ] || die "$bin not built"
    corpus="$B/corpus/$f"
    art="$B/artifacts/$f"
    mkdir -p "$corpus" "$art"
    dirs=("$corpus")
    [ -d "$B/seeds/$f" ] && dirs+=("$B/seeds/$f")
    [ -d "$top/fuzz/corpus/$f" ] && dirs+=("$top/fuzz/corpus/$f")
    [ -d "$top/fuzz/regress/$f" ] && dirs+=("$top/fuzz/regress/$f")
    flags=(-max_total_time="$secs" -print_final_stats=1 -timeout=25
           -rss_limit_mb=2560 -artifact_prefix="$art/")
    # Sizes: the seeds are below these.  fuzz_record runs a handshake
    # per input (tens per second): its operation lists may be long from
    # the start instead of growing with the execution count.
    case $f in
        fuzz_record) flags+=(-max_len=512 -len_control=0) ;;
        fuzz_certinfo) flags+=(-max_len=4096) ;;
        *) flags+=(-max_len=8192) ;;
    esac
    [ -f "$top/fuzz/$f.dict" ] && flags+=(-dict="$top/fuzz/$f.dict")
    log="$B/logs/$f.log"
    stamp="$B/logs/.start-$f"
    touch "$stamp"
    echo "== $f: ${secs}s (log $log)"
    # shellcheck disable=SC2086
    "$bin" "${flags[@]}" ${FUZZ_FLAGS:-} "${dirs[@]}" > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    # -fork=N prints no stat:: lines: take the last status line's figures.
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<< "$last")
    [ -n "$speed" ] || speed=$(sed -n 's/.* exec\/s:\{0,1\} \([0-9]*\).*/\1/p' <<< "$last")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    units=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$last")
    found=$(find "$art" -type f -newer "$stamp" | wc -l)
    line=$(printf '%-14s execs %-9s exec/s %-6s cov %-6s ft %-6s corpus %-5s findings %s' \
           "$f" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${units:-?}" "$found")
    echo "$line"
    summary+="$line"$'\n'
    if [ $rc -ne 0 ] || [ "$found" -gt 0 ]; then
        status=1
        echo "!! $f: exit $rc, findings in $art:" >&2
        find "$art" -type f -newer "$stamp" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz harness)|runtime error' "$log" | head -n 5 >&2
    fi
done
echo "== summary (cov: edges of ussl's code reached; ft: features)"
printf '%s' "$summary"
exit $status
