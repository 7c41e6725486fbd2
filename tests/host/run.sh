#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/host/run.sh RESULT_DIR
# Host-side checks of the kernel series, written as TAP files in RESULT_DIR:
#   checkpatch.tap    scripts/checkpatch.pl --strict on every patch
#   sva-refusal.tap   with CONFIG_IOMMU_SVA_TEST off, iommu-sva.o is the
#                     code of an unconditional x86 refusal
#   gp-fixup.tap      the ENQCMD #GP fixup in traps.c: the series changes
#                     it only through mm_valid_pasid() and
#                     mm_get_enqcmd_pasid(), by one PASID check (machine
#                     code compared with 6.12's)
#   ynl-gen.tap       generated netlink code matches the spec
#   kernel-doc.tap    scripts/kernel-doc -none -Wall: no warning in the
#                     series' files that 6.12 does not give; every function
#                     and type the driver-api page pulls in is documented;
#                     every attribute, operation and definition of the spec
#                     has a doc; every function named in a commit message
#                     or the cover letter exists
#   pasidctl-unit.tap pasidctl's parsers and printers
#   pasidctl-cli.tap  the pasidctl binary without the family
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
tree=$build/linux
out=${1:?usage: tests/host/run.sh RESULT_DIR}
mkdir -p "$out"
# checkpatch's helpers want Debian's python3 and its modules (ply, git).
export PATH=/usr/bin:/bin:$PATH

# checkpatch: one test per patch, failing on any ERROR, WARNING or CHECK.
# But UNKNOWN_COMMIT_ID: the commit a Fixes: tag cites is mainline's, and
# neither this repository nor the tree made from the Debian tarball has
# mainline's history to look it up in (checkpatch looks in the .git of the
# directory it runs in).
{
	echo "TAP version 13"
	n=0
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		n=$((n + 1))
		log=$("$tree/scripts/checkpatch.pl" --strict --no-summary --showfile \
			--ignore UNKNOWN_COMMIT_ID "$top/kernel/patches/$p" 2>&1)
		if echo "$log" | grep -qE '^(ERROR|WARNING|CHECK)|: (ERROR|WARNING|CHECK):|Traceback'; then
			echo "not ok $n checkpatch --strict $p"
			echo "$log" | sed 's/^/# /'
		else
			echo "ok $n checkpatch --strict $p"
		fi
	done < <(cat "$top/kernel/patches/series"; echo 0000-cover-letter.patch)
	echo "1..$n"
} > "$out/checkpatch.tap"

"$top/tests/host/sva-refusal.sh" > "$out/sva-refusal.tap"
"$top/tests/host/gp-fixup.sh" > "$out/gp-fixup.tap"

# Generated netlink code never drifts from the spec: regenerate every file
# with the kernel's generator and compare; the user-space mode must generate
# too (tools/net/ynl/generated builds it); include/ carries the same UAPI
# header as the series.
{
	echo "TAP version 13"
	echo "1..6"
	spec=$tree/Documentation/netlink/specs/iommu-pasid.yaml
	gen() { (cd "$tree" && /usr/bin/python3 tools/net/ynl/ynl-gen-c.py --spec "$spec" "$@"); }
	tmp=$(mktemp -d)
	n=0
	for f in "kernel --source drivers/iommu/iommu-pasid-nl-gen.c" \
		 "kernel --header drivers/iommu/iommu-pasid-nl-gen.h" \
		 "uapi --header include/uapi/linux/iommu_pasid.h"; do
		set -- $f
		n=$((n + 1))
		if gen --mode "$1" "$2" -o "$tmp/$(basename "$3")" >"$tmp/log" 2>&1 &&
		   cmp -s "$tmp/$(basename "$3")" "$tree/$3"; then
			echo "ok $n $3 is what ynl-gen-c.py makes of the spec"
		else
			echo "not ok $n $3 drifted from the spec (regenerate it)"
			sed 's/^/# /' "$tmp/log"
		fi
	done
	if gen --mode user --source -o "$tmp/u.c" >"$tmp/log" 2>&1 &&
	   gen --mode user --header -o "$tmp/u.h" >>"$tmp/log" 2>&1; then
		echo "ok 4 the spec generates user-space code"
	else
		echo "not ok 4 the spec does not generate user-space code"
		sed 's/^/# /' "$tmp/log"
	fi
	if cmp -s "$top/include/linux/iommu_pasid.h" "$tree/include/uapi/linux/iommu_pasid.h"; then
		echo "ok 5 include/linux/iommu_pasid.h is the series' UAPI header"
	else
		echo "not ok 5 include/linux/iommu_pasid.h differs from the series' UAPI header"
	fi
	# the spec's HTML page shows what the spec says of its group
	if (cd "$tree" && /usr/bin/python3 tools/net/ynl/ynl-gen-rst.py -i "$spec" -o "$tmp/spec.rst") >"$tmp/log" 2>&1 &&
	   grep -q 'sys-admin-perm' "$tmp/spec.rst" &&
	   grep -q 'Every change an admin or a bind makes' "$tmp/spec.rst"; then
		echo "ok 6 ynl-gen-rst.py renders the monitor group's flags and doc"
	else
		echo "not ok 6 ynl-gen-rst.py leaves out the monitor group's flags or doc"
		sed 's/^/# /' "$tmp/log"
	fi
	rm -rf "$tmp"
} > "$out/ynl-gen.tap"
# kernel-doc: the series' C files and headers against the same files in
# 6.12 (line numbers aside), the identifiers of the driver-api page, the
# spec's docs.
{
	echo "TAP version 13"
	n=0
	tmp=$(mktemp -d)
	while read -r f; do
		n=$((n + 1))
		"$tree/scripts/kernel-doc" -none -Wall "$tree/$f" 2>&1 |
			sed -E "s|^$tree/||; s/:[0-9]+: /: /" | sort > "$tmp/new"
		if git -C "$tree" show "base:$f" > "$tmp/base.c" 2>/dev/null; then
			"$tree/scripts/kernel-doc" -none -Wall "$tmp/base.c" 2>&1 |
				sed -E "s|^$tmp/base.c|$f|; s/:[0-9]+: /: /" | sort > "$tmp/old"
		else
			: > "$tmp/old"
		fi
		if comm -23 "$tmp/new" "$tmp/old" | grep -q .; then
			echo "not ok $n kernel-doc -Wall $f: new warnings"
			comm -23 "$tmp/new" "$tmp/old" | sed 's/^/# /'
		else
			echo "ok $n kernel-doc -Wall $f: no new warning"
		fi
	done < <(git -C "$tree" diff --name-only base -- '*.c' '*.h' | grep -v '^tools/')
	page=$tree/Documentation/driver-api/iommu-pasid.rst
	n=$((n + 1))
	if [ -f "$page" ]; then
		missing=$(awk '/^\.\. kernel-doc::/ { f = $3; next }
			/^ *:identifiers:/ { sub(/.*:identifiers:/, ""); id = 1 }
			id && NF && !/^\.\./ { for (i = 1; i <= NF; i++) print f, $i; next }
			{ id = 0 }' "$page" | while read -r file ident; do
				out=$("$tree/scripts/kernel-doc" -rst -function "$ident" "$tree/$file" 2>/dev/null)
				[ -n "$out" ] || echo "$file:$ident"
			done)
		if [ -z "$missing" ]; then
			echo "ok $n every identifier of driver-api/iommu-pasid.rst has kernel-doc"
		else
			echo "not ok $n driver-api/iommu-pasid.rst names undocumented identifiers: $missing"
		fi
	else
		echo "not ok $n Documentation/driver-api/iommu-pasid.rst is missing"
	fi
	n=$((n + 1))
	undoc=$(/usr/bin/python3 - "$tree/Documentation/netlink/specs/iommu-pasid.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
# a subset's attributes are its root set's, documented there
miss = [s["name"] + "." + a["name"] for s in d["attribute-sets"]
        if "subset-of" not in s for a in s["attributes"] if not a.get("doc")]
miss += ["op " + o["name"] for o in d["operations"]["list"] if not o.get("doc")]
miss += ["mcast-group " + g["name"] for g in d.get("mcast-groups", {}).get("list", [])
         if not g.get("doc")]
for e in d.get("definitions", []):
    if not e.get("doc"):
        miss.append("definition " + e["name"])
    for v in e.get("entries", []):
        if isinstance(v, dict) and not v.get("doc") or isinstance(v, str):
            miss.append("definition %s value %s" % (e["name"], v))
print(" ".join(miss))
PY
)
	if [ -z "$undoc" ]; then
		echo "ok $n every attribute, operation, multicast group and definition of the spec has a doc"
	else
		echo "not ok $n the spec leaves undocumented: $undoc"
	fi
	# every function a commit message names exists where the patch sits:
	# in the commit's tree, or in its parent's (a patch may name what it
	# removes); every function the cover letter names exists at the end
	n=$((n + 1))
	fnames() { grep -oE '\b[a-z_][a-z0-9_]{3,}\(\)' | tr -d '()' | sort -u; }
	# the names of $2 (one per line) found in the C and Python of tree $1
	found_in() {
		git -C "$tree" grep -ohwE "$(paste -sd'|' <<< "$2")" "$1" -- \
			'*.c' '*.h' '*.py' | sort -u
	}
	gone=$( {
		for c in $(git -C "$tree" rev-list --reverse base..HEAD); do
			names=$(git -C "$tree" log -1 --format=%B "$c" | fnames)
			[ -n "$names" ] || continue
			comm -23 <(echo "$names") \
				<( { found_in "$c" "$names"; found_in "$c^" "$names"; } | sort -u) |
				sed "s/\$/() in $(git -C "$tree" log -1 --format=%h "$c")/"
		done
		names=$(fnames < "$top/kernel/cover-letter.txt")
		comm -23 <(echo "$names") <(found_in HEAD "$names") |
			sed 's/$/() in the cover letter/'
	} | paste -sd' ')
	if [ -z "$gone" ]; then
		echo "ok $n every function a commit message names exists at that commit, and every one the cover letter names at the end"
	else
		echo "not ok $n functions named where they do not exist: $gone"
	fi
	echo "1..$n"
	rm -rf "$tmp"
} > "$out/kernel-doc.tap"

# pasidctl on the host: parser and printer unit tests, then the binary
# (bad input, no family, batch, apply files, man pages, install, completion).
"$build/pasidctl-unit" > "$out/pasidctl-unit.tap" 2>&1
"$top/tests/host/pasidctl-cli.sh" "$build/pasidctl" > "$out/pasidctl-cli.tap" 2>&1
# The same against the ASan+UBSan+LSan build: a report exits 98 or 99, which
# fails the test that caused it; one more test checks that no report was
# printed at all (a leak at exit in a test that ignores the exit status).
san_run() {
	local name=$1 reports n
	shift
	"$@" > "$out/$name.raw" 2>&1
	reports=$(grep -c 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$out/$name.raw")
	grep -v '^1\.\.[0-9]*$' "$out/$name.raw" > "$out/$name.tap"
	n=$(( $(grep -cE '^(not )?ok ' "$out/$name.tap") + 1 ))
	if [ "$reports" = 0 ]; then
		echo "ok $n no sanitizer report" >> "$out/$name.tap"
	else
		echo "not ok $n $reports sanitizer reports" >> "$out/$name.tap"
		grep -A12 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$out/$name.raw" |
			sed 's/^/# /' >> "$out/$name.tap"
	fi
	echo "1..$n" >> "$out/$name.tap"
	rm -f "$out/$name.raw"
}
san_run pasidctl-unit-san "$build/asan/pasidctl-unit"
SAN=1 san_run pasidctl-cli-san "$top/tests/host/pasidctl-cli.sh" "$build/asan/pasidctl"
# Fuzzing: every harness over its committed corpus, then a bounded run.
"$top/tests/fuzz/run.sh" "$build/fuzz" "${FUZZ_SECONDS:-15}" > "$out/fuzz.tap" 2>&1

cat "$out/checkpatch.tap" "$out/sva-refusal.tap" "$out/ynl-gen.tap" "$out/kernel-doc.tap" \
	"$out/pasidctl-unit.tap" "$out/pasidctl-cli.tap" "$out/pasidctl-unit-san.tap" \
	"$out/pasidctl-cli-san.tap" "$out/fuzz.tap" | grep -E '^(not )?ok|^# '
exit 0
