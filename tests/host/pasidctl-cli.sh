#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/host/pasidctl-cli.sh PASIDCTL: the CLI on the host, where the stock
# kernel has no iommu-pasid family. Bad input must give one "Error:" line
# and exit 1 before any netlink; the missing family exit 3 with one line;
# batch, apply-file checks, help, install and completion. TAP on stdout.
set -u
P=${1:?usage: pasidctl-cli.sh PASIDCTL}
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
echo "TAP version 13"

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }

# expect RC DESC -- ARGS...: exit status RC; for RC != 0 exactly one
# "Error: " line on stderr and nothing on stdout.
expect() {
	local want=$1 desc=$2
	shift 3
	"$P" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	local lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" != "$want" ]; then
		nok "$desc: exit $rc, want $want"
		sed 's/^/# /' "$tmp/err"
	elif [ "$want" != 0 ] && { [ "$lines" != 1 ] || ! grep -q '^Error: ' "$tmp/err" || [ -s "$tmp/out" ]; }; then
		nok "$desc: want one Error: line and no output"
		sed 's/^/# /' "$tmp/err" "$tmp/out"
	else
		ok "$desc (exit $want${lines:+, $(head -c 100 "$tmp/err" | head -n1)})"
	fi
}

D=pci/0000:00:04.0
expect 0 "-V prints the version" -- -V
grep -q '^pasidctl ' "$tmp/out" && ok "-V names pasidctl" || nok "-V output: $(cat "$tmp/out")"
expect 0 "-h prints usage" -- -h
grep -q 'OBJECT := { dev | proc | global | monitor | status | apply }' "$tmp/out" && ok "usage lists the objects" || nok "usage"
for o in dev proc global monitor status apply; do
	expect 0 "$o help exits 0" -- $o help
	grep -q "pasidctl.* $o\b\|Usage: pasidctl" "$tmp/out" && [ ! -s "$tmp/err" ] &&
		ok "$o help is on stdout" || nok "$o help output"
done

# Bad input: exit 1, one line, before any netlink (so it works here).
expect 1 "global set without floor" -- global set
expect 1 "a keyword given twice: range" -- dev reserve svamock/x range 5 range 6
expect 1 "a keyword given twice: label" -- dev release svamock/x range 5 label a label b
expect 1 "a keyword given twice: mode" -- proc set 1 mode local mode global
grep -q '"mode" is given twice' "$tmp/err" && ok "the usage error names the keyword given twice" ||
	nok "the usage error of a keyword given twice"
expect 1 "global floor 0" -- global set floor 0
expect 1 "global floor past 2^20 - 1" -- global set floor 1048576
expect 1 "global floor not a number" -- global set floor 1k
expect 1 "global floor without value" -- global set floor
expect 1 "global set with an unknown keyword" -- global set floor 5 ceiling 9
expect 1 "global show with an argument" -- global show all
expect 1 "unknown global command" -- global reset
expect 1 "range 5-3" -- dev reserve $D range 5-3
expect 1 "range -1" -- dev reserve $D range -1
expect 1 "range 0x" -- dev reserve $D range 0x
expect 1 "range 1-" -- dev reserve $D range 1-
expect 1 "range past 2^20" -- dev reserve $D range 1-1048576
expect 1 "range overflowing 64 bits" -- dev reserve $D range 1-99999999999999999999999
expect 1 "empty range" -- dev reserve $D range ""
expect 1 "range without value" -- dev reserve $D range
expect 1 "overlapping list" -- dev reserve $D range 1-10,5
expect 1 "label too long" -- dev reserve $D range 1 label 0123456789012345678901234567890123
expect 1 "reserve without range" -- dev reserve $D label x
expect 1 "release with range and label" -- dev release $D range 1-2 label x
expect 1 "release with neither" -- dev release $D
expect 1 "pool 5-3" -- dev set $D pool 5-3
expect 1 "dev set with nothing to set" -- dev set $D
expect 1 "unknown mode" -- dev set $D mode sometimes
expect 1 "mode default is for processes" -- dev set $D mode default
expect 1 "no prefix matching (sh)" -- dev sh
expect 1 "unknown dev command" -- dev frobnicate
expect 1 "unknown object" -- frob
expect 1 "unknown keyword" -- dev show $D modes global
expect 1 "bad handle" -- dev show pci/
expect 1 "handle with two slashes" -- dev show a/b/c
expect 1 "proc set pid 0" -- proc set 0 mode local
expect 1 "proc set pid abc" -- proc set abc mode local
expect 1 "proc set pid -1" -- proc set -1 mode local
# pids are decimal only: a hex pid is refused, never read as another pid
expect 1 "proc set pid 0x10 (hex)" -- proc set 0x10 mode local
grep -q '^Error: bad process id "0x10": not a decimal number$' "$tmp/err" &&
	ok "proc set 0x10: the error names 0x10 and says a pid is decimal" || nok "proc set 0x10: $(cat "$tmp/err")"
expect 1 "proc set pid 0X10 (hex)" -- proc set 0X10 max-pasids 4
expect 1 "proc show pid 0x10 (hex)" -- proc show 0x10
grep -q '"0x10"' "$tmp/err" && ok "proc show 0x10 names 0x10" || nok "proc show 0x10: $(cat "$tmp/err")"
expect 1 "proc show pid -5" -- proc show -5
grep -q '"-5"' "$tmp/err" && ok "proc show -5 names -5" || nok "proc show -5: $(cat "$tmp/err")"
expect 1 "proc show pid +5" -- proc show +5
expect 1 "proc show pid 99999999999" -- proc show 99999999999
grep -q '"99999999999": out of range' "$tmp/err" && ok "proc show 99999999999 names it, out of range" ||
	nok "proc show 99999999999: $(cat "$tmp/err")"
expect 1 "proc show pid 4194304 (no pid reaches PID_MAX_LIMIT)" -- proc show 4194304
expect 1 "proc show pid 0" -- proc show 0
expect 1 "proc show pid 0x10 with a filter" -- proc show 0x10 kind local
expect 1 "max-pasids past 2^20" -- proc set 1 max-pasids 2000000
expect 1 "proc set nothing" -- proc set 1
expect 1 "proc show kind auto" -- proc show kind auto
expect 1 "unknown option" -- -x dev show
expect 1 "unknown long option" -- --jsn dev show
expect 1 "-b without a file" -- -b
expect 1 "no object" --
expect 1 "monitor takes no other argument" -- monitor now
expect 1 "monitor rcvbuf too small" -- monitor rcvbuf 100
expect 1 "monitor rcvbuf without a size" -- monitor rcvbuf
expect 1 "status takes no argument" -- status now
expect 1 "apply needs a file" -- apply
expect 1 "apply of a missing file" -- apply "$tmp/nonexistent.json"

# -j: the error is also a JSON object on stderr.
"$P" -j dev reserve $D range 5-3 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 1 ] && sed -n 2p "$tmp/err" | /usr/bin/python3 -c '
import json, sys
e = json.load(sys.stdin)["error"]
assert e["exit-code"] == 1 and "5 is above 3" in e["message"], e'; then
	ok "-j: a JSON error object with the message and exit-code 1"
else
	nok "-j error object"; sed 's/^/# /' "$tmp/err"
fi

# Apply files are checked whole before anything else.
apply_bad() {
	printf '%s' "$2" >"$tmp/a.json"
	expect 1 "apply refuses $1" -- apply "$tmp/a.json"
}
apply_bad "invalid JSON" '{"format-version": 1, "dev": ['
apply_bad "no format-version" '{"dev": []}'
apply_bad "format-version 2" '{"format-version": 2, "dev": []}'
apply_bad "an unknown top-level key" '{"format-version": 1, "dev": [], "devs": []}'
apply_bad "an unknown device key" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "modes": "local"}]}'
apply_bad "handle and match" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "match": {"driver": "idxd"}}]}'
apply_bad "neither handle nor match" '{"format-version": 1, "dev": [{"mode": "local"}]}'
apply_bad "an unknown match key" '{"format-version": 1, "dev": [{"match": {"vendorid": "0x8086"}}]}'
apply_bad "a bad mode" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "mode": "fast"}]}'
apply_bad "pool-min above pool-max" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "pool-min": 9, "pool-max": 3}]}'
apply_bad "a PASID past 2^20" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "pool-max": 1048576}]}'
apply_bad "overlapping reservations" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 1, "last": 9}, {"first": 9, "last": 12}]}]}'
apply_bad "a reservation with last < first" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 9, "last": 1}]}]}'
apply_bad "a long label" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 1, "last": 1, "label": "0123456789012345678901234567890123"}]}]}'
grep -q 'dev\[0\]: unknown key "modes"' <(printf '%s' '{"format-version": 1, "dev": [{"handle": "x/y", "modes": "local"}]}' | "$P" apply - 2>&1) &&
	ok "apply names the entry and the key" || nok "apply error names the entry and key"

# No family here: exit 3, one line saying so.
if "$P" status >/dev/null 2>&1; then
	n=$((n + 1)); echo "ok $n - # SKIP this kernel has the iommu-pasid family"
else
	# (pid 010 is pid 10: leading zeros pass the parser, to the kernel)
	for c in "dev show" "dev show $D" "proc show" "proc set 1 mode local" "dev set $D mode local" "monitor" \
		 "global show" "global set floor 65536" "proc show 010" "proc show 4194303"; do
		expect 3 "no family: $c" -- $c
		grep -q 'no iommu-pasid netlink family' "$tmp/err" && ok "no family: $c says why" ||
			nok "no family: $c message"
	done
	printf '{"format-version": 1, "dev": []}' >"$tmp/a.json"
	expect 3 "no family: apply of a valid file" -- apply "$tmp/a.json"
	"$P" status >"$tmp/out" 2>&1
	rc=$?
	# missing, or not found when pid 1's network namespace is out of reach
	[ $rc = 3 ] && grep -Eq 'family iommu-pasid: (missing|not found)' "$tmp/out" && grep -q '^usable: no' "$tmp/out" &&
		ok "status exits 3 and says the family is missing" || nok "status without family (exit $rc)"
	"$P" -j status >"$tmp/out" 2>/dev/null
	/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["family"]["present"] is False and s["usable"] is False and s["family"]["netns"] in ("initial", "unknown")' "$tmp/out" &&
		ok "status -j says present false, usable false" || nok "status -j"
fi

# Batch: every failure makes it exit 4; without -f it stops at the first.
printf 'dev help\n\n# a comment\nfrob\nproc help\n' >"$tmp/batch"
"$P" -b "$tmp/batch" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 4 ] && [ "$(grep -c '^Usage: pasidctl' "$tmp/out")" = 1 ] && grep -q '^Error: batch line 4 failed: frob$' "$tmp/err" &&
	ok "batch stops at line 4 and exits 4" || nok "batch without -f (exit $rc)"
"$P" -f -b - <"$tmp/batch" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 4 ] && [ "$(grep -c '^Usage: pasidctl' "$tmp/out")" = 2 ] &&
	ok "batch -f goes on after line 4 and exits 4" || nok "batch with -f (exit $rc)"
printf 'dev help\nproc show 1 "quoted arg"\n' >"$tmp/batch"
"$P" -b "$tmp/batch" >/dev/null 2>&1
rc=$?
[ $rc = 4 ] && ok "a line with an extra argument fails the batch" || nok "batch extra arg (exit $rc)"
printf 'dev help\nproc help\n' >"$tmp/batch"
expect 0 "a good batch exits 0" -- -b "$tmp/batch"
expect 1 "-b with a command too" -- -b "$tmp/batch" dev show

# Man pages render without warnings.
for m in "$top"/man/*.8; do
	w=$(LC_ALL=C.UTF-8 groff -ww -z -man "$m" 2>&1)
	[ -z "$w" ] && ok "groff -ww -z $(basename "$m") is clean" ||
		{ nok "groff warns on $(basename "$m")"; echo "$w" | sed 's/^/# /'; }
done

# make install puts everything where DESTDIR and PREFIX say (install-files:
# the binary under test, not a relinked one).
sum=$(md5sum <"$P")
if make -s -C "$top" install-files DESTDIR="$tmp/root" PREFIX=/usr PASIDCTL="$P" >"$tmp/log" 2>&1; then
	[ "$(md5sum <"$P")" = "$sum" ] && cmp -s "$P" "$tmp/root/usr/sbin/pasidctl" &&
		ok "make install-files installs the binary under test, unchanged" ||
		nok "make install-files rebuilt or changed the binary under test"
	miss=
	for f in usr/sbin/pasidctl usr/share/man/man8/pasidctl.8 usr/share/man/man8/pasidctl-dev.8 \
		 usr/share/bash-completion/completions/pasidctl usr/lib/systemd/system/pasidctl-apply.service \
		 usr/lib/udev/rules.d/60-pasidctl.rules usr/share/pasidctl/schema/dev-show.json; do
		[ -e "$tmp/root/$f" ] || miss="$miss $f"
	done
	[ -z "$miss" ] && ok "make install DESTDIR PREFIX=/usr installs binary, man, completion, unit, rule, schemas" ||
		nok "make install misses:$miss"
	grep -q '^ExecStart=/usr/sbin/pasidctl apply /etc/pasidctl.json$' "$tmp/root/usr/lib/systemd/system/pasidctl-apply.service" &&
		ok "the unit runs the installed pasidctl on /etc/pasidctl.json" || nok "unit ExecStart"
else
	nok "make install failed"; sed 's/^/# /' "$tmp/log"
fi

# Hostile input: every case ends in one Error: line and exit 1 (or 4 for a
# batch), never a crash (139), and is refused before any netlink.
expect 1 "a 40-63 character range token (once a stack overflow)" -- \
	dev set $D pool 1-$(printf '0%.0s' {1..40})9999999
expect 1 "a range token past 63 characters" -- dev set $D pool 1-$(printf '0%.0s' {1..80})9
expect 1 "a 255-character range list" -- dev reserve $D range $(printf '1,%.0s' {1..127})1
expect 3 "a signed PCI address is no PCI address, but a name found nowhere" -- dev show -a:01.0
grep -q 'no device "-a:01.0"' "$tmp/err" && ok "-a:01.0 is not read as fffffff6" || nok "-a:01.0: $(cat "$tmp/err")"
expect 1 "dev show .. names no device" -- dev show ..
expect 1 "dev show bus/.. names no device" -- dev show pci/..
expect 1 "a handle with a control character" -- dev show "$(printf 'pci/0000:00:04.0\033]0;x\007')"
expect 1 "--json=1: an option that takes no value" -- --json=1 dev show
grep -q '^Error: option "--json" takes no value$' "$tmp/err" && ok "--json=1 names --json" || nok "--json=1: $(cat "$tmp/err")"
expect 1 "--batch without a file" -- --batch
expect 1 "apply of a directory" -- apply "$tmp"
grep -q 'is a directory' "$tmp/err" && ok "apply of a directory says so" || nok "apply DIR: $(cat "$tmp/err")"
expect 1 "batch of a directory" -- -b "$tmp"
expect 1 "dev help with extra words" -- dev help extra
expect 1 "a bad keyword is a usage error whatever the device" -- dev set nosuchdev mode bogus
expect 1 "an unknown short option in a cluster is named" -- --numeric -xj
grep -q '^Error: unknown option "-x"' "$tmp/err" && ok "-xj names -x" || nok "-xj: $(cat "$tmp/err")"
expect 1 "C1 and bad UTF-8 in an echoed argument are escaped" -- dev set "$(printf 'x\xc2\x9b2J\x9b\xff')" mode local
grep -q 'x\\xc2\\x9b2J\\x9b\\xff' "$tmp/err" && ok "the message escapes them (\\xNN)" || nok "C1: $(cat -v "$tmp/err")"
"$P" -h >/dev/full 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q '^Error: writing the output' "$tmp/err" && ok "-h to a full disk exits 1" || nok "-h >/dev/full exits $rc"
printf 'dev help\n' | "$P" -b - >/dev/full 2>"$tmp/err"; rc=$?
[ $rc = 4 ] && grep -q '^Error: writing the output' "$tmp/err" && ok "a batch to a full disk exits 4" || nok "batch >/dev/full exits $rc"
[ "$(grep -c '^Error: writing the output' "$tmp/err")" = 1 ] && [ "$(grep -c '^Error:' "$tmp/err")" = 2 ] &&
	ok "a batch to a full disk reports the write once, then the line" ||
	{ nok "batch >/dev/full: the write error reported more than once"; sed 's/^/# /' "$tmp/err"; }
# (a sanitizer build maps terabytes of shadow: no address-space limit there)
(if [ -z "${SAN:-}" ]; then ulimit -v 300000; fi; timeout 20 "$P" -b /dev/zero) >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 4 ] && grep -q 'longer than 4096 bytes' "$tmp/err" && ok "batch of /dev/zero ends at the line limit, exit 4" || nok "batch /dev/zero exits $rc"
printf 'global help\0dev show\n' | "$P" -b - >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 4 ] && grep -q 'holds a NUL byte' "$tmp/err" && ok "a NUL in a batch line is an error" || nok "batch NUL exits $rc"
printf 'apply -\n{"format-version": 1, "dev": []}\n' | "$P" -b - >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 4 ] && grep -q 'apply - cannot read stdin' "$tmp/err" && ok "apply - inside -b - is refused" || nok "apply - in -b - exits $rc"
apply_bad "trailing garbage" '{"format-version": 1, "dev": []} x'
apply_bad "a second top-level object" '{"format-version": 1, "dev": []}{"format-version": 1, "dev": []}'
apply_bad "a comment" '/* c */ {"format-version": 1, "dev": []}'
apply_bad "single quotes" "{'format-version': 1, 'dev': []}"
apply_bad "\\u0000 in a label" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 1, "last": 1, "label": "a\u0000b"}]}]}'
apply_bad "\\u0000 in a handle" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0\u0000x"}]}'
apply_bad "\\u0000 in a key" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "mode\u0000x": "local"}]}'
apply_bad "invalid UTF-8" "$(printf '{"format-version": 1, "dev": [{"handle": "pci/\xff\xfe"}]}')"
apply_bad "a handle naming a directory" '{"format-version": 1, "dev": [{"handle": "pci/.."}]}'
apply_bad "pool-min 0 (the kernel refuses it: checked before any change)" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "pool-min": 0}]}'
apply_bad "a reservation from PASID 0" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 0, "last": 3}]}]}'
apply_bad "a key twice (resv given twice would release the first)" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 1, "last": 3}], "resv": []}]}'
apply_bad "a key repeated with an escape (r\\u0065sv)" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 1, "last": 3}], "r\u0065sv": []}]}'
apply_bad "a second dev list written with an escape" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "mode": "local"}], "d\u0065v": []}'
apply_bad "NaN" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "pool-max": NaN}]}'
apply_bad "a raw tab in a string" "$(printf '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0\tx"}]}')"
apply_bad "an overlong UTF-8 NUL" "$(printf '{"format-version": 1, "dev": [{"handle": "/dev/\xc0\x80"}]}')"
apply_bad "label null" '{"format-version": 1, "dev": [{"handle": "pci/0000:00:04.0", "resv": [{"first": 1, "last": 1, "label": null}]}]}'
apply_bad "an empty attr match" '{"format-version": 1, "dev": [{"match": {"attr": {}}}]}'
apply_bad "an attr key with a /" '{"format-version": 1, "dev": [{"match": {"attr": {"../../../etc/shadow": "x"}}}]}'
printf '{"format-version": 1, "dev": [' >"$tmp/big.json"
head -c 1100000 /dev/zero | tr '\0' ' ' >>"$tmp/big.json"
printf ']}' >>"$tmp/big.json"
expect 1 "an apply file past 1 MiB" -- apply "$tmp/big.json"
printf '{"format-version": 1, "dev": []}\0' >"$tmp/a.json"
expect 1 "an apply file with a NUL byte" -- apply "$tmp/a.json"

# Bash completion completes objects, commands and keywords.
comp() {
	# $1: the command line up to the cursor
	bash -c 'source "$1"; COMP_LINE=$2; COMP_POINT=${#2}; read -ra COMP_WORDS <<<"$2 x"; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _pasidctl pasidctl; echo "${COMPREPLY[*]}"' _ "$top/cli/bash-completion/pasidctl" "$1" 2>&1
}
r=$(comp "pasidctl ")
[[ " $r " == *" dev "* && " $r " == *" apply "* ]] && ok "completion offers objects ($r)" || nok "completion objects: $r"
r=$(comp "pasidctl dev ")
[[ " $r " == *" reserve "* && " $r " == *" release "* ]] && ok "completion offers dev commands ($r)" || nok "completion dev: $r"
r=$(comp "pasidctl global ")
[[ " $r " == *" show "* && " $r " == *" set "* ]] && ok "completion offers global commands ($r)" || nok "completion global: $r"
r=$(comp "pasidctl global set ")
[[ "$r" == floor ]] && ok "completion offers floor" || nok "completion global set: $r"
r=$(comp "pasidctl dev set pci/0000:00:04.0 mode ")
[[ "$r" == *global*local*auto* || "$r" == *auto*global*local* ]] && ok "completion offers modes ($r)" || nok "completion modes: $r"

echo "1..$n"
exit $fail
