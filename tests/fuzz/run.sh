#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/fuzz/run.sh FUZZ_DIR [SECONDS [long]]: every libFuzzer harness built
# in FUZZ_DIR (make fuzz) first replays its committed corpus (tests/fuzz/
# corpus/NAME: seeds and every reproducer found so far), then fuzzes for
# SECONDS (default 15) each. New inputs go to FUZZ_DIR/corpus/NAME; with
# "long" that corpus is kept between runs. A crash, leak, timeout or
# sanitizer report fails the harness and leaves its input in
# FUZZ_DIR/artifacts/. TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:?usage: tests/fuzz/run.sh FUZZ_DIR [SECONDS [long]]}
secs=${2:-15}
mode=${3:-}
n=0
fail=0
echo "TAP version 13"
mkdir -p "$dir/artifacts"
for name in parse batch apply nl; do
	bin=$dir/fuzz_$name
	seeds=$top/tests/fuzz/corpus/$name
	work=$dir/corpus/$name
	[ "$mode" = long ] || rm -rf "$work"
	mkdir -p "$work"
	opts=(-close_fd_mask=2 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
	      "-artifact_prefix=$dir/artifacts/$name-")
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		echo "not ok $n fuzz_$name is not built (make fuzz)"
		fail=1
		continue
	fi
	if "$bin" "${opts[@]}" -runs=0 "$seeds" </dev/null >"$dir/$name.replay.log" 2>&1; then
		echo "ok $n fuzz_$name replays its corpus ($(ls "$seeds" | wc -l) inputs)"
	else
		echo "not ok $n fuzz_$name replays its corpus"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$dir/$name.replay.log" | head -20 | sed 's/^/# /'
		fail=1
	fi
	n=$((n + 1))
	if "$bin" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 \
		"$work" "$seeds" </dev/null >"$dir/$name.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$name.log")
		echo "ok $n fuzz_$name runs ${secs}s clean (${execs:-?} inputs)"
	else
		echo "not ok $n fuzz_$name found a failure in ${secs}s"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$dir/$name.log" | head -20 | sed 's/^/# /'
		fail=1
	fi
done
echo "1..$n"
exit $fail
