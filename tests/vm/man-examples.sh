#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/man-examples.sh BUILD_DIR: run every command in the EXAMPLES of
# every pasidctl man page, in the VM, against the real family. TAP.
#
# In EXAMPLES, lines inside .EX/.EE that start with "pasidctl " are
# commands. The pages use the names a sysadmin would see; this test maps
# them onto simulated devices, a live bound process and files it writes:
#   pci/0000:6a:01.0, 0000:6a:01.0, 6a:01.0   -> svamock/svamock601 (20-bit)
#   pci/0000:e7:00.0, 0000:e7:00.0, e7:00.0   -> svamock/svamock602 (8-bit)
#   4242                                      -> a process bound to both
#   /etc/pasidctl.json, /etc/pasidctl.batch   -> files written here
# Each command must exit 0; monitor runs for two seconds once it has
# taken SIGINT over, and is then stopped with it.
set -u
B=${1:?usage: man-examples.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
S=/sys/bus/svamock
T=$(mktemp -d)
n=0
fail=0
echo "TAP version 13"

echo "601 20" > $S/new_device
echo "602 8" > $S/new_device
"$B/tests/svamock-bind" -s 600 601 602 >/dev/null 2>&1 &
bpid=$!
sleep 1
A=svamock/svamock601
E=svamock/svamock602
cat > "$T/pasidctl.json" <<EOF
{ "format-version": 1,
  "dev": [ { "handle": "$A", "mode": "auto", "resv": [ { "first": 1000, "last": 1099, "label": "vm-guest1" } ] },
           { "match": { "bus-name": "svamock", "attr": { "pasid_bits": "8" } }, "mode": "local" } ] }
EOF
printf 'dev show %s\ndev set %s mode auto\n' $A $E > "$T/pasidctl.batch"

# roff to text, then the mapping above
unroff() {
	sed -e 's/\\-/-/g; s/\\(dq/"/g; s/\\(aq/'"'"'/g; s/\\&//g; s/\\e/\\/g; s/\\fB//g; s/\\fI//g; s/\\fR//g; s/\\fP//g'
}
map() {
	sed -E -e "s#(pci/)?(0000:)?6a:01\.0#$A#g" -e "s#(pci/)?(0000:)?e7:00\.0#$E#g" \
	    -e "s#\b4242\b#$bpid#g" -e "s#/etc/pasidctl\.json#$T/pasidctl.json#g" \
	    -e "s#/etc/pasidctl\.batch#$T/pasidctl.batch#g" -e "s#^pasidctl #$B/pasidctl #"
}
examples() {
	awk '/^\.SH +"?EXAMPLES?"?/ { ex = 1; next } /^\.SH/ { ex = 0 }
	     ex && /^\.EX/ { blk = 1; next } ex && /^\.EE/ { blk = 0; next }
	     ex && blk && /^pasidctl / { print }' "$1"
}

for page in pasidctl pasidctl-dev pasidctl-proc pasidctl-global pasidctl-monitor pasidctl-status pasidctl-apply; do
	f=$top/man/$page.8
	cnt=0
	while IFS= read -r cmd; do
		cnt=$((cnt + 1))
		shown=$(echo "$cmd" | unroff)
		run=$(echo "$shown" | map)
		n=$((n + 1))
		if [[ "$shown" == *" monitor"* ]]; then
			# SIGINT 2 s after pasidctl takes it over (it blocks it for
			# a signalfd): a fixed delay from the start could beat that
			# on a loaded machine, and SIGINT would kill it
			bash -c "exec $run" >"$T/out" 2>&1 </dev/null &
			mpid=$!
			for _ in $(seq 300); do
				kill -0 $mpid 2>/dev/null || break
				blk=$(awk '/^SigBlk:/ { print $2 }' /proc/$mpid/status 2>/dev/null)
				[ -n "$blk" ] && [ $((0x$blk & 2)) != 0 ] && break
				sleep 0.1
			done
			kill -0 $mpid 2>/dev/null && sleep 2
			kill -INT $mpid 2>/dev/null
			wait $mpid
			rc=$?
		else
			bash -c "$run" >"$T/out" 2>&1 </dev/null
			rc=$?
		fi
		if [ $rc = 0 ]; then
			echo "ok $n - $page: $shown"
		else
			fail=1
			echo "not ok $n - $page: $shown (exit $rc, ran: $run)"
			sed 's/^/# /' "$T/out"
		fi
	done < <(examples "$f")
	n=$((n + 1))
	if [ $cnt -ge 1 ]; then
		echo "ok $n - $page has $cnt examples"
	else
		fail=1
		echo "not ok $n - $page has no example commands"
	fi
done

kill $bpid
wait $bpid 2>/dev/null
echo 601 > $S/del_device
echo 602 > $S/del_device
rm -rf "$T"
echo "1..$n"
exit $fail
