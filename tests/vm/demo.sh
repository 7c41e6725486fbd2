#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo session, run inside the test VM by "make demo".
B=${1:?usage: demo.sh BUILD_DIR}
S=/sys/bus/svamock
run() { printf '\n$ %s\n' "$*"; "$@"; }
info() {
	for d in "$@"; do
		set -- $(cat $S/devices/svamock$d/pasid_info)
		printf '  svamock%s: %s PASIDs, pool %s-%s, mode %s, allocated %s, reservations %s (%s PASIDs), bonds %s global %s local\n' \
			"$d" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
	done
}

echo "Booted $(uname -r) under QEMU; no vIOMMU, the mock IOMMU is the only one."
run insmod "$B/kobj/drivers/iommu/iommu-sva-mock.ko"
echo "(loading the test driver taints the kernel: tainted=$(cat /proc/sys/kernel/tainted))"

echo
echo "Simulated devices, \"ID PASID_BITS [GROUP]\": a 20-bit one, an 8-bit one,"
echo "and a 16-bit and a 4-bit one sharing IOMMU group 7:"
run sh -c "echo '1 20' > $S/new_device"
run sh -c "echo '2 8' > $S/new_device"
run sh -c "echo '3 16 7' > $S/new_device"
run sh -c "echo '4 4 7' > $S/new_device"
for d in $S/devices/*; do
	printf '  %s: %s-bit PASIDs, iommu_group %s\n' "$(basename "$d")" \
		"$(cat "$d/pasid_bits")" "$(basename "$(readlink "$d/iommu_group")")"
done

echo
echo "By default every bind uses the process's one global PASID, as in 6.12:"
run "$B/tests/svamock-bind" 1 2 3

echo
echo "Reserve PASIDs 1-99 of svamock2 for a VM, and make it use local PASIDs:"
run sh -c "echo '1 99 vm-guest1' > $S/devices/svamock2/pasid_reserve"
run sh -c "echo local > $S/devices/svamock2/pasid_mode"
run cat $S/devices/svamock2/pasid_reservations
run "$B/tests/svamock-bind" 1 2
info 1 2

echo
echo "Bad input is refused and changes nothing:"
run sh -c "echo '50 150 other' > $S/devices/svamock2/pasid_reserve"
run sh -c "echo '0 10' > $S/devices/svamock2/pasid_pool"
run sh -c "echo sometimes > $S/devices/svamock2/pasid_mode"
run sh -c "echo '9 21' > $S/new_device"
info 2

run sh -c "echo 2 > $S/del_device"
run ls $S/devices
run rmmod iommu_sva_mock
echo
echo "Demo done."
