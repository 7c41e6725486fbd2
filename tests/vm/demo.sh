#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo session, run inside the test VM by "make demo".
B=${1:?usage: demo.sh BUILD_DIR}
run() { printf '\n$ %s\n' "$*"; "$@"; }

echo "Booted $(uname -r) under QEMU; no vIOMMU, the mock IOMMU is the only one."
run insmod "$B/kobj/drivers/iommu/iommu-sva-mock.ko"
echo "(loading the test driver taints the kernel: tainted=$(cat /proc/sys/kernel/tainted))"

# Simulated devices: "ID PASID_BITS [GROUP]".
run sh -c 'echo "1 20" > /sys/bus/svamock/new_device'
run sh -c 'echo "2 8" > /sys/bus/svamock/new_device'
run sh -c 'echo "3 16 7" > /sys/bus/svamock/new_device'
run sh -c 'echo "4 4 7" > /sys/bus/svamock/new_device'
run ls /sys/bus/svamock/devices
for d in /sys/bus/svamock/devices/*; do
	printf '  %s: %s-bit PASIDs, iommu_group %s\n' "$(basename "$d")" \
		"$(cat "$d/pasid_bits")" "$(basename "$(readlink "$d/iommu_group")")"
done

echo
echo "One process bound to three devices gets one global PASID on all of them:"
run "$B/tests/svamock-bind" 1 2 3
echo
echo "A second process (the first has exited and released its PASID):"
run "$B/tests/svamock-bind" 1 2

echo
echo "Bad input is refused:"
run sh -c 'echo "9 21" > /sys/bus/svamock/new_device'
run sh -c 'echo "1 8" > /sys/bus/svamock/new_device'

run sh -c 'echo 2 > /sys/bus/svamock/del_device'
run ls /sys/bus/svamock/devices
run rmmod iommu_sva_mock
echo
echo "Demo done."
