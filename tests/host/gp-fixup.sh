#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Evidence of what the series changes in the ENQCMD #GP fixup: the #GP
# handler (exc_general_protection() in arch/x86/kernel/traps.c) loads the
# mm's PASID into the IA32_PASID MSR on a thread's first ENQCMD, through
# mm_valid_pasid() and mm_get_enqcmd_pasid() of include/linux/iommu.h.
#
# In 6.12 an mm with SVA state always has a PASID, so mm_valid_pasid() only
# tests mm->iommu_mm. With the series an mm bound only with device-local
# PASIDs has SVA state and no global PASID, so mm_valid_pasid() tests the
# PASID itself: such a process takes the #GP as a process without a PASID
# does in 6.12, instead of loading IOMMU_PASID_INVALID into the MSR (and
# mm_get_enqcmd_pasid() reads the PASID with READ_ONCE(), as it may now be
# set after iommu_mm). That must be the only change.
#
# traps.c is compiled with the test kernel's own command line, plus
# CONFIG_INTEL_IOMMU_SVM, without which x86 compiles the fixup out (the
# ENQCMD feature is disabled): (a) as patched; (b) 6.12's traps.c with 6.12's
# version of every header the series changes, but the series' two helpers;
# (c) 6.12 as it is. (a) and (b) must be the same machine code, in the whole
# object: the series changes nothing else that traps.c reads, struct
# iommu_mm_data's layout included. The two helpers are pinned: their text
# in the series must be the one below, so that changing them means changing
# this test. Controls: the fixup is compiled in (it writes MSR 0xd93), (c)
# differs from (a) in exc_general_protection() by at most four added
# instructions and no call (the check sees the helpers, and no more), and
# each compile read the header it should have. Prints TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd -P)
build=$(realpath "${BUILD:-$top/build}")
tree=$build/linux
kobj=$build/kobj
cmdfile=$kobj/arch/x86/kernel/.traps.o.cmd
src=arch/x86/kernel/traps.c

echo "TAP version 13"
echo "1..5"
fail_all() {
	echo "not ok 1 $1"
	echo "not ok 5 the series' helpers are the pinned ones"
	echo "not ok 2 the fixup is compiled in"
	echo "not ok 3 control: 6.12's helpers give other code"
	echo "not ok 4 each compile read its own iommu.h"
	exit 0
}
[ -f "$cmdfile" ] || fail_all "$cmdfile missing: build the kernel first"
git -C "$tree" rev-parse -q --verify base >/dev/null || fail_all "no tag base in $tree"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 6.12's traps.c and, ahead of the tree's include directories, 6.12's
# version of every header the series changes (those it adds stay out).
mkdir -p "$tmp/old"
git -C "$tree" show "base:$src" > "$tmp/old/traps.c" || fail_all "no $src in base"
while read -r f; do
	case "$f" in
	include/*|arch/x86/include/*) ;;
	*) continue ;;
	esac
	git -C "$tree" cat-file -e "base:$f" 2>/dev/null || continue
	mkdir -p "$tmp/old/$(dirname "$f")"
	git -C "$tree" show "base:$f" > "$tmp/old/$f"
done < <(git -C "$tree" diff --name-only base HEAD)
[ -f "$tmp/old/include/linux/iommu.h" ] || fail_all "the series no longer changes include/linux/iommu.h: update this test"
# (b): 6.12's headers with the series' mm_get_enqcmd_pasid() and
# mm_valid_pasid() (the CONFIG_IOMMU_SVA ones, the first of each) in place
# of 6.12's
mkdir -p "$tmp/mix"
cp -a "$tmp/old/." "$tmp/mix/"
python3 - "$tree/include/linux/iommu.h" "$tmp/old/include/linux/iommu.h" \
	"$tmp/mix/include/linux/iommu.h" <<'PY' || fail_all "cannot swap the helpers into 6.12's iommu.h"
import re, sys
def fn(text, name):
    m = re.search(r'^static inline \w+ %s\(struct mm_struct \*mm\)\n\{\n.*?^\}\n' % name,
                  text, re.S | re.M)
    if not m:
        sys.exit('no %s()' % name)
    return m
new, old = open(sys.argv[1]).read(), open(sys.argv[2]).read()
helpers = fn(new, 'mm_get_enqcmd_pasid').group(0) + '\n' + fn(new, 'mm_valid_pasid').group(0)
a, b = fn(old, 'mm_valid_pasid'), fn(old, 'mm_get_enqcmd_pasid')
assert a.end() <= b.start()
out = old[:a.start()] + helpers + old[a.end():b.start()] + old[b.end():]
open(sys.argv[3], 'w').write(out)
PY

cmd=$(sed -n 's/^savedcmd_[^ ]* := //p' "$cmdfile" | sed 's/ ; .*//')
# compile SOURCE OBJECT EXTRA_INCLUDES: with the kernel's flags, listing the
# headers read (-H) in OBJECT.h
compile() {
	local c
	c=$(echo "$cmd" | sed -e "s#-Wp,-MMD,[^ ]*#-Wp,-MMD,$tmp/dep.d#" \
		-e "s# -o [^ ]*# -o $2#" -e "s# [^ ]*traps\.c\$# $1#" \
		-e "s#-nostdinc#-nostdinc -DCONFIG_INTEL_IOMMU_SVM=1 $3#")
	(cd "$kobj" && eval "$c -H -I$tree/arch/x86/kernel") >"$2.h" 2>&1
}
disasm() { objdump -d -r --no-show-raw-insn "$1" | sed '1,/^Disassembly/d'; }
# exc_general_protection()'s instructions, without addresses and offsets
gpfn() {
	disasm "$1" | awk '/^[0-9a-f]+ <exc_general_protection>:/ { p = 1; next } /^$/ { p = 0 } p' |
		grep -v R_X86_64 | sed -E 's/^ *[0-9a-f]+:\t//; s/[0-9a-f]+ <[^>]*>/<>/; s/\s+/ /g'
}

compile "$tree/$src" "$tmp/new.o" "" &&
compile "$tmp/old/traps.c" "$tmp/mix.o" \
	"-I$tmp/mix/arch/x86/include -I$tmp/mix/include" &&
compile "$tmp/old/traps.c" "$tmp/old.o" \
	"-I$tmp/old/arch/x86/include -I$tmp/old/include" || {
	echo "not ok 1 compiling traps.c failed"
	grep -v '^\.' "$tmp"/*.o.h | head -40 | sed 's/^/# /'
	echo "not ok 2 the fixup is compiled in"
	echo "not ok 3 control: 6.12's helpers give other code"
	echo "not ok 4 each compile read its own iommu.h"
	exit 0
}
if cmp -s <(disasm "$tmp/new.o") <(disasm "$tmp/mix.o"); then
	echo "ok 1 traps.o: the series changes nothing but mm_valid_pasid() and mm_get_enqcmd_pasid() in it ($(disasm "$tmp/new.o" | grep -c '^ ') instructions the same)"
else
	echo "not ok 1 traps.o: the series changes more of traps.c's machine code than the two helpers"
	diff <(disasm "$tmp/mix.o") <(disasm "$tmp/new.o") | head -40 | sed 's/^/# /'
fi
gp=$(disasm "$tmp/new.o" | awk '/^[0-9a-f]+ <exc_general_protection>:/ { p = 1; next } /^$/ { p = 0 } p')
if echo "$gp" | grep -A2 '$0xd93,' | grep -Eq 'wrmsr|call'; then
	echo "ok 2 the fixup is compiled in: exc_general_protection() writes MSR 0xd93 (IA32_PASID)"
else
	echo "not ok 2 exc_general_protection() does not write MSR 0xd93: the comparison sees no fixup"
fi
gpdiff=$(diff <(gpfn "$tmp/old.o") <(gpfn "$tmp/new.o") | grep '^[<>]')
added=$(echo "$gpdiff" | grep -c '^>')
removed=$(echo "$gpdiff" | grep -c '^<')
if cmp -s <(disasm "$tmp/new.o") <(disasm "$tmp/old.o"); then
	echo "not ok 3 control: 6.12's helpers give the same code, so test 1 shows nothing"
elif [ "$added" -le 4 ] && [ "$removed" -le 2 ] && ! echo "$gpdiff" | grep -q '^> *call'; then
	echo "ok 3 control: with 6.12's helpers exc_general_protection() differs by $added added and $removed removed instructions, no call:"
	echo "$gpdiff" | sed 's/^/#   /'
else
	echo "not ok 3 exc_general_protection() differs from 6.12's by more than the PASID check ($added added, $removed removed):"
	echo "$gpdiff" | head -40 | sed 's/^/#   /'
fi
if grep -q "^\.* $tree/include/linux/iommu.h" "$tmp/new.o.h" &&
   grep -q "^\.* $tmp/mix/include/linux/iommu.h" "$tmp/mix.o.h" &&
   grep -q "^\.* $tmp/old/include/linux/iommu.h" "$tmp/old.o.h" &&
   ! grep -q "^\.* $tree/include/linux/iommu.h" "$tmp/mix.o.h" "$tmp/old.o.h"; then
	echo "ok 4 each compile read its own iommu.h"
else
	echo "not ok 4 the compiles did not read the iommu.h they should have"
	grep -h 'iommu\.h' "$tmp"/*.o.h | sed 's/^/# /'
fi

# The series' two helpers, pinned.
read -r -d '' pinned <<'PIN'
static inline u32 mm_get_enqcmd_pasid(struct mm_struct *mm)
{
	struct iommu_mm_data *iommu_mm = READ_ONCE(mm->iommu_mm);

	if (!iommu_mm)
		return IOMMU_PASID_INVALID;
	return READ_ONCE(iommu_mm->pasid);
}

static inline bool mm_valid_pasid(struct mm_struct *mm)
{
	return mm_get_enqcmd_pasid(mm) != IOMMU_PASID_INVALID;
}
PIN
# each defined once, under whatever conditional: a second definition
# (another return type, an #if 0 copy) would let the text check miss the
# one compiled
n_get=$(grep -cE '^static inline [a-z0-9_]+ mm_get_enqcmd_pasid\(' "$tree/include/linux/iommu.h")
n_valid=$(grep -cE '^static inline [a-z0-9_]+ mm_valid_pasid\(' "$tree/include/linux/iommu.h")
got=$(awk '/^static inline u32 mm_get_enqcmd_pasid\(struct mm_struct \*mm\)$/ && !n { p = 1 }
	   p { print } p && /^}$/ { n++; p = 0; if (n == 1) { getline; print; q = 1 } }
	   q && /^static inline bool mm_valid_pasid\(struct mm_struct \*mm\)$/ { p = 1; print; q = 0 }
	   n == 2 { exit }' "$tree/include/linux/iommu.h")
# the !CONFIG_IOMMU_SVA stubs are the second definitions
[ "$n_get" = 2 ] && [ "$n_valid" = 2 ] || got="(defined $n_get and $n_valid times, not twice each with the stubs)"
if [ "$got" = "$pinned" ]; then
	echo "ok 5 the series' mm_get_enqcmd_pasid() and mm_valid_pasid() are the pinned ones"
else
	echo "not ok 5 the series' mm_get_enqcmd_pasid() or mm_valid_pasid() changed: review the #GP fixup, then this test"
	diff <(echo "$pinned") <(echo "$got") | sed 's/^/# /'
fi
