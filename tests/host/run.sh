#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/host/run.sh RESULT_DIR
# Host-side checks of the kernel series, written as TAP files in RESULT_DIR:
#   checkpatch.tap    scripts/checkpatch.pl --strict on every patch
#   sva-refusal.tap   with CONFIG_IOMMU_SVA_TEST off, iommu-sva.o is the
#                     code of an unconditional x86 refusal
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
tree=$build/linux
out=${1:?usage: tests/host/run.sh RESULT_DIR}
mkdir -p "$out"
# checkpatch's helpers want Debian's python3 and its modules (ply, git).
export PATH=/usr/bin:/bin:$PATH

# checkpatch: one test per patch, failing on any ERROR, WARNING or CHECK.
{
	echo "TAP version 13"
	n=0
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		n=$((n + 1))
		log=$("$tree/scripts/checkpatch.pl" --strict --no-summary --showfile \
			"$top/kernel/patches/$p" 2>&1)
		if echo "$log" | grep -qE '^(ERROR|WARNING|CHECK)|: (ERROR|WARNING|CHECK):|Traceback'; then
			echo "not ok $n checkpatch --strict $p"
			echo "$log" | sed 's/^/# /'
		else
			echo "ok $n checkpatch --strict $p"
		fi
	done < "$top/kernel/patches/series"
	echo "1..$n"
} > "$out/checkpatch.tap"

"$top/tests/host/sva-refusal.sh" > "$out/sva-refusal.tap"
cat "$out/checkpatch.tap" "$out/sva-refusal.tap" | grep -E '^(not )?ok|^# '
exit 0
