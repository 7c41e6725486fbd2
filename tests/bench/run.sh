#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/run.sh BUILD: the body of "make bench", after the two bench
# kernels (kernel/tree.sh bench) and the test programs are built.
#
#   1. BENCH_ROUNDS rounds (default 5) of tests/bench/kcost.sh, each booting
#      the baseline kernel (6.12 with the mock only) and the series' kernel
#      in turn, the order swapped every round: bind costs, slab memory per
#      bond, pool allocations under reservations;
#   2. one boot of the series' kernel for tests/bench/bench.sh: the dumps,
#      through the kernel alone and through pasidctl, cli.py and a bare
#      libnl loop;
#   3. tests/host/gp-fixup.sh: what the series changes in the #GP fixup;
#   4. tests/bench/code-size.sh: the IOMMU core's code size in 6.12 and in
#      the series with the PASID pools off and on;
#
# then one table (tests/bench/table.py) of every figure, its goal, and
# whether it meets it. The logs stay in BUILD/bench-run. Figures are never a
# test: nothing fails on them, but a run that could not measure fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:?usage: tests/bench/run.sh BUILD}
T=$B/bench-run
rounds=${BENCH_ROUNDS:-5}
rm -rf "$T"
mkdir -p "$T"
for k in bench baseline; do
	[ -f "$B/bzImage-$k" ] || { echo "tests/bench/run.sh: no $B/bzImage-$k: run kernel/tree.sh bench" >&2; exit 2; }
done

for r in $(seq "$rounds"); do
	order="baseline patched"
	[ $((r % 2)) = 1 ] || order="patched baseline"
	for k in $order; do
		kern=$B/bzImage-bench
		[ "$k" = patched ] || kern=$B/bzImage-baseline
		echo "== round $r of $rounds: the $k kernel"
		VM_KERNEL=$kern "$top/tests/vm/run" --timeout 1800 \
			bash "$top/tests/bench/kcost.sh" "$B" "$k" "$r" > "$T/$k-$r.log" 2>&1
		rc=$?
		grep -v '^FIG ' "$T/$k-$r.log"
		[ $rc = 0 ] || { echo "tests/bench/run.sh: round $r on the $k kernel failed ($rc)" >&2; exit 1; }
	done
done

echo "== the dumps and the CLI (the series' kernel)"
VM_KERNEL=$B/bzImage-bench VM_MEM=${VM_MEM:-3072} "$top/tests/vm/run" --timeout 3600 \
	bash "$top/tests/bench/bench.sh" "$B" > "$T/cli.log" 2>&1
rc=$?
grep -v '^FIG ' "$T/cli.log"
[ $rc = 0 ] || { echo "tests/bench/run.sh: the dump benchmark failed ($rc)" >&2; exit 1; }

echo "== the ENQCMD #GP fixup"
"$top/tests/host/gp-fixup.sh" > "$T/gp-fixup.tap"
cat "$T/gp-fixup.tap"

echo "== code size, PASID pools off and on"
"$top/tests/bench/code-size.sh" "$B" | tee "$T/code-size.txt" ||
	{ echo "tests/bench/run.sh: the code-size builds failed" >&2; exit 1; }

echo
python3 "$top/tests/bench/table.py" "$T"
