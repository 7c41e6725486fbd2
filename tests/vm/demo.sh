#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo session, run inside the test VM by "make demo": a sysadmin's
# pasidctl session against the patched kernel, with simulated devices.
B=${1:?usage: demo.sh BUILD_DIR}
S=/sys/bus/svamock
PATH=$B:$PATH
# The files the session writes: a directory of its own, writable whether
# or not the checkout (and with it the guest's /tmp) is the host's.
W=$(mktemp -d) || exit 1
failed=0
said=0
# run CMD...: a step meant to succeed; refuse RC CMD...: one meant to fail
# with exit status RC. Any other outcome fails the demo (exit 1 at the end).
run() {
	printf '\n# %s\n' "$*"
	said=0
	"$@"
	rc=$?
	if [ $rc != 0 ]; then
		echo "(exit status $rc: THIS STEP FAILED)"
		failed=$((failed + 1))
	fi
}
refuse() {
	local want=$1
	shift
	printf '\n# %s\n' "$*"
	said=0
	"$@"
	rc=$?
	echo "(exit status $rc)"
	if [ $rc != "$want" ]; then
		echo "(expected exit status $want: THIS STEP FAILED)"
		failed=$((failed + 1))
	fi
}
# Narrative: consecutive lines form one paragraph.
say() {
	[ $said = 1 ] || echo
	printf '%s\n' "$*"
	said=1
}

echo "Booted $(uname -r) under QEMU; no vIOMMU, the mock IOMMU is the only one."
insmod "$B/kobj/drivers/iommu/iommu-sva-mock.ko"
say "Simulated devices: svamock1 with 20-bit PASIDs (a big accelerator), svamock2"
say "with 8 bits, svamock3 and svamock4 (16 and 4 bits) sharing one IOMMU group,"
say "and svamock5, which takes work with ENQCMD: its driver needs the CPU's PASID."
for spec in "1 20" "2 8" "3 16 7" "4 4 7" "5 20 0 enqcmd"; do echo "$spec" > $S/new_device; done

run pasidctl status
run pasidctl dev show

say "A value is never both a global PASID (ENQCMD's) and a local one. Keep the"
say "values a 16-bit device can use for local PASIDs: new global PASIDs start higher."
run pasidctl global set floor 65536
run pasidctl global show
say "By default every SVA bind uses the process's one global PASID, as in 6.12."
say "A 4-bit device can only take global PASIDs below 16; make it choose by itself:"
run pasidctl dev set svamock4 mode auto
say "svamock3 shares svamock4's IOMMU group, and so its PASID table and its 16"
say "PASIDs: a global PASID above the floor cannot fit there either. Auto too:"
run pasidctl dev set svamock3 mode auto
say "Keep PASIDs 1-99 of the big device for a VM's guest PASIDs, and hand out"
say "svamock2's own PASIDs from 16-255, locally:"
run pasidctl dev reserve svamock1 range 1-99 label vm-guest1
run pasidctl dev set svamock2 mode local pool 16-255
run pasidctl dev show svamock/svamock2

say "Two processes bind to the devices through the mock driver:"
"$B/tests/svamock-bind" -s 30 1 2 4 | sed 's/^/  /' &
p1=$!
"$B/tests/svamock-bind" -s 30 2 3 | sed 's/^/  /' &
p2=$!
sleep 2
run pasidctl proc show
run pasidctl proc show kind local
run pasidctl dev show svamock2

say "Deployment tooling reads JSON; keys are the netlink spec's attribute names:"
run pasidctl -j -p dev show svamock1

say "Errors say what the kernel refused, and change nothing:"
refuse 2 pasidctl dev reserve svamock2 range 10-20 label other
refuse 2 pasidctl dev set svamock2 pool 0-300
refuse 2 pasidctl dev reserve svamock1 range 50-60
refuse 3 pasidctl dev show svamock/svamock9
refuse 1 pasidctl dev reserve svamock1 range 5-3
refuse 2 pasidctl -j dev set svamock2 pool 0-300
refuse 2 pasidctl dev set svamock5 mode local
refuse 2 pasidctl dev set svamock3 pool 1-1000

say "Declarative settings for a fleet: today's state as a file, applied again:"
printf '\n# pasidctl -j dev show > %s\n' "$W/pasidctl.json"
said=0
pasidctl -j dev show > "$W/pasidctl.json" || failed=$((failed + 1))
say "Someone changes a device by hand; the file puts it back:"
run pasidctl dev set svamock4 mode global
run pasidctl apply --dry-run "$W/pasidctl.json"
run pasidctl apply "$W/pasidctl.json"
run pasidctl apply "$W/pasidctl.json"
kill $p1 $p2 2>/dev/null
wait
for d in 1 2 3 4; do echo $d > $S/del_device; done
rmmod iommu_sva_mock
rm -rf "$W"
if [ $failed != 0 ]; then
	say "Demo done, but $failed steps did not do what they should (see above)."
	exit 1
fi
say "Demo done."
