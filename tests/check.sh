#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of "make check", after the kernel and the test programs are built:
# host checks, then one VM boot running every in-kernel and in-VM suite, then
# one summary line "N passed, N failed, N skipped".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
res=$build/results
rm -rf "$res"
mkdir -p "$res/host" "$res/vm"

echo "== host checks"
"$top/tests/host/run.sh" "$res/host"

echo "== VM: KUnit, kselftests, netlink tests"
start=$(date +%s)
"$top/tests/vm/run" --timeout "${VM_TIMEOUT:-1800}" --out "$res/vm" --console "$res/console.log" \
	"$top/tests/vm/check-guest.sh" "$build"
rc=$?
echo "== VM run took $(( $(date +%s) - start ))s, exit $rc"
{
	echo "TAP version 13"
	echo "1..1"
	if [ $rc = 0 ]; then
		echo "ok 1 VM run exits 0 with a clean kernel console"
	else
		echo "not ok 1 VM run exits 0 with a clean kernel console (exit $rc, log: $res/console.log)"
	fi
} > "$res/vm-run.tap"

echo "== results"
exec python3 "$top/tests/summarize.py" \
	--expect checkpatch --expect sva-refusal --expect vm-run \
	--expect vm-steps --expect ksft-iommu_sva_mock \
	--expect kunit-iommu-sva-mock --expect pasid-model --expect nl-iommu-pasid --expect ynl-cli \
	--expect ynl-gen --expect pasidctl-unit --expect pasidctl-cli \
	--expect pasidctl-e2e --expect pasidctl-json --expect pasidctl-man-examples \
	"$res/host" "$res/vm" "$res"
