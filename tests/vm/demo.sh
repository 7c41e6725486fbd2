#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo session, run inside the test VM by "make demo".
B=${1:?usage: demo.sh BUILD_DIR}
S=/sys/bus/svamock
run() { printf '\n$ %s\n' "$*"; "$@"; }
# put VALUE FILE: show and do "echo VALUE > FILE", with the error if refused.
put() {
	printf "\n$ echo '%s' > %s\n" "$1" "$2"
	(echo "$1" > "$2") 2>&1 | sed 's/^.*write error: /Error: /'
}
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
put '1 20' $S/new_device
put '2 8' $S/new_device
put '3 16 7' $S/new_device
put '4 4 7' $S/new_device
for d in $S/devices/*; do
	printf '  %s: %s-bit PASIDs, iommu_group %s\n' "$(basename "$d")" \
		"$(cat "$d/pasid_bits")" "$(basename "$(readlink "$d/iommu_group")")"
done

echo
echo "By default every bind uses the process's one global PASID, as in 6.12:"
run "$B/tests/svamock-bind" 1 2 3

echo
echo "Reserve PASIDs 1-99 of svamock2 for a VM, and make it use local PASIDs:"
put '1 99 vm-guest1' $S/devices/svamock2/pasid_reserve
put local $S/devices/svamock2/pasid_mode
run cat $S/devices/svamock2/pasid_reservations
printf '\n$ %s &\n' "$B/tests/svamock-bind -s 3 1 2"
"$B/tests/svamock-bind" -s 3 1 2 &
sleep 1
echo "While it holds its bonds:"
info 1 2
wait

echo
echo "Bad input is refused and changes nothing:"
put '50 150 other' $S/devices/svamock2/pasid_reserve
put '0 10' $S/devices/svamock2/pasid_pool
put sometimes $S/devices/svamock2/pasid_mode
put '9 21' $S/new_device
echo
echo "The kernel log says which PASID was in the way:"
dmesg | grep -E 'svamock2: cannot|new_device takes' | tail -n 3 | sed 's/^/  /'
info 2

put 2 $S/del_device
run ls $S/devices
run rmmod iommu_sva_mock
echo
echo "Demo done."
