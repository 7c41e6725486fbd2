#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/code-size.sh [BUILD]: what the series costs in code where the
# PASID pools are left out, a figure for "no cost when off". It builds the
# IOMMU core's objects (drivers/iommu/iommu.o and iommu-sva.o) three times,
# for x86_64 with the Intel IOMMU and SVM (so that the SVA code is built):
#
#   base   6.12 as it is (a worktree of build/linux at "base");
#   off    the series with CONFIG_IOMMU_PASID_POOLS=n (and so no family);
#   on     the series with the pools, without the family (its own objects
#          are listed apart, they are not in the core's);
#
# and prints the size(1) figures of each and their ratios to base's. Objects
# go to BUILD/kobj-size-{base,off,on}, so a second run is incremental. A
# figure, not a test: nothing fails on the numbers, only on a build that
# could not be made. Run by "make bench", or alone after "make kernel".
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
tree=$build/linux
wt=$build/size-base
jobs=${JOBS:-$(nproc)}
cc="gcc"
command -v ccache >/dev/null && cc="ccache gcc"

[ -d "$tree/.git" ] || { echo "code-size.sh: no $tree: run make kernel first" >&2; exit 2; }
tgit() { git -C "$tree" "$@"; }

tgit worktree prune
if [ ! -d "$wt" ] || [ "$(git -C "$wt" rev-parse HEAD 2>/dev/null)" != "$(tgit rev-parse base)" ]; then
	rm -rf "$wt"
	tgit worktree prune
	tgit worktree add -q --detach "$wt" base
fi

frag=$build/code-size.fragment
cat > "$frag" <<'EOF'
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_ACPI=y
CONFIG_NET=y
CONFIG_IOMMU_SUPPORT=y
CONFIG_INTEL_IOMMU=y
CONFIG_INTEL_IOMMU_SVM=y
CONFIG_IOMMU_SVA=y
EOF

# objs NAME SRC EXTRA-LINE...: configure BUILD/kobj-size-NAME from SRC with
# the fragment and EXTRA-LINEs, checked, and build the core's objects.
objs() {
	local name=$1 src=$2 o=$build/kobj-size-$1 line
	shift 2
	mkdir -p "$o"
	cp "$frag" "$o/size.fragment"
	printf '%s\n' "$@" >> "$o/size.fragment"
	make -s -C "$src" O="$o" ARCH=x86 tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$o" "$o/.config" "$o/size.fragment" >/dev/null
	make -s -C "$src" O="$o" ARCH=x86 olddefconfig >/dev/null
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$o/.config" ||
			{ echo "code-size.sh: $name: $line did not hold" >&2; exit 2; } ;;
		"# CONFIG_"*) ! grep -q "^${line#\# }" "$o/.config" ||
			{ echo "code-size.sh: $name: $line did not hold" >&2; exit 2; } ;;
		esac
	done < "$o/size.fragment"
	echo "  MAKE    kobj-size-$name: drivers/iommu/iommu.o iommu-sva.o" >&2
	make -s -C "$src" O="$o" ARCH=x86 CC="$cc" -j"$jobs" \
		drivers/iommu/iommu.o drivers/iommu/iommu-sva.o >/dev/null
}

objs base "$wt"
objs off "$tree" "# CONFIG_IOMMU_PASID_POOLS is not set"
objs on "$tree" "CONFIG_IOMMU_PASID_POOLS=y" "# CONFIG_IOMMU_PASID_NETLINK is not set"

# text, data, bss, total of the core's two objects
sizes() {
	size "$build/kobj-size-$1/drivers/iommu/iommu.o" \
		"$build/kobj-size-$1/drivers/iommu/iommu-sva.o" |
		awk 'NR > 1 { t += $1; d += $2; b += $3 } END { print t, d, b, t + d + b }'
}
read -r bt bd bb btot < <(sizes base)
echo "Code size of the IOMMU core (drivers/iommu/iommu.o + iommu-sva.o), x86_64 tinyconfig + Intel IOMMU SVM, gcc $(gcc -dumpversion):"
printf '%-28s %8s %8s %8s %8s %7s\n' kernel text data bss total ratio
for k in base off on; do
	read -r t d b tot < <(sizes "$k")
	case $k in
	base) label="6.12" ;;
	off) label="series, pools off" ;;
	on) label="series, pools on" ;;
	esac
	printf '%-28s %8d %8d %8d %8d %7s\n' "$label" "$t" "$d" "$b" "$tot" \
		"$(awk -v a="$tot" -v b="$btot" 'BEGIN { printf "%.2f", a / b }')"
done
