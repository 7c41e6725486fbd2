#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The CLI's part of the benchmark ("make bench", tests/bench/run.sh), run
# inside the VM booted with the series' bench kernel. Prints figures, never
# passes or fails on them; compare the ratios, which come from one run on
# one (shared, noisy, emulated) machine. "FIG KEY VALUE" lines feed the
# table tests/bench/run.sh prints.
# (Bind costs are tests/bench/kcost.sh's, on both kernels.)
#   2. a dump of N tuples through pasidctl -j, pasidctl (text), a bare libnl
#      receive loop and the kernel's cli.py: wall time and peak memory, at
#      1,000 and at 100,000 tuples (memory should stay flat: streaming)
#      and the kernel's time for an mm-get and a dev-get dump (nl-kcost)
#   2b. the kernel's time for a dev-get do on a device with 1,000 and with
#      10,000 bonds
#   3. pasidctl's own cost per tuple, without the kernel (bench/cli-dump)
B=${1:?usage: bench.sh BUILD_DIR}
K=$B/linux
S=/sys/bus/svamock
T=$(mktemp -d)
# the bench kernel's objects (kernel/tree.sh bench), or KOBJ's
insmod "${KOBJ:-$B/kobj-bench}/drivers/iommu/iommu-sva-mock.ko" || exit 1

measure() {
	# measure KEY NAME CMD...: one run after a warm-up (page cache, 9p):
	# "NAME maxrss-kb N wall-ms N exit N bytes N"; the figures stay in
	# kb_KEY and ms_KEY for the ratios. ROUNDS=N: N runs instead, the
	# fastest reported (a shared TCG machine adds noise, never removes
	# it), and the largest peak memory.
	local key=$1 name=$2 rc r best= kb=0 line
	shift 2
	"$@" >/dev/null 2>&1
	for r in $(seq "${ROUNDS:-1}"); do
		"$B/bench/maxrss" "$@" >"$T/out" 2>"$T/m"
		rc=$?
		line=$(grep maxrss-kb "$T/m")
		local k=$(echo "$line" | awk '{ print $2 }') ms=$(echo "$line" | awk '{ print $4 }')
		[ "$k" -gt "$kb" ] && kb=$k
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
		[ $rc = 0 ] || break
	done
	printf '%-22s maxrss-kb %d wall-ms %d exit %d bytes %d%s\n' "$name" "$kb" "$best" $rc \
		"$(wc -c <"$T/out")" "$( [ "${ROUNDS:-1}" -gt 1 ] && echo " (best of ${ROUNDS})")"
	grep -v maxrss-kb "$T/m" | head -n 3 | sed 's/^/    /'
	eval "kb_$key=$kb ms_$key=$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

dumps() {
	local procs=$1
	echo
	echo "== 2. $((procs * 100)) tuples ($procs processes x 100 devices)"
	"$B/tests/svamock-mass" $procs 101 200 >"$T/ready" &
	local mass=$!
	for i in $(seq 3000); do grep -q ready "$T/ready" && break; sleep 0.1; done
	cat "$T/ready"
	ROUNDS=3 measure nl "nl-dump (bare libnl)" "$B/bench/nl-dump"
	cat "$T/out"
	ROUNDS=3 measure pasidctl "pasidctl -j proc show" "$B/pasidctl" -j proc show
	ROUNDS=3 measure text "pasidctl proc show" "$B/pasidctl" proc show
	measure cli "cli.py --dump mm-get" /usr/bin/python3 "$K/tools/net/ynl/cli.py" \
		--spec "$K/Documentation/netlink/specs/iommu-pasid.yaml" --dump mm-get
	echo "ratios: pasidctl -j / bare libnl wall $(ratio "$ms_pasidctl" "$ms_nl") (goal 1.5)," \
		"pasidctl text / bare libnl wall $(ratio "$ms_text" "$ms_nl") (goal 2)," \
		"cli.py / pasidctl -j wall $(ratio "$ms_cli" "$ms_pasidctl")," \
		"pasidctl / bare libnl peak memory $(ratio "$kb_pasidctl" "$kb_nl")"
	eval "kb_at_$procs=$kb_pasidctl"
	echo "FIG cli-json-$((procs * 100)) $(ratio "$ms_pasidctl" "$ms_nl")"
	echo "FIG cli-text-$((procs * 100)) $(ratio "$ms_text" "$ms_nl")"
	echo "FIG cli-py-$((procs * 100)) $(ratio "$ms_cli" "$ms_pasidctl")"
	# the kernel's side: dumps received and counted only
	local r line
	for req in mm-get dev-get; do
		# as many rounds as take about a second at 100,000 tuples
		r=100
		[ $req != mm-get ] || [ $procs -le 100 ] || r=10
		line=$("$B/bench/nl-kcost" $req $r)
		echo "kernel: $line"
		echo "FIG dump-$req-$((procs * 100)) $(echo "$line" | awk '{ print $11 }')"
	done
	kill $mass
	wait $mass 2>/dev/null
}

for i in $(seq 101 200); do echo "$i 20" > $S/new_device; done
dumps 10
dumps 1000
echo
echo "pasidctl -j peak memory, 100,000 vs 1,000 tuples: $kb_at_1000 kB vs $kb_at_10 kB" \
	"(ratio $(ratio "$kb_at_1000" "$kb_at_10"); streaming keeps it flat)"
echo "FIG cli-mem $(ratio "$kb_at_1000" "$kb_at_10")"

# A dev-get do lists the bonds of the device's group: 1,000 and 10,000
# processes bound to one device.
echo
echo "== 2b. dev-get do on a device with 1,000 and with 10,000 bonds"
echo "300 20" > $S/new_device
for n in 1000 10000; do
	"$B/tests/svamock-mass" $n 300 300 >"$T/ready" &
	mass=$!
	for i in $(seq 6000); do grep -q "ready\|failed" "$T/ready" && break; sleep 0.1; done
	cat "$T/ready"
	line=$("$B/bench/nl-kcost" dev-get $((n > 1000 ? 5 : 50)) svamock svamock300)
	echo "kernel: $line"
	echo "FIG do-dev-get-$n $(echo "$line" | awk '{ print $11 }')"
	kill $mass
	wait $mass 2>/dev/null
done
echo 300 > $S/del_device

echo
echo "== 3. pasidctl's own cost: the same mm-get dump, 100,000 tuples, fed from"
echo "   memory through libnl's receive path (no kernel, no syscalls)"
"$B/bench/cli-dump" 100000
rmmod iommu_sva_mock
rm -rf "$T"
