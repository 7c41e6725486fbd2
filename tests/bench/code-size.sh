#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/code-size.sh [BUILD]: what the series costs in code where the
# PASID pools are left out, a figure for "no cost when off". It builds the
# IOMMU core's objects (drivers/iommu/iommu.o and iommu-sva.o) three times
# for each of two architectures (tinyconfig plus an IOMMU with SVA):
#
#   x86_64 with the Intel IOMMU and SVM, where 6.12 refuses every SVA bind,
#          so that its bind code compiles away and the series' SVA code
#          counts in full against next to nothing;
#   arm64  with the SMMUv3 and its SVA, where 6.12 binds (cross-compiled
#          with aarch64-linux-gnu-gcc; skipped without it);
#
# each as:
#
#   base   6.12 as it is (a worktree of build/linux at "base");
#   off    the series with CONFIG_IOMMU_PASID_POOLS=n (and so no family);
#   on     the series with the pools, without the family (its own objects
#          are listed apart, they are not in the core's);
#
# and prints the size(1) figures of each and their ratios to base's. Objects
# go to BUILD/kobj-size-ARCH-{base,off,on}, so a second run is incremental. A
# figure, not a test: nothing fails on the numbers, only on a build that
# could not be made. Run by "make bench", or alone after "make kernel".
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
tree=$build/linux
wt=$build/size-base
jobs=${JOBS:-$(nproc)}
ccache=
command -v ccache >/dev/null && ccache="ccache "

[ -d "$tree/.git" ] || { echo "code-size.sh: no $tree: run make kernel first" >&2; exit 2; }
tgit() { git -C "$tree" "$@"; }

tgit worktree prune
if [ ! -d "$wt" ] || [ "$(git -C "$wt" rev-parse HEAD 2>/dev/null)" != "$(tgit rev-parse base)" ]; then
	rm -rf "$wt"
	tgit worktree prune
	tgit worktree add -q --detach "$wt" base
fi

# the fragment of each architecture
frag_x86='CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_ACPI=y
CONFIG_NET=y
CONFIG_IOMMU_SUPPORT=y
CONFIG_INTEL_IOMMU=y
CONFIG_INTEL_IOMMU_SVM=y
CONFIG_IOMMU_SVA=y'
frag_arm64='CONFIG_SMP=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_NET=y
CONFIG_IOMMU_SUPPORT=y
CONFIG_ARM_SMMU_V3=y
CONFIG_ARM_SMMU_V3_SVA=y
CONFIG_IOMMU_SVA=y'

# objs ARCH NAME SRC EXTRA-LINE...: configure BUILD/kobj-size-ARCH-NAME from
# SRC with ARCH's fragment and EXTRA-LINEs, checked, and build the core's
# objects.
objs() {
	local arch=$1 name=$2 src=$3 o=$build/kobj-size-$1-$2 line frag cc=gcc
	local -a kargs=(ARCH="$arch")
	shift 3
	frag=frag_$arch
	if [ "$arch" != x86 ]; then
		kargs+=(CROSS_COMPILE=aarch64-linux-gnu-)
		cc=aarch64-linux-gnu-gcc
	fi
	mkdir -p "$o"
	printf '%s\n' "${!frag}" "$@" > "$o/size.fragment"
	make -s -C "$src" O="$o" "${kargs[@]}" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$o" "$o/.config" "$o/size.fragment" >/dev/null
	make -s -C "$src" O="$o" "${kargs[@]}" olddefconfig >/dev/null
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$o/.config" ||
			{ echo "code-size.sh: $arch $name: $line did not hold" >&2; exit 2; } ;;
		"# CONFIG_"*) ! grep -q "^${line#\# }" "$o/.config" ||
			{ echo "code-size.sh: $arch $name: $line did not hold" >&2; exit 2; } ;;
		esac
	done < "$o/size.fragment"
	echo "  MAKE    kobj-size-$arch-$name: drivers/iommu/iommu.o iommu-sva.o" >&2
	make -s -C "$src" O="$o" "${kargs[@]}" CC="$ccache$cc" -j"$jobs" \
		drivers/iommu/iommu.o drivers/iommu/iommu-sva.o >/dev/null
}

# text, data, bss, total of the core's two objects
sizes() {
	size "$build/kobj-size-$1/drivers/iommu/iommu.o" \
		"$build/kobj-size-$1/drivers/iommu/iommu-sva.o" |
		awk 'NR > 1 { t += $1; d += $2; b += $3 } END { print t, d, b, t + d + b }'
}

archs="x86 arm64"
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
	echo "code-size.sh: no aarch64-linux-gnu-gcc, arm64 skipped" >&2
	archs=x86
fi
for arch in $archs; do
	objs $arch base "$wt"
	objs $arch off "$tree" "# CONFIG_IOMMU_PASID_POOLS is not set"
	objs $arch on "$tree" "CONFIG_IOMMU_PASID_POOLS=y" "# CONFIG_IOMMU_PASID_NETLINK is not set"
done

for arch in $archs; do
	read -r bt bd bb btot < <(sizes "$arch-base")
	case $arch in
	x86) what="x86_64 tinyconfig + Intel IOMMU SVM, gcc $(gcc -dumpversion)" ;;
	arm64) what="arm64 tinyconfig + SMMUv3 SVA, aarch64-linux-gnu-gcc $(aarch64-linux-gnu-gcc -dumpversion)" ;;
	esac
	echo "Code size of the IOMMU core (drivers/iommu/iommu.o + iommu-sva.o), $what:"
	printf '%-28s %8s %8s %8s %8s %7s\n' kernel text data bss total ratio
	for k in base off on; do
		read -r t d b tot < <(sizes "$arch-$k")
		case $k in
		base) label="6.12" ;;
		off) label="series, pools off" ;;
		on) label="series, pools on" ;;
		esac
		printf '%-28s %8d %8d %8d %8d %7s\n' "$label" "$t" "$d" "$b" "$tot" \
			"$(awk -v a="$tot" -v b="$btot" 'BEGIN { printf "%.2f", a / b }')"
	done
done
