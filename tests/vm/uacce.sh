#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/uacce.sh BUILD_DIR: uacce, the in-kernel user of PASID policy,
# through its own code. The SVA mock IOMMU registers uacce accelerators on
# simulated devices ("ID BITS GROUP uacce"); a process opening
# /dev/svamock-N runs uacce_fops_open(), which binds it with
# iommu_sva_bind_device() and hands the PASID to the mock's get_queue(), which
# checks that the PASID is attached to the opener. pasidctl shows what each
# opener holds. Runs in the test VM with iommu-sva-mock loaded; TAP on stdout.
set -u
B=${1:?usage: uacce.sh BUILD_DIR}
P=${PASIDCTL:-$B/pasidctl}
S=/sys/bus/svamock
T=$(mktemp -d)
n=0
fail=0
echo "TAP version 13"

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

# A process that opens and closes uacce queues on command: "open PATH" and
# "close PATH" on its stdin, one answer line each ("open", "closed", or
# "error ENAME") on its stdout; it exits at end of input.
cat > "$T/holder.py" <<'EOF'
import errno, os, sys
fds = {}
for line in sys.stdin:
    op, path = line.split()
    try:
        if op == "comm":
            # any process may name itself: here bytes no terminal should get
            with open("/proc/self/comm", "wb") as f:
                f.write(bytes.fromhex(path))
            print("named", flush=True)
        elif op == "open":
            fds.setdefault(path, []).append(os.open(path, os.O_RDWR))
            print("open", flush=True)
        else:
            os.close(fds[path].pop())
            print("closed", flush=True)
    except OSError as e:
        print("error", errno.errorcode.get(e.errno, e.errno), flush=True)
EOF

# holder NAME: start one; its pid in HPID_NAME, its command fd in HFD_NAME
holder() {
	mkfifo "$T/$1.in"
	/usr/bin/python3 "$T/holder.py" <"$T/$1.in" >"$T/$1.out" 2>&1 &
	eval "HPID_$1=$!"
	exec {fd}>"$T/$1.in"
	eval "HFD_$1=$fd"
}
# say NAME OP PATH: send a command, print the holder's answer
say() {
	local name=$1 fd lines want
	eval "fd=\$HFD_$name"
	want=$(($(wc -l <"$T/$name.out") + 1))
	echo "$2 $3" >&"$fd"
	for _ in $(seq 300); do
		lines=$(wc -l <"$T/$name.out")
		[ "$lines" -ge "$want" ] && break
		sleep 0.1
	done
	sed -n "${want}p" "$T/$name.out"
}
# node ID: the uacce character device of simulated device svamockID
node() {
	local d
	d=$(ls "$S/devices/svamock$1/uacce" 2>/dev/null | head -n 1)
	[ -n "$d" ] && echo "/dev/$d"
}
# bonds PID: the process's bonds as "handle kind pasid users" lines
bonds() {
	"$P" -j proc show "$1" 2>/dev/null |
		jq -r '.proc[0].bond[]? | "\(.handle) \(.kind) \(.pasid) \(.users)"'
}
# mm_pasid PID: the process's global PASID, or "none"
mm_pasid() { "$P" -j proc show "$1" 2>/dev/null | jq -r '.proc[0].pasid // "none"'; }
devv() { "$P" -j dev show "svamock/svamock$1" | jq -r ".dev[0][\"$2\"]"; }
in_table() { grep -qx "$2" "$S/devices/svamock$1/pasid_table"; }

floor0=$("$P" -j global show | jq -r .global.floor)
dmesg_lines=$(dmesg | wc -l)

# --- devices
check "a 20-bit uacce device is created" sh -c "echo '601 20 0 uacce' > $S/new_device"
check "a second one" sh -c "echo '602 20 0 uacce' > $S/new_device"
check "a 4-bit uacce device (PASIDs 1-15)" sh -c "echo '605 4 0 uacce' > $S/new_device"
check "a uacce device without PASIDs is refused" \
	sh -c "! echo '603 0 0 uacce' > $S/new_device 2>/dev/null"
check "uacce and enqcmd together are refused" \
	sh -c "! echo '604 20 0 uacce enqcmd' > $S/new_device 2>/dev/null"
N1=$(node 601)
N2=$(node 602)
N5=$(node 605)
check "each has a uacce node in /dev ($N1 $N2 $N5)" test -c "$N1" -a -c "$N2" -a -c "$N5"
check "uacce allowed local PASIDs on the device (local-ok)" [ "$(devv 601 local-ok)" = 1 ]
check "the device stays in global mode" [ "$(devv 601 mode)" = global ]

# --- global mode: as before the series
holder a
check "open in global mode" [ "$(say a open "$N1")" = open ]
ga=$(mm_pasid "$HPID_a")
check "the opener has a global PASID ($ga)" [ "$ga" != none ]
check "its queue's bond is global, with that PASID" \
	[ "$(bonds "$HPID_a")" = "svamock/svamock601 global $ga 1" ]
check "the mock's PASID table holds it" in_table 601 "$ga"
r=$(say a open "$N1")
check "a second open of the same device shares the bond (users 2)" \
	[ "$r $(bonds "$HPID_a")" = "open svamock/svamock601 global $ga 2" ]
say a close "$N1" >/dev/null
check "closing one queue drops a user" [ "$(bonds "$HPID_a")" = "svamock/svamock601 global $ga 1" ]
check "closing the last releases the bond" [ "$(say a close "$N1")" = closed ]
check "pasidctl shows no bond left" [ -z "$(bonds "$HPID_a")" ]
check "the device counts none" [ "$(devv 601 bonds-global)" = 0 ]
check "and the PASID is gone from its table" sh -c "! grep -qx '$ga' $S/devices/svamock601/pasid_table"

# --- local mode, set by the admin on the device
check "pasidctl dev set mode local" "$P" dev set svamock/svamock601 mode local
holder b
holder c
r=$(say b open "$N1")
check "two processes open in local mode" [ "$r $(say c open "$N1")" = "open open" ]
read -r hb kb pb ub <<<"$(bonds "$HPID_b")"
read -r hc kc pc uc <<<"$(bonds "$HPID_c")"
check "each has a local bond on the device ($pb, $pc)" \
	[ "$hb $kb $hc $kc" = "svamock/svamock601 local svamock/svamock601 local" ]
check "with different PASIDs" [ "$pb" != "$pc" ]
check "neither got a global PASID" [ "$(mm_pasid "$HPID_b") $(mm_pasid "$HPID_c")" = "none none" ]
check "both are in the mock's PASID table" \
	sh -c "grep -qx '$pb' $S/devices/svamock601/pasid_table && grep -qx '$pc' $S/devices/svamock601/pasid_table"
check "the device counts two local bonds" [ "$(devv 601 bonds-local)" = 2 ]
r=$(say b open "$N2")
check "a global-mode device still gets the global PASID" \
	[ "$r $(bonds "$HPID_b" | grep svamock602 | cut -d' ' -f2)" = "open global" ]
say b close "$N2" >/dev/null
say b close "$N1" >/dev/null
say c close "$N1" >/dev/null
check "closing releases the local bonds" [ "$(devv 601 bonds-local)" = 0 ]
check "and their PASIDs leave the table" \
	sh -c "! grep -qx -e '$pb' -e '$pc' $S/devices/svamock601/pasid_table"
"$P" dev set svamock/svamock601 mode global

# --- the process's own mode wins over the device's
holder d
check "pasidctl proc set PID mode local" "$P" proc set "$HPID_d" mode local
r=$(say d open "$N2")
check "it opens the global-mode device with a local PASID" \
	[ "$r $(bonds "$HPID_d" | cut -d' ' -f2)" = "open local" ]
say d close "$N2" >/dev/null

# --- a small device: where 6.12 fails with -EOVERFLOW, auto mode works
check "pasidctl global set floor 64" "$P" global set floor 64
holder e
check "a process with a global PASID at or above the floor" \
	[ "$(say e open "$N1")" = open ]
ge=$(mm_pasid "$HPID_e")
check "its global PASID ($ge) does not fit 4 bits" [ "${ge/none/0}" -ge 16 ]
check "opening the 4-bit device in global mode fails with EOVERFLOW, as in 6.12" \
	[ "$(say e open "$N5")" = "error EOVERFLOW" ]
check "pasidctl dev set mode auto" "$P" dev set svamock/svamock605 mode auto
check "then the open succeeds" [ "$(say e open "$N5")" = open ]
read -r he ke pe ue <<<"$(bonds "$HPID_e" | grep svamock605)"
check "with a local PASID that fits the device ($pe)" [ "$ke" = local -a "${pe:-99}" -lt 16 ]
check "and the global bond on the wide device is unchanged" \
	[ "$(bonds "$HPID_e" | grep svamock601)" = "svamock/svamock601 global $ge 1" ]
say e close "$N5" >/dev/null
say e close "$N1" >/dev/null
"$P" global set floor "$floor0"

# --- removing the device under an open queue
holder f
"$P" dev set svamock/svamock602 mode local
check "open on the device to be removed" [ "$(say f open "$N2")" = open ]
check "removing the device" sh -c "echo 602 > $S/del_device"
check "releases the queue's bond" [ -z "$(bonds "$HPID_f")" ]
check "closing the queue afterwards is fine" [ "$(say f close "$N2")" = closed ]
check "its node is gone" test ! -e "$N2"

# --- a process named with controls and bytes that are not UTF-8
holder g
say g comm 9bffc29b5b324a1b5d303b78077f >/dev/null
check "a hostile name opens a queue" [ "$(say g open "$N1")" = open ]
check "pasidctl -j proc show: valid UTF-8 JSON, name escaped" sh -c \
	"'$P' -j proc show $HPID_g | /usr/bin/python3 -c 'import json, sys; d = json.loads(sys.stdin.buffer.read().decode(\"utf-8\")); sys.exit(d[\"proc\"][0][\"comm\"] != \"\\ufffd\\ufffd\\u009b[2J\\x1b]0;x\\x07\\x7f\")'"
check "pasidctl -j proc show (streamed): the same" sh -c \
	"'$P' -j proc show | /usr/bin/python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))'"
check "pasidctl proc show: no raw control byte in the text" sh -c \
	"'$P' proc show $HPID_g | LC_ALL=C grep -q 'comm \\\\x9b\\\\xff\\\\xc2\\\\x9b\\[2J\\\\x1b\\]0;x\\\\x07\\\\x7f' &&
	 ! '$P' proc show | LC_ALL=C grep -q \"\$(printf '[\\001-\\010\\013-\\037\\177\\200-\\237]')\""
say g close "$N1" >/dev/null

# --- the end
for h in a b c d e f g; do
	eval "fd=\$HFD_$h"
	exec {fd}>&-
done
wait
check "no bond left on the uacce devices" \
	[ "$(devv 601 bonds-global) $(devv 601 bonds-local) $(devv 605 bonds-local)" = "0 0 0" ]
check "removing the other devices" sh -c "echo 601 > $S/del_device && echo 605 > $S/del_device"
check "no kernel warning while the tests ran" \
	sh -c "! dmesg | tail -n +$((dmesg_lines + 1)) | grep -E 'WARNING|BUG|not the opener'"
rm -rf "$T"
echo "1..$n"
exit $fail
