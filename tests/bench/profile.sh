#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/bench/profile.sh BUILD [KERNEL]: where a bind and unbind spend their
# time, run inside the VM booted with a bench kernel (KERNEL: "patched", the
# default, or "baseline"; its objects must match the kernel booted):
#
#   VM_KERNEL=build/bzImage-bench tests/vm/run --out DIR \
#       bash tests/bench/profile.sh build
#
# perf samples (cpu-clock, every 100 us) 40,000 binds and unbinds of a global
# bond and, on the series, of a local one; prints per symbol the samples of
# each and their difference, the largest first. Samples are per 40,000
# cycles, so two runs (two kernels, or global and local) compare as they
# are. Not part of make bench: for a figure that misses its goal.
set -u
B=${1:?usage: profile.sh BUILD [patched|baseline]}
K=${2:-patched}
obj=$B/kobj-bench
[ "$K" = patched ] || obj=$B/kobj-baseline
S=/sys/bus/svamock
out=${VM_OUT:-/tmp}
command -v perf >/dev/null || { echo "profile.sh: no perf (apt-get install linux-perf)" >&2; exit 2; }
insmod "$obj/drivers/iommu/iommu-sva-mock.ko" || exit 1
echo "1 20" > $S/new_device
kinds="1"
if [ "$K" = patched ]; then
	echo "2 20" > $S/new_device
	echo local > $S/devices/svamock2/pasid_mode
	kinds="1 2"
fi
for id in $kinds; do
	"$B/bench/bind-bench" "$id" 2000 > /dev/null
	perf record -q -e cpu-clock -c 100000 -o "$out/perf-$K-$id.data" -- \
		"$B/bench/bind-bench" "$id" 40000
	perf report -i "$out/perf-$K-$id.data" --stdio --no-children --sort sym \
		-F sample,sym 2>/dev/null | awk '/^ *[0-9]/ { print $1, $3 }' > "$out/prof-$K-$id.txt"
done
if [ "$K" = patched ]; then
	echo "samples: global, local, local - global (largest differences first)"
	awk 'FNR == NR { g[$2] = $1; next } { l[$2] = $1 }
	     END { for (s in g) if (!(s in l)) l[s] = 0
		   for (s in l) printf "%6d %6d %6d %s\n", g[s], l[s], l[s] - g[s], s }' \
		"$out/prof-$K-1.txt" "$out/prof-$K-2.txt" | sort -k3,3nr | head -n 30
else
	echo "samples of a global bind and unbind on the baseline"
	sort -k1,1nr "$out/prof-$K-1.txt" | head -n 30
fi
for id in $kinds; do echo $id > $S/del_device; done
rmmod iommu_sva_mock
