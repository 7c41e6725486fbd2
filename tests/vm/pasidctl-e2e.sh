#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/pasidctl-e2e.sh BUILD_DIR: pasidctl against the real iommu-pasid
# family, inside the test VM with iommu-sva-mock loaded. Every command, its
# output values, exit codes per error class, batch, apply, monitor. JSON
# outputs are kept in $VM_OUT/json/NAME.SCHEMA.json for validate-json.py.
# TAP on stdout.
set -u
B=${1:?usage: pasidctl-e2e.sh BUILD_DIR}
OUT=${VM_OUT:?not in the test VM}
P=${PASIDCTL:-$B/pasidctl}
BIND=$B/tests/svamock-bind
BIND_MASS=$B/tests/svamock-mass
S=/sys/bus/svamock
J=$OUT/json
T=$(mktemp -d)
mkdir -p "$J"
n=0
fail=0
echo "TAP version 13"

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
show() { sed 's/^/# /' "$@"; }

# run RC DESC ARGS...: pasidctl ARGS exits RC; output in $T/out, $T/err.
run() {
	local want=$1 desc=$2
	shift 2
	"$P" "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$desc (exit $rc)"
	else
		nok "$desc: exit $rc, want $want"
		show "$T/out" "$T/err"
	fi
}
# has DESC PATTERN FILE: grep -E
has() {
	if grep -qE -- "$2" "$3"; then ok "$1"; else nok "$1: no /$2/ in"; show "$3"; fi
}
# keep NAME SCHEMA: keep $T/out for schema validation
keep() { cp "$T/out" "$J/$1.$2.json"; }
# jqv FILTER FILE: one value
jqv() { jq -r "$1" "$2"; }
state() { "$P" -j dev show "$@" | jq -S . ; }

for spec in "501 20" "502 8" "503 16 950" "504 4 950"; do
	echo "$spec" > $S/new_device
done
D1=svamock/svamock501
D2=svamock/svamock502

# --- status and dev show
run 0 "status exits 0 with PASID-capable devices" status
has "status says the family is present" '^family iommu-pasid: present, version 1, monitor group' "$T/out"
has "status lists svamock501 as PASID-capable" "^  $D1: PASID-capable" "$T/out"
run 0 "status -j" -j status
keep status status
check "status -j: usable, family present" [ "$(jqv '.usable and .family.present' "$T/out")" = true ]

run 0 "dev show" dev show
has "dev show: svamock501 line" "^$D1: iommu-group [0-9]+ max-pasids 1048576 pool-min 1 pool-max 1048575 mode global local-ok 1$" "$T/out"
has "dev show: svamock502 has 256 PASIDs" "^$D2: .*max-pasids 256 pool-min 1 pool-max 255 mode global" "$T/out"
run 0 "dev show -j" -j dev show
keep dev-show-all dev-show
check "dev show -j lists the four devices with spec keys" \
	[ "$(jq -r '[.dev[] | select(.["dev-name"] | test("svamock50[1-4]")) | .["max-pasids"]] | join(",")' "$T/out")" = "1048576,256,65536,16" ]
check "dev show -j: devices 503 and 504 share an IOMMU group" \
	[ "$(jq '[.dev[] | select(.["dev-name"] == "svamock503" or .["dev-name"] == "svamock504") | .["iommu-group"]] | unique | length' "$T/out")" = 1 ]
run 0 "dev show -j -p" -j -p dev show $D1
keep dev-show-pretty dev-show
check "-p output is indented JSON" grep -q '^    {' "$T/out"

# --- the global PASID space and devices without local PASIDs
echo "505 20 0 enqcmd" > $S/new_device
D5=svamock/svamock505
run 0 "global show" global show
has "global show: floor, in-use, local-values" '^floor 1 in-use [0-9]+ local-values [0-9]+$' "$T/out"
run 0 "global show -j" -j global show
keep global-show global-show
check "global show -j: default floor 1" [ "$(jqv '.global.floor' "$T/out")" = 1 ]
run 0 "global set floor 4096" global set floor 4096
run 0 "global show -j after the set" -j global show
check "the floor is 4096" [ "$(jqv '.global.floor' "$T/out")" = 4096 ]
run 1 "global set floor 0 is a usage error" global set floor 0
run 0 "global show after the refusal" -j global show
check "the refused floor changed nothing" [ "$(jqv '.global.floor' "$T/out")" = 4096 ]
nobody_global() { setpriv --reuid=65534 --regid=65534 --clear-groups "$P" global set floor 7; }
nobody_global >"$T/out" 2>"$T/err"
check "unprivileged global set exits 2" [ $? = 2 ]
has "it says CAP_SYS_ADMIN" '^Error: changing PASID settings needs CAP_SYS_ADMIN' "$T/err"
run 0 "global set floor 1" global set floor 1
run 0 "dev show of a device that takes ENQCMD" dev show $D5
has "it shows local-ok 0" "^$D5: .* mode global local-ok 0" "$T/out"
run 0 "status" status
has "status: the floor and what is in use" '^global PASIDs: floor 1, [0-9]+ in use; [0-9]+ values in use as local PASIDs$' "$T/out"
has "status: svamock505 takes global PASIDs only" "^  $D5: PASID-capable, global PASIDs only" "$T/out"
has "status: svamock501 allows local PASIDs" "^  $D1: PASID-capable, local PASIDs allowed" "$T/out"
before5=$(state $D5)
run 2 "local mode on the ENQCMD device is refused" dev set $D5 mode local pool 5-100
has "the refusal says why" "^Error: the device's driver relies on the CPU's PASID \\(ENQCMD\\): only global mode applies" "$T/err"
check "the refused set changed nothing, the pool included" [ "$(state $D5)" = "$before5" ]
run 0 "dev show svamock503 (16-bit, grouped with a 4-bit device)" dev show svamock/svamock503
has "its pool starts within the group and the group width shows" "pool-max 15 mode global local-ok 1 group-max-pasids 16$" "$T/out"
run 2 "a pool past the group's width is refused" dev set svamock/svamock503 pool 1-100
has "the refusal names the group" '^Error: pool-max 100 is past 15, the last PASID IOMMU group' "$T/err"
before1=$(state $D1)
printf '{"format-version": 1, "dev": [{"handle": "%s", "mode": "auto"}, {"handle": "%s", "mode": "local"}]}' $D1 $D5 > "$T/enq.json"
run 2 "apply of local mode to the ENQCMD device is refused" apply "$T/enq.json"
has "apply says why, before any change" "^Error: .*dev\\[1\\]: $D5: mode local: the device's driver relies on the CPU's PASID \\(local-ok 0\\); nothing changed" "$T/err"
check "apply changed neither device" [ "$(state $D1)$(state $D5)" = "$before1$before5" ]
printf '{"format-version": 1, "dev": [{"handle": "svamock/svamock503", "pool-min": 1, "pool-max": 100}]}' > "$T/wide.json"
run 2 "apply of a pool past the group's width is refused" apply "$T/wide.json"
has "apply names the group's last PASID" "pool-max 100 is past 15, the last PASID every device of its IOMMU group takes; nothing changed" "$T/err"
# a pool-min past the pool-max the device keeps is refused before the
# reservation the same file drops is released
pool0=$("$P" -j dev show $D1 | jq -r '.dev[0]["pool-min"]|tostring')-$("$P" -j dev show $D1 | jq -r '.dev[0]["pool-max"]|tostring')
run 0 "a narrow pool on svamock501" dev set $D1 pool 10-100
run 0 "a reservation on svamock501" dev reserve $D1 range 50-60 label keep
before1=$(state $D1)
printf '{"format-version": 1, "dev": [{"handle": "%s", "mode": "auto", "pool-min": 200, "resv": []}]}' $D1 > "$T/inverted.json"
run 2 "apply of a pool-min past the kept pool-max is refused" apply "$T/inverted.json"
has "apply says why, before any change" "^Error: .*dev\\[0\\]: $D1: pool-min 200 is past pool-max 100; nothing changed" "$T/err"
check "apply kept the reservation, the pool and the mode" [ "$(state $D1)" = "$before1" ]
run 0 "svamock501's reservation released" dev release $D1 range 50-60
run 0 "svamock501's pool back to $pool0" dev set $D1 pool "$pool0"
# a pool that a narrower group-mate leaves nothing of shows as set, and
# what dev show -j says is an apply file that changes nothing
echo "506 20 90" > $S/new_device
run 0 "a pool 400-500 on svamock506" dev set svamock/svamock506 pool 400-500 mode local
echo "507 8 90" > $S/new_device
run 0 "dev show -j of svamock506 with an 8-bit group-mate" -j dev show svamock/svamock506
check "its pool shows as set, past the group's 256 PASIDs" \
	[ "$(jq -r '.dev[0] | "\(.["pool-min"])-\(.["pool-max"]) \(.["group-max-pasids"])"' "$T/out")" = "400-500 256" ]
cp "$T/out" "$T/narrow.json"
run 0 "that listing applied as a file" apply "$T/narrow.json"
has "changes nothing" '^no changes$' "$T/out"
run 2 "setting that pool again is refused while the group is narrower" dev set svamock/svamock506 pool 400-500
has "the refusal names the group" '^Error: pool-max 500 is past 255, the last PASID IOMMU group' "$T/err"
# a pool-min alone past the group's width is refused before any change, so
# a reservation the file drops stays
run 0 "a reservation on svamock506" -j dev reserve svamock/svamock506 range 10 label keep
printf '{"format-version": 1, "dev": [{"handle": "svamock/svamock506", "pool-min": 300, "resv": []}]}' > "$T/kept.json"
run 2 "apply of a pool-min alone past the group's width" apply "$T/kept.json"
has "apply says why, before any change" 'pool-min 300 is past 255, the last PASID every device of its IOMMU group takes; nothing changed$' "$T/err"
run 0 "dev show -j svamock506 after the refusal" -j dev show svamock/svamock506
check "the reservation and the pool stay" \
	[ "$(jqv '.dev[0] | "\(.["pool-min"])-\(.["pool-max"]) \(.resv[0].first)-\(.resv[0].last) \(.resv[0].label)"' "$T/out")" = "400-500 10-10 keep" ]
# one within it is taken: the kept pool-max reads back clamped while the
# narrower mate is there, and as set once it leaves
printf '{"format-version": 1, "dev": [{"handle": "svamock/svamock506", "pool-min": 100}]}' > "$T/kept.json"
run 0 "apply of a pool-min alone within the group's width" apply "$T/kept.json"
has "it names the side it sends" '^svamock/svamock506: pool-min 400 -> 100$' "$T/out"
run 0 "dev show -j svamock506" -j dev show svamock/svamock506
check "its pool reads back clamped to the group" \
	[ "$(jqv '.dev[0] | "\(.["pool-min"])-\(.["pool-max"])"' "$T/out")" = "100-255" ]
echo 507 > $S/del_device
run 0 "dev show -j svamock506 without the narrower mate" -j dev show svamock/svamock506
check "its pool-max is as set again" \
	[ "$(jqv '.dev[0] | "\(.["pool-min"])-\(.["pool-max"])"' "$T/out")" = "100-500" ]
echo 506 > $S/del_device
echo 505 > $S/del_device

# --- every way to name a device resolves to the same handle
real=$(readlink -f $S/devices/svamock501)
for h in svamock501 $D1 /dev/svamock501 $S/devices/svamock501 "$real"; do
	run 0 "dev show $h" -j dev show "$h"
	check "$h is $D1" [ "$(jqv '.dev[0].handle' "$T/out")" = $D1 ]
done

# --- set, reserve, release
run 0 "dev set mode local pool 10-200" dev set $D2 mode local pool 10-200
run 0 "dev show after set" -j dev show $D2
check "dev set took effect: mode local, pool 10-200" \
	[ "$(jqv '.dev[0] | "\(.mode) \(.["pool-min"])-\(.["pool-max"])"' "$T/out")" = "local 10-200" ]
run 0 "dev reserve a list with a label" dev reserve $D2 range 100-109,120 label vm-guest1
run 0 "dev reserve a single PASID" dev reserve $D2 range 0x80 label spare
run 0 "dev show DEV lists reservations" dev show $D2
has "text shows the reservation 100-109" '^    resv first 100 last 109 label vm-guest1$' "$T/out"
has "text shows the reservation 120-120" '^    resv first 120 last 120 label vm-guest1$' "$T/out"
has "text shows the reservation 128 (0x80)" '^    resv first 128 last 128 label spare$' "$T/out"
has "reserved counts 12 PASIDs" 'reserved 12 ' "$T/out"
run 0 "dev show reserved" dev show reserved
has "dev show reserved lists svamock502" "^$D2:" "$T/out"
grep -q "^$D1:" "$T/out" && nok "dev show reserved lists svamock501 (no reservation)" || ok "dev show reserved leaves out svamock501"
run 0 "dev show mode local" dev show mode local
has "mode local lists svamock502" "^$D2:" "$T/out"
grep -q "^$D1:" "$T/out" && nok "mode local lists a global device" || ok "dev show mode local leaves out global devices"

# --- kernel refusals: exit 2 with the extack text; nothing changes
before=$(state $D2)
run 2 "pool beyond the device is refused" dev set $D2 pool 1-300
has "the refusal is the kernel's extack text" '^Error: pool 1-300 must lie within 1-255' "$T/err"
run 2 "-j refusal" -j dev set $D2 pool 1-300
sed -n 2p "$T/err" > "$T/out"
keep err-pool error
check "-j error names the attribute pool-min and errno 22" \
	[ "$(jqv '.error | "\(.attribute) \(.errno) \(.["exit-code"])"' "$T/out")" = "pool-min 22 2" ]
run 2 "a list overlapping a reservation is refused" dev reserve $D2 range 30-39,105-106
has "the message names the overlap" '^Error: .*10[0-9]' "$T/err"
check "the refused list left nothing reserved (all or nothing)" [ "$(state $D2)" = "$before" ]
run 2 "releasing a range that is not reserved is refused" dev release $D2 range 101-102
check "nothing changed after the refusals" [ "$(state $D2)" = "$before" ]
run 3 "an unknown device handle: not here (exit 3)" dev show svamock/svamock999
has "the kernel names the device" 'no PASID-capable device svamock/svamock999' "$T/err"
run 3 "an unknown bare device name (exit 3)" dev show nosuchdevice
run 2 "proc show of a process that does not exist" proc show 4000000
has "no process: the kernel's message" '^Error: no process 4000000' "$T/err"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$P" "$@"; }
nobody dev set $D2 mode auto >"$T/out" 2>"$T/err"
rc=$?
check "unprivileged dev set is refused with exit 2" [ $rc = 2 ]
has "the refusal says CAP_SYS_ADMIN" '^Error: changing PASID settings needs CAP_SYS_ADMIN' "$T/err"
nobody monitor >"$T/out" 2>"$T/err"
check "unprivileged monitor exits 2" [ $? = 2 ]
has "monitor says it needs CAP_SYS_ADMIN" 'monitor group needs CAP_SYS_ADMIN' "$T/err"
nobody dev show $D2 >"$T/out" 2>"$T/err"
check "unprivileged dev show works" [ $? = 0 ]
check "nothing changed after the unprivileged attempts" [ "$(state $D2)" = "$before" ]

# --- processes: a bound process, its tuples, its policy
"$BIND" -s 600 501 502 503 >"$T/bind.out" 2>&1 &
bpid=$!
for i in $(seq 100); do grep -q svamock503 "$T/bind.out" && break; sleep 0.1; done
has "a process is bound to three devices" 'bound to svamock503' "$T/bind.out"
run 0 "proc show" proc show
has "proc show lists the process" "^pid $bpid comm svamock-bind pasid [0-9]+ mode default max-pasids 0$" "$T/out"
has "its local bond on svamock502 from the pool (10)" "^    bond $D2 pasid 10 kind local users 1$" "$T/out"
has "its global bond on svamock501" "^    bond $D1 pasid [0-9]+ kind global users 1$" "$T/out"
run 0 "proc show PID -j" -j proc show $bpid
keep proc-pid proc-show
check "proc show PID -j: three bonds, global PASID present" \
	[ "$(jqv '.proc[0] | "\(.pid) \(.bond | length) \(.pasid != null)"' "$T/out")" = "$bpid 3 true" ]
check "-j global bonds carry the process's global PASID" \
	[ "$(jqv '.proc[0] | .pasid as $p | [.bond[] | select(.kind == "global") | .pasid] | unique == [$p]' "$T/out")" = true ]
run 0 "proc show dev" -j proc show dev $D2
keep proc-dev proc-show
check "proc show dev lists the process" [ "$(jqv "[.proc[] | select(.pid == $bpid)] | length" "$T/out")" = 1 ]
run 0 "proc show dev with no bound process" -j proc show dev svamock/svamock504
check "proc show dev svamock504 lists no process" [ "$(jqv '.proc | length' "$T/out")" = 0 ]
run 0 "proc show kind local" -j proc show kind local
check "proc show kind local lists the process" [ "$(jqv "[.proc[] | select(.pid == $bpid)] | length" "$T/out")" = 1 ]
run 0 "dev show DEV lists the bond" dev show $D2
has "dev show DEV shows the bond" "^    bond pid $bpid pasid 10 kind local users 1$" "$T/out"
has "dev show DEV counts it" 'allocated 1 reserved 12 bonds-global 0 bonds-local 1' "$T/out"
run 2 "reserving a PASID in use is refused" dev reserve $D2 range 5-15
has "the refusal names PASID 10" '^Error: .*\b10\b.*' "$T/err"
run 2 "a pool that would leave PASID 10 out is refused" dev set $D2 pool 20-200
run 0 "proc set mode and max-pasids" proc set $bpid mode local max-pasids 4
run 0 "proc show PID after set" proc show $bpid
has "proc set took effect" "^pid $bpid comm svamock-bind pasid [0-9]+ mode local max-pasids 4$" "$T/out"
run 1 "proc set with a bad mode" proc set $bpid mode sideways
kill $bpid
wait $bpid 2>/dev/null
run 0 "proc show after the process ended" -j proc show
check "the process is gone from proc show" [ "$(jqv "[.proc[] | select(.pid == $bpid)] | length" "$T/out")" = 0 ]

# --- batch
cat > "$T/batch" <<EOF
# set up svamock501 for a VM
dev set $D1 mode auto
dev reserve $D1 range 1-15 label bad-label-that-is-much-too-long-to-fit
dev reserve $D1 range 16-31 label vm2
EOF
run 4 "a batch with a bad line exits 4" -b "$T/batch"
has "the batch names the failed line as written" "^Error: batch line 3 failed: dev reserve $D1 range 1-15 label bad-label" "$T/err"
run 0 "state after the batch" -j dev show $D1
check "without -f: line 2 applied, line 4 not" \
	[ "$(jqv '.dev[0] | "\(.mode) \(.resv // [] | length)"' "$T/out")" = "auto 0" ]
run 4 "with -f the batch goes on and exits 4" -f -b "$T/batch"
run 0 "state after batch -f" -j dev show $D1
check "with -f: line 4 applied too" \
	[ "$(jqv '.dev[0] | "\(.mode) \(.resv[0].first)-\(.resv[0].last) \(.resv[0].label)"' "$T/out")" = "auto 16-31 vm2" ]
printf 'dev release %s label vm2\ndev set %s mode global\n' $D1 $D1 > "$T/batch"
run 0 "a clean batch from stdin exits 0" -b - < "$T/batch"
check "the clean batch took effect" [ "$("$P" -j dev show $D1 | jq -r '.dev[0] | "\(.mode) \(.resv // [] | length)"')" = "global 0" ]

# --- apply
cat > "$T/apply.json" <<EOF
{
  "format-version": 1,
  "dev": [
    { "handle": "svamock501", "mode": "auto", "pool-min": 100, "pool-max": 4095,
      "resv": [ { "first": 1, "last": 99, "label": "vm-guest1" } ] },
    { "match": { "bus-name": "svamock", "attr": { "pasid_bits": "4" } }, "mode": "local" },
    { "match": { "dev-name": "svamock50[23]" }, "resv": [] },
    { "match": { "driver": "no-such-driver" }, "mode": "local" }
  ]
}
EOF
before=$(state)
run 0 "apply --dry-run" apply "$T/apply.json" --dry-run
cp "$T/out" "$T/dry"
has "dry-run shows the mode change" "^would $D1: mode global -> auto$" "$T/dry"
has "dry-run shows the pool change" "^would $D1: pool 1-1048575 -> 100-4095$" "$T/dry"
has "dry-run shows the reservation" "^would $D1: reserve 1-99 label vm-guest1$" "$T/dry"
has "dry-run: the udev attr match picks the 4-bit device" "^would svamock/svamock504: mode global -> local$" "$T/dry"
has "dry-run: the glob match releases svamock502's reservations" "^would $D2: release 100-109 label vm-guest1$" "$T/dry"
has "dry-run counts the changes" '^would make 7 changes$' "$T/dry"
has "a match with no device is a note, not an error" 'dev\[3\]: no device matches' "$T/err"
check "--dry-run changed nothing" [ "$(state)" = "$before" ]
run 0 "-j apply --dry-run" -j apply --dry-run "$T/apply.json"
keep apply-dry apply
check "-j dry-run lists 7 changes" [ "$(jqv '"\(.["dry-run"]) \(.changes | length)"' "$T/out")" = "true 7" ]
run 0 "apply" apply "$T/apply.json"
sed 's/^would //; s/^make //' "$T/dry" > "$T/dry.applied"
check "apply prints what --dry-run announced" cmp -s "$T/dry.applied" "$T/out"
run 0 "state after apply" -j dev show $D1
check "apply took effect on svamock501" \
	[ "$(jqv '.dev[0] | "\(.mode) \(.["pool-min"])-\(.["pool-max"]) \(.resv[0].first)-\(.resv[0].last) \(.resv[0].label)"' "$T/out")" = "auto 100-4095 1-99 vm-guest1" ]
run 0 "apply again" apply "$T/apply.json"
has "a second apply changes nothing" '^no changes$' "$T/out"
run 0 "-j apply again" -j apply "$T/apply.json"
keep apply-again apply
check "-j second apply: no changes" [ "$(jqv '.changes | length' "$T/out")" = 0 ]
"$P" -j dev show > "$T/snapshot.json"
cp "$T/snapshot.json" "$J/apply-snapshot.apply-file.json"
run 0 "dev show -j output is itself an apply file" apply "$T/snapshot.json"
has "applying a snapshot of the current state changes nothing" '^no changes$' "$T/out"
"$P" dev set $D1 mode global pool 1-1048575 >/dev/null
run 0 "apply of the snapshot restores a changed device" apply "$T/snapshot.json"
has "the restore sets the mode back" "^$D1: mode global -> auto$" "$T/out"
has "the restore sets the pool back" "^$D1: pool 1-1048575 -> 100-4095$" "$T/out"
printf '{"format-version": 1, "dev": [{"handle": "svamock/svamock999", "mode": "local"}, {"handle": "%s", "mode": "global"}]}' $D1 > "$T/bad.json"
before=$(state)
run 3 "apply with a device not here exits 3" apply "$T/bad.json"
check "and changes nothing, not even the entries before it" [ "$(state)" = "$before" ]
printf '{"format-version": 1, "dev": [{"handle": "%s", "mode": "local"}, {"match": {"dev-name": "svamock50*"}, "mode": "auto"}]}' $D1 > "$T/bad.json"
run 1 "apply with a device chosen twice is a usage error" apply "$T/bad.json"
check "and changes nothing" [ "$(state)" = "$before" ]
"$P" dev reserve $D2 range 200-210 label blocker >/dev/null
printf '{"format-version": 1, "dev": [{"handle": "%s", "mode": "local"}, {"handle": "%s", "resv": [{"first": 200, "last": 210, "label": "blocker"}, {"first": 205, "last": 205}]}]}' $D1 $D2 > "$T/bad.json"
run 1 "apply refuses overlapping reservations before changing anything" apply "$T/bad.json"
printf '{"format-version": 1, "dev": [{"handle": "%s", "mode": "local"}, {"handle": "%s", "pool-min": 0, "pool-max": 255}]}' $D1 $D2 > "$T/bad.json"
before=$(state)
run 1 "apply refuses pool-min 0 before changing anything" apply "$T/bad.json"
printf '{"format-version": 1, "dev": [{"handle": "%s", "mode": "local"}, {"handle": "%s", "resv": [{"first": 1, "last": 300}]}]}' $D1 $D2 > "$T/bad.json"
run 2 "apply refuses a reservation past the device's PASIDs before changing anything" apply "$T/bad.json"
check "and changes nothing" [ "$(state)" = "$before" ]
# What only the kernel knows: a group-mate's reservation (503 and 504 share a group).
"$P" dev reserve svamock/svamock504 range 5 label blk >/dev/null
printf '{"format-version": 1, "dev": [{"handle": "%s", "mode": "local"}, {"handle": "svamock/svamock503", "resv": [{"first": 5, "last": 5}]}]}' $D1 > "$T/bad.json"
run 4 "apply refused by the kernel half-way exits 4" apply "$T/bad.json"
"$P" dev release svamock/svamock504 label blk >/dev/null
has "it reports what it did before the refusal" "^$D1: mode auto -> local$" "$T/out"
has "and the kernel's reason" '^Error: ' "$T/err"

# --- monitor
"$P" -j -t monitor >"$T/mon" 2>"$T/mon.err" &
mpid=$!
for i in $(seq 100); do grep -q Listening "$T/mon.err" && break; sleep 0.1; done
check "monitor says it listens" grep -q Listening "$T/mon.err"
"$BIND" 501 >"$T/bind.out" 2>&1 &
b2=$!
"$P" dev reserve $D1 range 5000-5009 label mon >/dev/null
wait $b2
"$P" dev release $D1 label mon >/dev/null
"$P" global set floor 300 >/dev/null
"$P" global set floor 1 >/dev/null
# the last event is in before the monitor stops (slow builds take longer)
for i in $(seq 100); do grep -q '"floor":1[,}]' "$T/mon" && break; sleep 0.1; done
kill -INT $mpid
wait $mpid
check "monitor exits 0 on SIGINT" [ $? = 0 ]
cp "$T/mon" "$J/monitor.monitor.json"
check "monitor -j captured the bind of the concurrent process" \
	[ "$(jq -s "[.[] | select(.name == \"bind-ntf\" and .msg.pid == $b2)] | length" "$T/mon")" = 1 ]
check "... and its unbind" \
	[ "$(jq -s "[.[] | select(.name == \"unbind-ntf\" and .msg.pid == $b2)] | length" "$T/mon")" = 1 ]
check "... and the reservation, as a dev-change-ntf carrying it" \
	[ "$(jq -s '[.[] | select(.name == "dev-change-ntf") | .msg.resv[]? | select(.label == "mon")] | length' "$T/mon")" -ge 1 ]
check "... and the floor changes, as global-change-ntf" \
	[ "$(jq -s -c '[.[] | select(.name == "global-change-ntf") | .msg.floor]' "$T/mon")" = "[300,1]" ]
check "-t adds timestamps to every event" [ "$(jq -s '[.[] | select(.timestamp == null)] | length' "$T/mon")" = 0 ]
"$P" -t monitor >"$T/mon" 2>"$T/mon.err" &
mpid=$!
# (a sanitizer build under TCG takes its time to start and to print)
for i in $(seq 100); do grep -q Listening "$T/mon.err" && break; sleep 0.1; done
"$BIND" 502 >/dev/null 2>&1
for i in $(seq 100); do grep -q bind-ntf "$T/mon" && break; sleep 0.1; done
kill -TERM $mpid
wait $mpid
check "text monitor exits 0 on SIGTERM" [ $? = 0 ]
has "text monitor prints a bind line" '^\[[-0-9T:.+]+\] bind-ntf pid [0-9]+ comm svamock-bind bond svamock/svamock502 pasid [0-9]+ kind (local|global) users 1$' "$T/mon"

# A stopped monitor overruns its socket buffer: it says so, and goes on.
"$P" -j monitor rcvbuf 16384 >"$T/mon" 2>"$T/mon.err" &
mpid=$!
for i in $(seq 100); do grep -q Listening "$T/mon.err" && break; sleep 0.1; done
kill -STOP $mpid
for i in $(seq 200); do
	echo "dev reserve $D1 range $((60000 + i)) label flood"
	echo "dev release $D1 label flood"
done > "$T/flood"
"$P" -b "$T/flood"
check "a batch of 400 changes runs while the monitor is stopped" [ $? = 0 ]
kill -CONT $mpid
sleep 1
"$P" dev reserve $D1 range 70000 label after >/dev/null
sleep 1
kill -INT $mpid
wait $mpid
check "the overrun monitor still exits 0" [ $? = 0 ]
check "monitor -j reports the overrun" \
	[ "$(jq -s '[.[] | select(.name == "overrun" and .lost == true)] | length' "$T/mon")" -ge 1 ]
check "and receives events after it" \
	[ "$(jq -s '[.[] | select(.name == "dev-change-ntf") | .msg.resv[]? | select(.label == "after")] | length' "$T/mon")" -ge 1 ]
cp "$T/mon" "$J/monitor-overrun.monitor.json"

# A process with more bonds than one message holds: the kernel continues
# it in the next message with the same pid, and pasidctl shows one process.
# 400 bonds overflow even libnl's first buffer; cli.py's fresh socket gets
# a small first dump message, so it sees the split itself.
for i in $(seq 1001 1400); do echo "$i 16" > $S/new_device; done
"$BIND_MASS" 1 1001 1400 >"$T/ready" &
mass=$!
for i in $(seq 600); do grep -q ready "$T/ready" && break; sleep 0.1; done
check "one process bound to 400 devices" grep -qx "ready 400" "$T/ready"
run 0 "proc show of a process with 400 bonds" -j proc show dev svamock/svamock1001
keep proc-400 proc-show
check "it is one process with all 400 bonds" \
	[ "$(jqv '"\(.proc | length) \([.proc[0].bond[].handle] | unique | length)"' "$T/out")" = "1 400" ]
mpid=$(jqv '.proc[0].pid' "$T/out")
run 0 "proc show PID (a do) of that process" -j proc show "$mpid"
check "the do reply holds all 400 bonds" [ "$(jqv '.proc[0].bond | length' "$T/out")" = 400 ]
run 0 "dev show of a device (a do listing bonds)" -j dev show svamock/svamock1400
check "dev show lists the process's bond" [ "$(jqv ".dev[0].bond[0].pid" "$T/out")" = "$mpid" ]
/usr/bin/python3 "$B/linux/tools/net/ynl/cli.py" --spec "$B/linux/Documentation/netlink/specs/iommu-pasid.yaml" \
	--dump mm-get --output-json >"$T/cli" 2>&1
check "cli.py dumps it (exit 0)" [ $? = 0 ]
check "cli.py sees the process in several messages with 400 bonds in all" \
	[ "$(jq "[.[] | select(.pid == $mpid)] | \"\(length > 1) \([.[].bond[]] | length)\"" "$T/cli")" = '"true 400"' ]
kill $mass
wait $mass 2>/dev/null
for i in $(seq 1001 1400); do echo $i > $S/del_device; done

for d in 501 502 503 504; do echo $d > $S/del_device; done
run 3 "a deleted device is gone (exit 3)" dev show $D1
rm -rf "$T"
echo "1..$n"
exit $fail
