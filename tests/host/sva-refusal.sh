#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Evidence that a kernel built without CONFIG_IOMMU_SVA_TEST refuses SVA on
# x86 exactly as before: compile the patched drivers/iommu/iommu-sva.c with
# the kernel's own command line (a) with CONFIG_IOMMU_SVA_TEST forced off and
# (b) with the exemption helper replaced by 6.12's literal
# IS_ENABLED(CONFIG_X86) test, and require identical machine code. As a
# control, (c) the option on must differ from (b), or the check could not
# see anything. Prints TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
tree=$build/linux
kobj=$build/kobj
cmdfile=$kobj/drivers/iommu/.iommu-sva.o.cmd
src=$tree/drivers/iommu/iommu-sva.c

echo "TAP version 13"
echo "1..2"
if [ ! -f "$cmdfile" ]; then
	echo "not ok 1 $cmdfile missing: build the kernel first"
	echo "not ok 2 control"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo '#undef CONFIG_IOMMU_SVA_TEST' > "$tmp/off.h"
sed 's/iommu_sva_arch_refuses(dev)/IS_ENABLED(CONFIG_X86)/' "$src" > "$tmp/ref.c"
if ! grep -q 'if (IS_ENABLED(CONFIG_X86))' "$tmp/ref.c"; then
	echo "not ok 1 iommu_sva_bind_device() no longer calls iommu_sva_arch_refuses(dev)"
	echo "not ok 2 control"
	exit 0
fi

cmd=$(sed -n 's/^savedcmd_[^ ]* := //p' "$cmdfile" | sed 's/ ; .*//')
build_obj() { # SOURCE OBJECT EXTRA_FLAGS
	local c
	c=$(echo "$cmd" | sed -e "s#-Wp,-MMD,[^ ]*#-Wp,-MMD,$tmp/dep.d#" \
		-e "s# -o [^ ]*# -o $2#" -e "s# [^ ]*iommu-sva\.c\$# $1#")
	(cd "$kobj" && eval "$c -I$tree/drivers/iommu $3") >"$tmp/cc.log" 2>&1
}
disasm() { objdump -d -r --no-show-raw-insn "$1" | sed '1,/^Disassembly/d'; }

build_obj "$src" "$tmp/off.o" "-include $tmp/off.h" &&
build_obj "$tmp/ref.c" "$tmp/ref.o" "-include $tmp/off.h" &&
build_obj "$src" "$tmp/on.o" "" || {
	echo "not ok 1 compiling iommu-sva.c failed"
	sed 's/^/# /' "$tmp/cc.log"
	echo "not ok 2 control"
	exit 0
}
if cmp -s <(disasm "$tmp/off.o") <(disasm "$tmp/ref.o"); then
	echo "ok 1 CONFIG_IOMMU_SVA_TEST=n: iommu-sva.o is the unconditional x86 refusal"
else
	echo "not ok 1 CONFIG_IOMMU_SVA_TEST=n: iommu-sva.o differs from the x86 refusal"
	diff <(disasm "$tmp/ref.o") <(disasm "$tmp/off.o") | head -40 | sed 's/^/# /'
fi
if cmp -s <(disasm "$tmp/on.o") <(disasm "$tmp/ref.o"); then
	echo "not ok 2 control: CONFIG_IOMMU_SVA_TEST=y compiles to the same code"
else
	echo "ok 2 control: CONFIG_IOMMU_SVA_TEST=y compiles to different code"
fi
