#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (tests/vm/run) from the top of the repository:
#   tests/vm/check-guest.sh BUILD_DIR [kasan]
# Loads the SVA mock IOMMU, runs the KUnit suites and the kselftests, unloads
# the driver. Each suite's TAP goes to $VM_OUT for tests/summarize.py; the
# steps of this script are themselves reported as TAP in $VM_OUT/vm-steps.tap.
#
# On the test kernel (build/bzImage) it runs every suite but the stress
# test. With "kasan", on the KASAN kernel (build/bzImage-kasan, modules from
# build/kobj-kasan), it runs the suites that look for memory-safety bugs:
# KUnit, the kselftests (device removal with live bonds among them) and the
# concurrent stress test; their TAP files end in -kasan.
set -u
B=${1:?usage: check-guest.sh BUILD_DIR [kasan]}
FLAVOR=${2:-}
OUT=${VM_OUT:?not in the test VM (tests/vm/run sets VM_OUT)}
MODS=$B/kobj/drivers/iommu
SFX=
if [ "$FLAVOR" = kasan ]; then
	MODS=$B/kobj-kasan/drivers/iommu
	SFX=-kasan
fi
n=0
steps=$OUT/vm-steps$SFX.tap
echo "TAP version 13" > "$steps"

step() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $desc" >> "$steps"
	else
		echo "not ok $n $desc" >> "$steps"
		echo "vm step failed: $desc" >&2
	fi
}

is_tainted_test() {
	# TAINT_TEST is bit 18 of /proc/sys/kernel/tainted.
	t=$(cat /proc/sys/kernel/tainted)
	[ $(( (t >> 18) & 1 )) = 1 ]
}

not_tainted_test() { ! is_tainted_test; }

run_ksft() {
	name=$1
	shift
	echo "== kselftest $name"
	"$@" > "$OUT/ksft-$name$SFX.tap" 2>&1
	rc=$?
	cat "$OUT/ksft-$name$SFX.tap"
	return $rc
}

run_tap() {
	name=$1
	shift
	echo "== $name"
	"$@" > "$OUT/$name.tap" 2>&1
	rc=$?
	cat "$OUT/$name.tap"
	return $rc
}

if [ -w /sys/kernel/debug/kmemleak ]; then
	# Scan only on demand, and only for what is allocated from here on.
	echo scan=off > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi

# The VM runs with -smp 2 (VM_CPUS): both CPUs must come up (ACPI's MADT
# lists them), or the concurrency tests below run on one.
two_cpus() {
	[ "$(nproc)" = 2 ] && [ "$(grep -c '^processor' /proc/cpuinfo)" = 2 ]
}
step "the VM has 2 CPUs (nproc and /proc/cpuinfo)" two_cpus
step "kernel not tainted before the test driver loads" not_tainted_test
step "insmod iommu-sva-mock" insmod "$MODS/iommu-sva-mock.ko"
step "loading the test driver taints with TAINT_TEST" is_tainted_test
step "/sys/bus/svamock appears" test -w /sys/bus/svamock/new_device

# KUnit suites built as modules run when loaded; their TAP is kept in debugfs.
step "insmod iommu-sva-mock-test (KUnit)" insmod "$MODS/iommu-sva-mock-test.ko"
for d in /sys/kernel/debug/kunit/*/; do
	[ -f "$d/results" ] || continue
	s=$(basename "$d")
	cp "$d/results" "$OUT/kunit-$s$SFX.tap"
	echo "== kunit $s"
	cat "$d/results"
done
step "rmmod iommu-sva-mock-test" rmmod iommu_sva_mock_test

step "kselftest iommu_sva_mock exits 0" run_ksft iommu_sva_mock "$B/tests/iommu_sva_mock"

if [ "$FLAVOR" = kasan ]; then
	# Concurrent churn for STRESS_SECONDS (default 60): binders with forked
	# children, pasidctl and raw dump loops, reservations, device removal
	# and addition, the shared-bond removal; dumps must be consistent
	# unless flagged interrupted, and every count must come back.
	step "concurrent stress test (stress.py) exits 0" \
		run_tap stress$SFX /usr/bin/python3 tests/vm/stress.py "$B"
	# pasidctl's end-to-end tests again, against its sanitizer build.
	step "pasidctl end-to-end tests, ASan+UBSan+LSan build, exit 0" \
		run_tap pasidctl-e2e-san bash tests/vm/pasidctl-e2e-san.sh "$B"
else

# iproute2 knows the family: eight commands and the monitor group.
genl_lists_family() {
	out=$(genl ctrl get name iommu-pasid) || return 1
	echo "$out" | grep -q "name: monitor" &&
	[ "$(echo "$out" | awk '/commands supported/{c=1;next} /multicast/{c=0} c && /ID-0x/' | wc -l)" = 8 ]
}
step "genl ctrl get name iommu-pasid lists the ops and the monitor group" genl_lists_family

# The netlink family: every op, its refusals, monitor, 100k tuples, an
# unprivileged user; then the kernel's own cli.py against it.
K=$B/linux
# PASID isolation against a reference model: 10,000 seeded random steps of
# binds, unbinds, exits, forks, reservations, pool, mode, policy and floor
# changes, device add and remove; the kernel's dumps and the mock's PASID
# tables must equal the model after each. PASID_MODEL_SEED reproduces a run.
step "model-based PASID isolation test (pasid_model.py) exits 0" \
	run_tap pasid-model /usr/bin/python3 tests/vm/pasid_model.py "$K" \
	--steps "${PASID_MODEL_STEPS:-10000}" ${PASID_MODEL_SEED:+--seed "$PASID_MODEL_SEED"}
step "netlink tests (nl_test.py) exit 0" run_tap nl-iommu-pasid /usr/bin/python3 tests/vm/nl_test.py "$K" "$B"
step "cli.py cross-check runs" run_tap ynl-cli sh tests/vm/ynl-cli-check.sh "$K" "$B"
# The family exists only in the initial network namespace and answers only
# callers in the initial pid namespace.
step "requests from other network and pid namespaces are refused" \
	run_tap ns-refusal bash tests/vm/ns-refusal.sh "$B"

# pasidctl against the real family: every command, error classes, batch,
# apply, monitor; then every example of its man pages; then its JSON
# output, kept by the first, against the schemas in cli/schema.
step "pasidctl end-to-end tests exit 0" run_tap pasidctl-e2e bash tests/vm/pasidctl-e2e.sh "$B"
step "every pasidctl man page example runs" run_tap pasidctl-man-examples bash tests/vm/man-examples.sh "$B"
json_args() {
	for f in "$OUT"/json/*.json; do
		s=${f%.json}
		echo "$f:${s##*.}"
	done
}
step "pasidctl JSON output validates against the schemas" \
	run_tap pasidctl-json /usr/bin/python3 tests/vm/validate-json.py cli/schema $(json_args)

fi

# uacce, the in-kernel user of PASID policy, through its own open and
# release: global, local and auto binds shown by pasidctl, a 4-bit device
# that works where 6.12 fails, device removal under an open queue.
step "uacce queues bind by policy (uacce.sh) exits 0" \
	run_tap uacce$SFX bash tests/vm/uacce.sh "$B"

# Leave devices with pools, reservations and policy for the unload to clean.
leave_devices() {
	S=/sys/bus/svamock
	echo "900001 16" > $S/new_device &&
	echo "900002 8 900" > $S/new_device &&
	echo "900003 8 900" > $S/new_device &&
	echo "1 10 vm" > $S/devices/svamock900001/pasid_reserve &&
	echo "20 30" > $S/devices/svamock900001/pasid_pool &&
	echo local > $S/devices/svamock900002/pasid_mode &&
	echo "5 5" > $S/devices/svamock900003/pasid_reserve
}
step "devices with pools and reservations left for the unload" leave_devices
step "rmmod iommu-sva-mock" rmmod iommu_sva_mock
step "/sys/bus/svamock is gone after unload" test ! -e /sys/bus/svamock

if [ -w /sys/kernel/debug/kmemleak ]; then
	# Two scans: kmemleak reports an object only once it has aged.
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > "$OUT/kmemleak.txt"
	step "kmemleak finds no leak" test ! -s "$OUT/kmemleak.txt"
	[ -s "$OUT/kmemleak.txt" ] && cat "$OUT/kmemleak.txt"
fi
echo "1..$n" >> "$steps"
grep -q '^not ok' "$steps" && exit 1
exit 0
