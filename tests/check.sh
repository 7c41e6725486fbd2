#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of "make check", after the kernels and the test programs are built:
# host checks, then a boot of the test kernel running every in-kernel and
# in-VM suite but the stress test, then a boot of the KASAN kernel running
# KUnit, the kselftests and the stress test, then one summary line
# "N passed, N failed, N skipped".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
res=$build/results
rm -rf "$res"
mkdir -p "$res/host" "$res/vm" "$res/vm-kasan"

echo "== host checks"
"$top/tests/host/run.sh" "$res/host"

# vm_run NAME KERNEL [kasan]: one boot, its verdict in $res/NAME.tap.
vm_run() {
	local name=$1 kernel=$2 flavor=${3:-} start rc
	start=$(date +%s)
	VM_KERNEL=$kernel "$top/tests/vm/run" --timeout "${VM_TIMEOUT:-1800}" \
		--out "$res/vm$flavor" --console "$res/console$flavor.log" \
		"$top/tests/vm/check-guest.sh" "$build" ${flavor#-}
	rc=$?
	echo "== $name took $(( $(date +%s) - start ))s, exit $rc"
	{
		echo "TAP version 13"
		echo "1..1"
		if [ $rc = 0 ]; then
			echo "ok 1 $name exits 0 with a clean kernel console"
		else
			echo "not ok 1 $name exits 0 with a clean kernel console (exit $rc, log: $res/console$flavor.log)"
		fi
	} > "$res/$name.tap"
}

echo "== VM: KUnit, kselftests, model test, netlink and pasidctl tests"
vm_run vm-run "$build/bzImage"
echo "== KASAN VM: KUnit, kselftests, concurrent stress"
vm_run vm-run-kasan "$build/bzImage-kasan" -kasan

echo "== results"
exec python3 "$top/tests/summarize.py" \
	--expect checkpatch --expect sva-refusal --expect gp-fixup --expect vm-run \
	--expect vm-steps --expect ksft-iommu_sva_mock \
	--expect kunit-iommu-sva-mock --expect pasid-model --expect nl-iommu-pasid --expect ynl-cli \
	--expect vm-run-kasan --expect vm-steps-kasan --expect ksft-iommu_sva_mock-kasan \
	--expect kunit-iommu-sva-mock-kasan --expect stress-kasan \
	--expect ynl-gen --expect kernel-doc --expect pasidctl-unit --expect pasidctl-cli \
	--expect pasidctl-unit-san --expect pasidctl-cli-san --expect fuzz \
	--expect pasidctl-e2e-san \
	--expect pasidctl-e2e --expect pasidctl-json --expect pasidctl-man-examples \
	--expect ns-refusal --expect uacce --expect uacce-kasan \
	"$res/host" "$res/vm" "$res/vm-kasan" "$res"
