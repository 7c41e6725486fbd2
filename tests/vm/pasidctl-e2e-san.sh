#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/pasidctl-e2e-san.sh BUILD_DIR: the pasidctl end-to-end tests
# against the ASan+UBSan+LSan build (BUILD_DIR/asan/pasidctl), then one more
# test: no sanitizer wrote a report. Reports go to files under $VM_OUT/san,
# so that one in a command whose exit status a test ignores still counts.
# TAP on stdout.
set -u
B=${1:?usage: pasidctl-e2e-san.sh BUILD_DIR}
OUT=${VM_OUT:?not in the test VM}
san=$OUT/san
rm -rf "$san"
mkdir -p "$san"
export ASAN_OPTIONS=log_path=$san/asan
export UBSAN_OPTIONS=log_path=$san/ubsan:halt_on_error=1:print_stacktrace=1:exitcode=99
PASIDCTL=$B/asan/pasidctl bash "$(dirname "$0")/pasidctl-e2e.sh" "$B" > "$san.tap"
rc=$?
grep -v '^1\.\.[0-9]*$' "$san.tap"
n=$(( $(grep -cE '^(not )?ok ' "$san.tap") + 1 ))
reports=$(find "$san" -type f | wc -l)
if [ "$reports" = 0 ]; then
	echo "ok $n - no sanitizer report from any pasidctl run"
else
	echo "not ok $n - $reports sanitizer reports"
	head -n 40 "$san"/* | sed 's/^/# /'
	rc=1
fi
echo "1..$n"
exit $rc
