#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/kcost.sh BUILD KERNEL ROUND: one round of the kernel's cost,
# run inside the VM booted with KERNEL ("baseline": 6.12 with the mock and
# nothing else of the series, or "patched"). Prints figures as
# "FIG KEY VALUE" lines among its log; tests/bench/run.sh boots the two
# kernels in turn, round after round, and makes the ratios.
#   bind-global   ns of a global bind+unbind (best of three loops of 2,000)
#   bind-listen   the same with a listener on the family's monitor group
#   bind-local    ns of a local bind+unbind (patched)
#   mem-global, mem-local   bytes of slab objects per bond, 10,000 bonds
#                 (100 processes x 100 devices); round 1 only
set -u
B=${1:?usage: kcost.sh BUILD KERNEL ROUND}
K=${2:?}
R=${3:?}
S=/sys/bus/svamock
case "$K" in
baseline) obj=$B/kobj-baseline ;;
patched) obj=$B/kobj-bench ;;
*) echo "kcost.sh: unknown kernel $K" >&2; exit 2 ;;
esac
insmod "$obj/drivers/iommu/iommu-sva-mock.ko" || exit 1

# best NAME ID: the fastest of three loops of 2,000 binds and unbinds
best() {
	local name=$1 id=$2 i line ns min= kind
	for i in 1 2 3; do
		line=$("$B/bench/bind-bench" "$id" 2000) || exit 1
		ns=${line#bind+unbind-ns }; ns=${ns%% *}
		kind=${line##* }
		if [ -z "$min" ] || [ "$ns" -lt "$min" ]; then min=$ns; fi
	done
	echo "$name: $min ns ($kind bonds)"
	echo "FIG $name $min"
	echo "FIG $name-kind $kind"
}

echo "== $K, round $R"
echo "1 20" > $S/new_device
best bind-global 1
if [ "$K" = patched ]; then
	# a listener that reads every notification
	"$B/pasidctl" -j monitor > /dev/null &
	mon=$!
	# subscribed: a generic netlink socket (protocol 16) of a process has a group
	subscribed=
	for i in $(seq 100); do
		if awk '$2 == 16 && $3 != 0 && $4 != "00000000" { f = 1 } END { exit !f }' \
			/proc/net/netlink; then
			subscribed=1
			break
		fi
		sleep 0.1
	done
	[ -n "$subscribed" ] || { echo "kcost.sh: the monitor did not subscribe" >&2; exit 1; }
	best bind-listen 1
	kill $mon
	wait $mon 2>/dev/null
	echo "2 20" > $S/new_device
	echo local > $S/devices/svamock2/pasid_mode
	best bind-local 2
fi

if [ "$R" = 1 ]; then
	for i in $(seq 101 200); do echo "$i 20" > $S/new_device; done
	echo "== slab objects per bond, 100 processes x 100 devices, global"
	out=$("$B/bench/bond-mem" 100 101 200) || exit 1
	echo "$out"
	echo "FIG mem-global $(echo "$out" | awk '/^bonds/ { print $4 }')"
	if [ "$K" = patched ]; then
		for i in $(seq 101 200); do echo local > $S/devices/svamock$i/pasid_mode; done
		echo "== slab objects per bond, 100 processes x 100 devices, local"
		out=$("$B/bench/bond-mem" 100 101 200) || exit 1
		echo "$out"
		echo "FIG mem-local $(echo "$out" | awk '/^bonds/ { print $4 }')"
	fi
	for i in $(seq 101 200); do echo $i > $S/del_device; done
	if [ "$K" = patched ]; then
		# the KUnit case that times pool allocations (its suite runs
		# at load)
		echo "== pool allocation with 1,024 reservations in the group and with none"
		dmesg -c > /dev/null
		insmod "$obj/drivers/iommu/iommu-sva-mock-test.ko" || exit 1
		line=$(dmesg | grep -o 'pool-alloc-ns resv [0-9]*: [0-9]*, none: [0-9]*' | tail -n 1)
		grep -Eq '^ +ok [0-9]+ svamock_test_alloc_many_resv$' \
			/sys/kernel/debug/kunit/iommu-sva-mock/results ||
			{ echo "kcost.sh: the KUnit case svamock_test_alloc_many_resv did not pass" >&2; exit 1; }
		echo "$line"
		rmmod iommu_sva_mock_test
		set -- $line
		echo "FIG alloc-resv ${4%,}"
		echo "FIG alloc-none $6"
	fi
fi
echo 1 > $S/del_device
[ "$K" != patched ] || echo 2 > $S/del_device
rmmod iommu_sva_mock
