#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/ns-refusal.sh BUILD_DIR: the iommu-pasid family exists only in
# the initial network namespace, and answers only callers in the initial pid
# namespace (it names processes by pid). From a new network namespace
# (unshare -n, and unshare -U -r -n as any user could) and from a new pid
# namespace (unshare -p -f), every kind of
# request, a do, a dump and a write, is refused: pasidctl says why and exits
# 3 ("not supported here"). On the wire (a raw socket, stress.py's Genl):
# in a new network namespace the controller does not know the family and a
# request sent to its id gets ENOENT (genetlink hides a family that is not
# netnsok); in a new pid namespace the do's ack and the dumps' NLMSG_DONE
# carry EOPNOTSUPP and the kernel's extack. The same requests work from the
# initial namespaces. Runs in the test VM with the mock loaded; needs
# CONFIG_NET_NS and CONFIG_PID_NS. TAP on stdout.
set -u
B=${1:?usage: ns-refusal.sh BUILD_DIR}
P=$B/pasidctl
HERE=$(cd "$(dirname "$0")" && pwd)
# errno and extack of resolving the family, of a do (global-get) and of two
# dumps (dev-get, mm-get) sent to the family's id in the initial namespace
FAM=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$HERE'); import stress; print(stress.Genl().fam)")
# the monitor group's number in the initial namespace
GRP=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$HERE'); import stress; print(stress.Genl().mcgrps['monitor'])")
PROBE="
import sys
sys.path.insert(0, '$HERE')
import stress
try:
    stress.Genl()
    print('resolve', 0, '')
except stress.NlErr as e:
    print('resolve', e.err, e.msg)
import errno, socket
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
s.bind((0, 0))
try:
    s.setsockopt(270, 1, $GRP)  # SOL_NETLINK, NETLINK_ADD_MEMBERSHIP
    print('join', 0, '')
except OSError as e:
    print('join', e.errno, '')
g = stress.Genl(fam=$FAM)
for what, fn in (('global-get', lambda: g.do(stress.CMD_GLOBAL_GET)),
                 ('dev-get dump', lambda: g.dump(stress.CMD_DEV_GET)),
                 ('mm-get dump', lambda: g.dump(stress.CMD_MM_GET))):
    try:
        fn()
        print(what, 0, '')
    except stress.NlErr as e:
        print(what, e.err, e.msg)
"
T=$(mktemp -d)
n=0
fail=0
echo "TAP version 13"
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
show() { sed 's/^/# /' "$@"; }

echo "3401 20" > /sys/bus/svamock/new_device

# The requests: a do, two dumps (one of them listing processes), a write.
reqs=("global show" "dev show" "proc show" "dev show svamock/svamock3401"
      "global set floor 1")

for r in "${reqs[@]}"; do
	# shellcheck disable=SC2086
	if "$P" $r >"$T/out" 2>"$T/err"; then
		ok "pasidctl $r works in the initial namespaces"
	else
		nok "pasidctl $r fails in the initial namespaces (exit $?)"
		show "$T/err"
	fi
done

refused() { # NAME "UNSHARE ARGS" WORD CONFIG
	local name=$1 ns=$2 word=$3 cfg=$4 r rc why
	# pasidctl's words where the family does not exist, the kernel's where
	# it refuses
	if [ "$name" = "user and network" ]; then
		# pid 1's namespaces are out of reach from a user namespace
		why="no iommu-pasid netlink family here: this kernel lacks it (it needs the iommu-pasid patches and CONFIG_IOMMU_PASID_NETLINK), or this process is outside the initial network namespace, the only one it exists in"
	elif [ "$word" = network ]; then
		why="iommu-pasid exists only in the initial network namespace, and this process is in another"
	else
		why="iommu-pasid answers only in the initial pid namespace"
	fi
	# shellcheck disable=SC2086
	if ! unshare $ns true 2>"$T/err"; then
		nok "unshare $ns works (the kernel needs CONFIG_$cfg)"
		show "$T/err"
		return
	fi
	for r in "${reqs[@]}"; do
		# shellcheck disable=SC2086
		unshare $ns "$P" -j $r >"$T/out" 2>"$T/err"
		rc=$?
		# Nothing listed: stdout is empty, or (a dump, -j) the empty
		# document pasidctl closes its JSON with.
		if [ $rc = 3 ] &&
		   { [ ! -s "$T/out" ] || jq -e '[.dev, .proc] | map(. // [] | length) | add == 0' "$T/out" >/dev/null; } &&
		   head -n1 "$T/err" | grep -qx "Error: $why" &&
		   sed -n 2p "$T/err" | jq -e '.error["exit-code"] == 3' >/dev/null; then
			ok "from a new $name namespace, pasidctl $r is refused, says why, exit 3"
		else
			nok "from a new $name namespace, pasidctl $r: exit $rc, want 3 with \"Error: $why\""
			show "$T/out" "$T/err"
		fi
	done
	# status says why, in text and in JSON
	# shellcheck disable=SC2086
	unshare $ns "$P" status >"$T/out" 2>&1
	rc=$?
	# shellcheck disable=SC2086
	unshare $ns "$P" -j status >"$T/json" 2>/dev/null
	case $name in
	network) st="family iommu-pasid: not in this network namespace"; js=other ;;
	"user and network") st="family iommu-pasid: not found; "; js=unknown ;;
	*) st="family iommu-pasid: present"; js=initial ;;
	esac
	if [ $rc = 3 ] && grep -q "^$st" "$T/out" &&
	   jq -e --arg js "$js" '.family.netns == $js and .usable == false' "$T/json" >/dev/null &&
	   ! grep -q "reports no PASID support\|no iommu-pasid family to ask" "$T/out"; then
		ok "from a new $name namespace, pasidctl status exits 3 and gives the namespace as the reason ($js)"
	else
		nok "from a new $name namespace, pasidctl status: exit $rc, want 3, \"$st\" and netns $js"
		show "$T/out" "$T/json"
	fi
	# shellcheck disable=SC2086
	unshare $ns /usr/bin/python3 -c "$PROBE" >"$T/out" 2>&1
	if [ "$word" = network ]; then
		want="2 .*"
		what="ENOENT: the family does not exist there"
		rs=("resolve" "join" "global-get" "dev-get dump" "mm-get dump")
	else
		want="95 iommu-pasid answers only in the initial $word namespace"
		what="EOPNOTSUPP and the extack"
		rs=("global-get" "dev-get dump" "mm-get dump")
		if grep -qx "resolve 0 " "$T/out"; then
			ok "from a new $name namespace, the family resolves"
		else
			nok "from a new $name namespace, the family does not resolve"
			show "$T/out"
		fi
	fi
	for r in "${rs[@]}"; do
		if grep -qx "$r $want" "$T/out"; then
			ok "from a new $name namespace, a raw $r gets $what"
		else
			nok "from a new $name namespace, a raw $r: want \"$want\""
			show "$T/out"
		fi
	done
}
refused network "-n" network NET_NS
refused "user and network" "-U -r -n" network USER_NS
refused pid "-p -f" pid PID_NS

# Nothing the refused writes tried changed anything.
if "$P" -j global show | jq -e '.global.floor == 1' >/dev/null; then
	ok "the refused writes changed nothing"
else
	nok "the refused writes changed something"
fi
echo 3401 > /sys/bus/svamock/del_device
rm -rf "$T"
echo "1..$n"
exit $fail
