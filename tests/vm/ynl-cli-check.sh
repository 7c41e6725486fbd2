#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own generic netlink client, tools/net/ynl/cli.py, used
# unchanged against the iommu-pasid family: proof that the spec and the
# kernel agree. Runs in the test VM with the mock loaded; prints TAP.
#   ynl-cli-check.sh KERNEL_TREE BUILD_DIR
K=${1:?usage: ynl-cli-check.sh KERNEL_TREE BUILD_DIR}
B=${2:?usage: ynl-cli-check.sh KERNEL_TREE BUILD_DIR}
S=/sys/bus/svamock
CLI="/usr/bin/python3 $K/tools/net/ynl/cli.py --spec $K/Documentation/netlink/specs/iommu-pasid.yaml --output-json"
n=0
T=${TMPDIR:-/tmp}/ynl-cli.$$
check() { # DESCRIPTION PYTHON-EXPR-ON-j, with cli.py's output in $T
	n=$((n + 1))
	if /usr/bin/python3 -c "import json,sys; j=[json.loads(l) for l in open('$T') if l.strip()]; sys.exit(0 if ($2) else 1)"; then
		echo "ok $n cli.py: $1"
	else
		echo "not ok $n cli.py: $1"
	fi
}

echo "TAP version 13"
echo "1..4"
echo "7101 20" > $S/new_device
echo "7102 8" > $S/new_device
echo local > $S/devices/svamock7102/pasid_mode
$B/tests/svamock-bind -s 600 7101 7102 > /dev/null &
holder=$!
sleep 1

$CLI --dump dev-get > $T
check "dev-get dump lists the devices" \
	'[(d["max-pasids"], d["mode"]) for d in j[0] if d["dev-name"] in ("svamock7101", "svamock7102")] == [(1048576, "global"), (256, "local")]'
$CLI --dump mm-get > $T
check "mm-get dump lists the process and its tuples" \
	"[sorted((b['dev-name'], b['kind']) for b in m['bond']) for m in j[0] if m['pid'] == $holder] == [[('svamock7101', 'global'), ('svamock7102', 'local')]]"

# A subscriber in its own process (6.12's YNL library cannot take a
# notification in the middle of a do on the same socket); wait until it
# has joined the group, which /proc/net/netlink shows.
$CLI --subscribe monitor --sleep 45 > $T.ntf &
sub=$!
for i in $(seq 120); do
	awk '$2 == 16 && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink && break
	sleep 0.5
done
$CLI --do resv-new \
	--json '{"bus-name": "svamock", "dev-name": "svamock7101", "first": 500, "last": 599, "label": "cli"}' > $T
wait $sub
cat $T.ntf >> $T
check "resv-new, and its notification through --subscribe monitor" \
	'j[0] is None and [e["msg"]["resv"] for e in j[1] if e["name"] == "dev-change-ntf"] == [[{"first": 500, "last": 599, "label": "cli"}]]'
$CLI --do resv-del --json '{"bus-name": "svamock", "dev-name": "svamock7101", "label": "cli"}' > /dev/null
$CLI --do dev-get --json '{"bus-name": "svamock", "dev-name": "svamock7101"}' > $T
check "resv-del drops the reservation" '"resv" not in j[0] and j[0]["reserved"] == 0'
rm -f $T $T.ntf

kill $holder
wait $holder 2>/dev/null
echo 7101 > $S/del_device
echo 7102 > $S/del_device
exit 0
