#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the patched kernel tree and build it.
#
#   kernel/tree.sh tree     extract + apply kernel/patches/series (if needed)
#   kernel/tree.sh config   tinyconfig + kernel/config/*.config, checked
#   kernel/tree.sh build    tree + config + bzImage + modules (incremental)
#   kernel/tree.sh export   turn the tree's commits on top of "base" back
#                           into kernel/patches/ (git format-patch), with
#                           0000-cover-letter.patch made of
#                           kernel/cover-letter.txt, the shortlog and the
#                           diffstat
#   kernel/tree.sh bench [TARGET...]
#                           build the two kernels of make bench: the series
#                           and the baseline it is measured against (see
#                           do_bench); default targets: bzImage modules
#   kernel/tree.sh each     build every patch of the series on its own, for
#                           three configurations (see do_each), in a worktree
#                           (build/each), failing on any error, on any W=1
#                           warning and on any sparse warning in the series'
#                           files
#
# The tree is build/linux: a git repository whose tag "base" is the pristine
# Debian linux-source-6.12 and whose commits on top are the series. Objects go
# to build/kobj, so switching the series rewrites only the files it touches
# and the rebuild stays incremental. Environment: BUILD (default build/),
# KERNEL_TARBALL, JOBS; for "each": EACH_CONFIGS (default "x86 nosva arm64",
# the configurations to build) and EACH_KEEP_GOING=1 (go on after a failure,
# make -k, and list every failure at the end).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
tree=$build/linux
obj=$build/kobj
obj_kasan=$build/kobj-kasan
tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
patches=$top/kernel/patches
fragments=("$top"/kernel/config/*.config)
jobs=${JOBS:-$(nproc)}
stampfile=$tree/.git/pasid-series

die() { echo "kernel/tree.sh: error: $*" >&2; exit 1; }

tgit() { git -C "$tree" -c user.name="pasid build" -c user.email=build@localhost "$@"; }

series_stamp() {
	(cd "$patches" && cat series && sed -e '/^#/d' -e '/^$/d' series | xargs -r cat) |
		sha256sum | cut -d' ' -f1
}

make_base() {
	[ -f "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.12 (make deps)"
	echo "  TREE    extracting $(basename "$tarball") into $tree"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -C "$tree.tmp" --strip-components=1 -xf "$tarball"
	git -C "$tree.tmp" init -q
	# Debian's .gitignore ignores the whole top level: add by force.
	git -C "$tree.tmp" add -A -f
	git -C "$tree.tmp" -c user.name="pasid build" -c user.email=build@localhost \
		commit -q -m "Linux $(make -s -C "$tree.tmp" kernelversion) (Debian linux-source-6.12)"
	git -C "$tree.tmp" tag base
	mv "$tree.tmp" "$tree"
}

do_tree() {
	[ -d "$tree/.git" ] || make_base
	local want have head
	want=$(series_stamp)
	have=$(sed -n 1p "$stampfile" 2>/dev/null || true)
	head=$(sed -n 2p "$stampfile" 2>/dev/null || true)
	if [ "$want" = "$have" ]; then
		return 0
	fi
	if [ -n "$(tgit status --porcelain --untracked-files=no)" ]; then
		die "$tree has uncommitted changes; commit them and run 'make kernel-export', or discard them"
	fi
	if [ -n "$head" ] && [ "$(tgit rev-parse HEAD)" != "$head" ]; then
		die "$tree has commits that are not in kernel/patches; run 'make kernel-export' first"
	fi
	echo "  TREE    applying kernel/patches/series"
	tgit am --abort >/dev/null 2>&1 || true
	tgit reset -q --hard base
	local p
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$patches/$p" ] || die "series names $p, which does not exist"
		if ! tgit am -q --whitespace=error-all "$patches/$p"; then
			tgit am --abort >/dev/null 2>&1 || true
			die "patch $p does not apply"
		fi
	done < "$patches/series"
	printf '%s\n%s\n' "$want" "$(tgit rev-parse HEAD)" > "$stampfile"
}

# gen_config SRC DIR BASE FRAGMENT...: DIR/.config = "make BASE" (tinyconfig,
# defconfig) in the source tree SRC, plus the fragments, every line of which is
# checked against the result: a symbol that Kconfig silently drops is an error.
# The make arguments for another architecture are in the array kargs.
gen_config() {
	local src=$1 dir=$2 base=$3
	shift 3
	rm -rf "$dir"
	mkdir -p "$dir"
	make -s -C "$src" O="$dir" "${kargs[@]}" "$base" >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" "$@" >"$dir/merge.log"
	make -s -C "$src" O="$dir" "${kargs[@]}" olddefconfig >/dev/null
	local f line sym bad=0
	for f in "$@"; do
		while read -r line; do
			case "$line" in
			CONFIG_*=*)
				grep -qxF "$line" "$dir/.config" || { echo "  $f: $line not in .config" >&2; bad=1; } ;;
			"# CONFIG_"*" is not set")
				sym=${line#\# }; sym=${sym%% *}
				! grep -q "^$sym=" "$dir/.config" || { echo "  $f: $sym should be unset" >&2; bad=1; } ;;
			esac
		done < "$f"
	done
	[ $bad = 0 ] || die "the config fragment ${*##*/} does not hold (see above; dependencies missing?)"
}

# config_flavor OBJDIR FRAGMENT...: tinyconfig + the fragments into OBJDIR.
config_flavor() {
	local o=$1
	shift
	mkdir -p "$o"
	local stamp
	stamp=$( (cat "$@"; sed -n 1p "$stampfile") | sha256sum | cut -d' ' -f1)
	if [ -f "$o/.config" ] && [ "$(cat "$o/.pasid-config" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	local names=("${@##*/}")
	echo "  CONFIG  ${o##*/}: tinyconfig + ${names[*]}"
	# Generate aside and install only if it differs, so that an unchanged
	# configuration does not trigger a rebuild.
	local tmp=$build/kconfig.tmp
	kargs=()
	gen_config "$tree" "$tmp" tinyconfig "$@"
	if ! cmp -s "$tmp/.config" "$o/.config"; then
		cp "$tmp/.config" "$o/.config"
	fi
	echo "$stamp" > "$o/.pasid-config"
	rm -rf "$tmp"
}

# Two kernels: the test kernel (lockdep, kmemleak, UBSAN) that runs every
# suite, and the same with KASAN (build/kobj-kasan), which runs the suites
# that look for memory-safety bugs (KUnit, kselftests, stress); KASAN under
# TCG would make the others several times slower.
do_config() {
	config_flavor "$obj" "${fragments[@]}"
	config_flavor "$obj_kasan" "${fragments[@]}" "$top/kernel/config/kasan.fragment"
}

do_build() {
	do_tree
	do_config
	setup_cc
	echo "  MAKE    kobj: bzImage modules (-j$jobs, CC=$cc)"
	make -s -C "$tree" O="$obj" CC="$cc" -j"$jobs" bzImage modules
	ln -sf kobj/arch/x86/boot/bzImage "$build/bzImage"
	echo "  MAKE    kobj-kasan: bzImage modules (-j$jobs, CC=$cc)"
	make -s -C "$tree" O="$obj_kasan" CC="$cc" -j"$jobs" bzImage modules
	ln -sf kobj-kasan/arch/x86/boot/bzImage "$build/bzImage-kasan"
}

# Sets cc: gcc through ccache when there is one.
setup_cc() {
	cc=gcc
	if command -v ccache >/dev/null; then
		cc="ccache gcc"
		# Hash paths relative to the checkout, so that another clone
		# (CI's) hits the cache this one filled.
		export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
	fi
}

# "each": every patch of the series, in order, in a worktree (build/each) of
# build/linux, for each of these configurations (EACH_CONFIGS picks some):
#
#   x86    the test kernel's: tinyconfig + kernel/config/*.config, plus
#          kernel/config/each/x86-idxd.config (the Intel IOMMU with SVM and
#          idxd with user SVA, compile only), objects in build/kobj-each.
#          drivers/iommu/, drivers/dma/idxd/, drivers/misc/uacce/ and the
#          series' other C files (arch/x86/kernel/process_64.c), W=1, plus
#          sparse (C=2, which checks
#          even what is up to date) on every C file the series touched up to
#          that patch and this configuration builds. Sparse is noisy on
#          untouched 6.12 files (kernel/fork.c, kernel/sched/, net/core/sock.c:
#          __rcu address spaces, lock contexts), so it is judged only in the
#          series' files (.c and .h).
#   nosva  x86_64 tinyconfig + kernel/config/each/x86-nosva.config, objects in
#          build/kobj-each-nosva: the IOMMU API without SVA (Intel IOMMU
#          without SVM), with NET and the PASID pools. A whole vmlinux, W=1,
#          so that what the series' headers change compiles and links where
#          iommu_mm and the SVA code do not exist.
#   arm64  arm64 defconfig + kernel/config/each/arm64-sva.config (SMMUv3 SVA,
#          uacce, without the PASID pools and the netlink family: every
#          PASID global, as in 6.12), cross-compiled with
#          aarch64-linux-gnu- (CC="ccache aarch64-linux-gnu-gcc"), objects in
#          build/kobj-each-arm64. A whole defconfig build is thousands of files
#          (well over an hour on two cores, and again after every patch that
#          changes include/linux/iommu.h), so only "make prepare" (once; then
#          incremental) and what the series can break are built, W=1:
#          drivers/iommu/ (SMMUv3 and its SVA, io-pgtable, the core),
#          drivers/misc/uacce/ (the SVA API's arm64 user) and the series'
#          other C files that arm64 builds (none under arch/x86/). Other
#          arm64 code that includes the series' headers is not covered.
#
# The worktree first builds "base" (6.12 as it is), whose warnings are the
# baseline: a step fails when its build fails or when it prints a warning
# (gcc W=1, sparse, the linker, objtool) that base did not print, compared by
# file and message without line numbers, so that lines moved by the series do
# not count as new. Sparse is judged only in the files the series touches.
each_configs=${EACH_CONFIGS:-x86 nosva arm64}
each_keep_going=${EACH_KEEP_GOING:-}

# each_conf NAME: sets c_obj, c_base, c_arch, c_frags and kargs for
# configuration NAME.
each_conf() {
	kargs=()
	case "$1" in
	x86)
		c_obj=$build/kobj-each c_base=tinyconfig c_arch=x86
		c_frags=("${fragments[@]}" "$top/kernel/config/each/x86-idxd.config")
		[ "$cc" = gcc ] || kargs=(CC="$cc") ;;
	nosva)
		c_obj=$build/kobj-each-nosva c_base=tinyconfig c_arch=x86
		c_frags=("$top/kernel/config/each/x86-nosva.config")
		[ "$cc" = gcc ] || kargs=(CC="$cc") ;;
	arm64)
		c_obj=$build/kobj-each-arm64 c_base=defconfig c_arch=arm64
		c_frags=("$top/kernel/config/each/arm64-sva.config")
		kargs=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
		[ "$cc" = gcc ] || kargs+=(CC="ccache aarch64-linux-gnu-gcc") ;;
	*) die "EACH_CONFIGS: unknown configuration '$1' (x86, nosva, arm64)" ;;
	esac
}

# each_full_config NAME TIP: the whole configuration of NAME, made at the
# series' last commit TIP into $c_obj/.pasid-each-config; each patch then
# takes what it has of it (olddefconfig).
each_full_config() {
	local name=$1 tip=$2 stamp
	stamp=$( (echo "$name $c_base ${kargs[*]} $tip"; cat "${c_frags[@]}") |
		sha256sum | cut -d' ' -f1)
	if [ -f "$c_obj/.pasid-each-config" ] &&
	   [ "$(cat "$c_obj/.pasid-each-stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	echo "  CONFIG  [$name] $c_base + ${c_frags[*]##*/}"
	local tmp=$build/kconfig-each-$name.tmp
	gen_config "$wt" "$tmp" "$c_base" "${c_frags[@]}"
	mkdir -p "$c_obj"
	cp "$tmp/.config" "$c_obj/.pasid-each-config"
	echo "$stamp" > "$c_obj/.pasid-each-stamp"
	rm -rf "$tmp"
}

# each_warnings LOG...: the warnings of build logs, paths relative to the
# tree; each_sparse LOG...: sparse's warnings and errors; each_errors LOG...:
# the errors of the compiler, the linker and modpost, once each.
each_diag() {
	sed -e 's/\x1b\[[0-9;]*[mK]//g' -e "s|^$wt/||" -e 's|^\.\./each/||' "$@"
}
each_warnings() {
	each_diag "$@" | grep -E ': warning: |^WARNING: ' || true
}
each_sparse() {
	each_diag "$@" | grep -E ': (warning|error): ' || true
}
each_errors() {
	each_diag "$@" | grep -E ': (fatal )?error: |undefined reference|multiple definition|^ERROR: ' |
		awk '!seen[$0]++' || true
}

# each_time SECONDS: "1m05s"
each_time() {
	printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

# each_build NAME LABEL: build configuration NAME at the worktree's commit,
# LABEL saying which ("base" or "N/M"). Sets each_ok to 0 on a failure, having
# said why; at "base" records the warnings as the baseline instead.
each_build() {
	local name=$1 label=$2
	local log=$build/each-$name.log slog=$build/each-$name-sparse.log
	local what ok=1 f d indir t0=$SECONDS
	each_ok=1
	local -a mk=(make -s -C "$wt" O="$c_obj" "${kargs[@]}" -j"$jobs" W=1) files=() dirs=() others=()
	[ -z "$each_keep_going" ] || mk+=(-k)
	# the whole configuration; olddefconfig drops what this patch lacks
	cp "$c_obj/.pasid-each-config" "$c_obj/.config"
	make -s -C "$wt" O="$c_obj" "${kargs[@]}" olddefconfig >/dev/null
	# The baseline holds for one configuration of base, and needs a build
	# that compiles everything: up-to-date objects print nothing. So base is
	# built from scratch (make clean) the first time, and later runs add
	# what they see to the baseline they find.
	local baseline=$c_obj/.pasid-each-baseline key
	if [ "$label" = base ]; then
		key=$(sha256sum < "$c_obj/.config" | cut -d' ' -f1)
		if [ "$(cat "$baseline.key" 2>/dev/null)" != "$key" ]; then
			echo "  CLEAN   [$name] base, for its baseline of warnings"
			make -s -C "$wt" O="$c_obj" "${kargs[@]}" clean
			rm -f "$baseline" "$baseline.key"
		fi
	fi
	: > "$log"
	: > "$slog"
	case "$name" in
	x86)
		dirs=(drivers/iommu/)
		# the series' users, once it has them: idxd (compile only), uacce
		[ ! -d "$wt/drivers/dma/idxd" ] || dirs+=(drivers/dma/idxd/)
		[ ! -d "$wt/drivers/misc/uacce" ] || dirs+=(drivers/misc/uacce/) ;;
	nosva)
		dirs=(vmlinux) ;;
	arm64)
		dirs=(drivers/iommu/)
		[ ! -d "$wt/drivers/misc/uacce" ] || dirs+=(drivers/misc/uacce/)
		# once: then it is incremental, and part of every build below
		[ "$label" != base ] || "${mk[@]}" prepare >>"$log" 2>&1 || ok=0 ;;
	esac
	[ $ok = 0 ] || "${mk[@]}" "${dirs[@]}" >>"$log" 2>&1 || ok=0
	# The C files the series has touched so far (at base: all it touches):
	# in the directories just built, those this configuration builds (in a
	# built-in.a or modules.order; "make file.o" would compile any); of the
	# others, one target each, unless they are another architecture's.
	# vmlinux has them all.
	local -a built=()
	if [ "$name" != nosva ]; then
		mapfile -t built < <(cd "$c_obj" && for f in "${dirs[@]%/}"; do
			[ ! -f "$f/built-in.a" ] || ar t "$f/built-in.a"
			[ ! -f "$f/modules.order" ] || cat "$f/modules.order"
		done)
		for f in "${touched[@]}"; do
			case "$f" in
			tools/*|Documentation/*|scripts/*|samples/*|usr/*) continue ;;
			*.c) [ -f "$wt/$f" ] || continue ;;
			*) continue ;;
			esac
			indir=0
			for d in "${dirs[@]}"; do
				case "$f" in "$d"*) indir=1 ;; esac
			done
			if [ $indir = 1 ]; then
				printf '%s\n' "${built[@]}" | grep -qxF "${f%.c}.o" || continue
			else
				case "$f" in arch/"$c_arch"/*) ;; arch/*) continue ;; esac
				# x86-only drivers outside the directories built
				case "$f" in drivers/dma/idxd/*) [ "$c_arch" = x86 ] || continue ;; esac
				others+=("${f%.c}.o")
			fi
			files+=("${f%.c}.o")
		done
	fi
	if [ ${#others[@]} != 0 ] && { [ $ok = 1 ] || [ -n "$each_keep_going" ]; }; then
		"${mk[@]}" "${others[@]}" >>"$log" 2>&1 || ok=0
	fi
	what="${dirs[*]}${others[*]:+ ${others[*]}}, W=1"
	# C=2: sparse on every file named, even those up to date
	if [ "$name" = x86 ] && [ ${#files[@]} != 0 ] && { [ $ok = 1 ] || [ -n "$each_keep_going" ]; }; then
		what="$what; sparse on ${#files[@]} files"
		"${mk[@]}" C=2 "${files[@]}" >"$slog" 2>&1 || ok=0
	fi
	local new errors at dt
	at="[$name] $label $(git -C "$wt" log -1 --format='%h %s')"
	dt=$(each_time $((SECONDS - t0)))
	if [ "$label" = base ]; then
		[ $ok = 1 ] || { cat "$log" "$slog" >&2; die "$at: base does not build (log: $log)"; }
		touch "$baseline"
		{ cat "$baseline"; each_warnings "$log"; each_sparse "$slog"; } |
			sed -E 's/^([^:]+):[0-9]+(:[0-9]+)?:/\1:/' | sort -u > "$baseline.new"
		mv "$baseline.new" "$baseline"
		echo "$key" > "$baseline.key"
		echo "  EACH    $at: $what: baseline of $(wc -l < "$baseline") warnings ($dt)"
		return 0
	fi
	# warnings base did not have; sparse's only in the files of the series
	new=$( (each_warnings "$log"; each_sparse "$slog" | grep -F -f <(printf '%s:\n' "${touched[@]}")) |
		awk -v baseline="$baseline" '
			BEGIN { while ((getline l < baseline) > 0) seen[l] = 1 }
			{ k = $0; sub(/:[0-9]+(:[0-9]+)?:/, ":", k); if (!(k in seen)) print }' ||
		true)
	if [ $ok = 1 ] && [ -z "$new" ]; then
		echo "  EACH    $at: $what: clean ($dt)"
		return 0
	fi
	errors=$(each_errors "$log")
	if [ -n "$errors" ]; then
		echo "$errors" | head -50 >&2
	elif [ $ok = 0 ]; then
		tail -20 "$log" "$slog" >&2
	fi
	[ -z "$new" ] || echo "$new" >&2
	echo "  FAIL    $at: $what:$( [ $ok = 1 ] || echo " does not build;")$( [ -z "$new" ] ||
		echo " $(echo "$new" | wc -l) new warnings;") log: $log ($dt)" >&2
	each_ok=0
}

do_each() {
	do_tree
	setup_cc
	wt=$build/each
	local name c tip n=0 total t0=$SECONDS
	local -a commits failed=()
	[ -n "${each_configs// /}" ] || die "EACH_CONFIGS is empty (x86, nosva, arm64)"
	for name in $each_configs; do
		each_conf "$name"
		case "$name" in
		x86) command -v sparse >/dev/null || die "sparse missing: apt-get install sparse (make deps)" ;;
		arm64) command -v aarch64-linux-gnu-gcc >/dev/null ||
			die "aarch64-linux-gnu-gcc missing: apt-get install gcc-aarch64-linux-gnu (make deps)" ;;
		esac
	done
	[ -d "$wt" ] || tgit worktree add -q --detach "$wt" base
	mapfile -t commits < <(tgit rev-list --reverse base..HEAD)
	total=${#commits[@]}
	[ "$total" != 0 ] || die "no patches on top of base in $tree"
	tip=${commits[total - 1]}
	git -C "$wt" checkout -q --detach "$tip"
	for name in $each_configs; do
		each_conf "$name"
		each_full_config "$name" "$tip"
	done
	git -C "$wt" checkout -q --detach base
	mapfile -t touched < <(git -C "$wt" diff --name-only base "$tip")
	for name in $each_configs; do
		each_conf "$name"
		each_build "$name" base
	done
	for c in "${commits[@]}"; do
		n=$((n + 1))
		git -C "$wt" checkout -q --detach "$c"
		mapfile -t touched < <(git -C "$wt" diff --name-only base "$c")
		for name in $each_configs; do
			each_conf "$name"
			each_build "$name" "$n/$total"
			[ $each_ok = 0 ] || continue
			failed+=("[$name] $n/$total $(git -C "$wt" log -1 --format='%h %s')")
			[ -n "$each_keep_going" ] ||
				die "patch $n/$total $(git -C "$wt" log -1 --format='%h %s') fails with config $name (above)"
		done
	done
	local dt
	dt=$(each_time $((SECONDS - t0)))
	if [ ${#failed[@]} != 0 ]; then
		printf '  FAILED  %s\n' "${failed[@]}" >&2
		die "${#failed[@]} of $((total * $(wc -w <<< "$each_configs"))) patch builds failed ($dt)"
	fi
	echo "  EACH    all $total patches build on their own for $each_configs: W=1 clean$(
		case " $each_configs " in *" x86 "*) echo ", sparse clean" ;; esac) ($dt)"
}

# "bench": the two kernels make bench compares, both with the test kernel's
# configuration less its debugging (kernel/config/bench.fragment):
#   - the series, objects in build/kobj-bench, build/bzImage-bench;
#   - the baseline: 6.12 plus kernel/baseline/*.patch (the test-only SVA
#     exemption, a mock IOMMU that binds globally and its tests: what it
#     takes to bind SVA at all without an IOMMU), nothing else; a
#     worktree build/baseline of build/linux, objects in build/kobj-baseline,
#     build/bzImage-baseline. The lines of the fragments for symbols the
#     baseline does not define (the family's) are dropped, each named.
# Every other line of the fragments is checked as for the test kernel.
# Arguments: make targets (default bzImage modules).

# bench_frags SRC DIR: the fragments for a bench kernel of the tree SRC,
# into DIR: the test kernel's without the lines bench.fragment overrides or
# SRC's Kconfig does not define, then bench.fragment.
bench_frags() {
	local src=$1 dir=$2 f line sym over=$top/kernel/config/bench.fragment
	rm -rf "$dir"
	mkdir -p "$dir"
	find "$src" -name 'Kconfig*' -not -path '*/.git/*' -print0 |
		xargs -0 grep -hoE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' |
		awk '{ print "CONFIG_" $2 }' | sort -u > "$dir/symbols"
	for f in "${fragments[@]}"; do
		while IFS= read -r line; do
			sym=
			case "$line" in
			CONFIG_*=*) sym=${line%%=*} ;;
			"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *} ;;
			esac
			if [ -n "$sym" ] && ! grep -qxF "$sym" "$dir/symbols"; then
				echo "  CONFIG  ${3:-bench}: $sym: not in this tree, dropped" >&2
				continue
			fi
			[ -z "$sym" ] || ! grep -qE "^(# )?$sym[= ]" "$over" || continue
			printf '%s\n' "$line"
		done < "$f" > "$dir/${f##*/}"
	done
	cp "$over" "$dir/"
	rm "$dir/symbols"
}

# bench_kernel SRC OBJ NAME TARGET...: configure and build a bench kernel.
bench_kernel() {
	local src=$1 bobj=$2 name=$3 tmp=$build/frags-$3 stamp
	shift 3
	bench_frags "$src" "$tmp" "$name"
	stamp=$( (cat "$tmp"/*; git -C "$src" rev-parse HEAD) | sha256sum | cut -d' ' -f1)
	if [ ! -f "$bobj/.config" ] || [ "$(cat "$bobj/.pasid-config" 2>/dev/null)" != "$stamp" ]; then
		echo "  CONFIG  ${bobj##*/}: tinyconfig + the test kernel's fragments + bench.fragment"
		kargs=()
		gen_config "$src" "$build/kconfig-$name.tmp" tinyconfig "$tmp"/*
		mkdir -p "$bobj"
		cmp -s "$build/kconfig-$name.tmp/.config" "$bobj/.config" ||
			cp "$build/kconfig-$name.tmp/.config" "$bobj/.config"
		echo "$stamp" > "$bobj/.pasid-config"
		rm -rf "$build/kconfig-$name.tmp"
	fi
	rm -rf "$tmp"
	echo "  MAKE    ${bobj##*/} ($(git -C "$src" log -1 --format='%h %s')): $* (-j$jobs, CC=$cc)"
	make -s -C "$src" O="$bobj" CC="$cc" -j"$jobs" "$@"
}

do_bench() {
	do_tree
	setup_cc
	local wt=$build/baseline want p
	# The baseline is 6.12 with kernel/baseline/*.patch: the test-only SVA
	# exemption and a mock IOMMU that binds globally, as 6.12 does (an
	# earlier form of the series' mock, which needs the series' API).
	want=$(cat "$top"/kernel/baseline/*.patch | sha256sum | cut -d' ' -f1)
	# Only a worktree of build/linux is used, and only through its own
	# git directory: "git -C" in a plain directory under build/ would
	# find this project's repository instead. Anything else at $wt (a
	# worktree of a tree made again, a copy, a directory left by hand) is
	# removed, and a worktree deleted by hand is pruned.
	tgit worktree prune
	if [ -e "$wt" ] && [ "$(git -C "$wt" rev-parse --show-toplevel 2>/dev/null)" != "$(cd "$wt" && pwd -P)" ]; then
		rm -rf "$wt"
		tgit worktree prune
	fi
	[ -d "$wt" ] || tgit worktree add -q --detach "$wt" base
	# The stamp names the patches and the commit they made: a worktree
	# made again, moved to another commit or edited is made again from
	# base, untracked files (an interrupted git am) included.
	if [ "$(sed -n 1p "$build/baseline.stamp" 2>/dev/null)" != "$want" ] ||
	   [ "$(sed -n 2p "$build/baseline.stamp" 2>/dev/null)" != "$(git -C "$wt" rev-parse HEAD)" ] ||
	   [ -n "$(git -C "$wt" status --porcelain --ignored)" ]; then
		echo "  TREE    baseline: base + kernel/baseline"
		rm -f "$build/baseline.stamp"
		git -C "$wt" am --abort >/dev/null 2>&1 || true
		git -C "$wt" reset -q --hard base
		git -C "$wt" clean -q -fdx
		for p in "$top"/kernel/baseline/*.patch; do
			git -C "$wt" -c user.name="pasid build" -c user.email=build@localhost \
				am -q --whitespace=error-all "$p" ||
				die "kernel/baseline/${p##*/} does not apply to base"
		done
		printf '%s\n%s\n' "$want" "$(git -C "$wt" rev-parse HEAD)" > "$build/baseline.stamp"
	fi
	[ $# != 0 ] || set -- bzImage modules
	bench_kernel "$tree" "$build/kobj-bench" bench "$@"
	bench_kernel "$wt" "$build/kobj-baseline" baseline "$@"
	[ ! -f "$build/kobj-bench/arch/x86/boot/bzImage" ] ||
		ln -sf kobj-bench/arch/x86/boot/bzImage "$build/bzImage-bench"
	[ ! -f "$build/kobj-baseline/arch/x86/boot/bzImage" ] ||
		ln -sf kobj-baseline/arch/x86/boot/bzImage "$build/bzImage-baseline"
}

do_export() {
	[ -d "$tree/.git" ] || die "no tree at $tree; run 'make kernel' first"
	if [ -n "$(tgit status --porcelain --untracked-files=no)" ]; then
		die "$tree has uncommitted changes; commit them first"
	fi
	local tmp
	tmp=$(mktemp -d)
	tgit format-patch -q --no-signature --zero-commit --no-numbered \
		-o "$tmp" base..HEAD
	rm -f "$patches"/*.patch
	mkdir -p "$patches"
	(cd "$tmp" && ls -1 -- *.patch 2>/dev/null) > "$patches/series" || true
	mv "$tmp"/*.patch "$patches"/ 2>/dev/null || true
	rmdir "$tmp"
	# The cover letter: kernel/cover-letter.txt, then the series'
	# shortlog and diffstat as they are now (not in series: nothing to
	# apply).
	if [ -f "$top/kernel/cover-letter.txt" ]; then
		local n subject
		n=$(wc -l < "$patches/series")
		subject=$(sed -n 's/^Subject: //p' "$top/kernel/cover-letter.txt" | head -n 1)
		{
			echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
			echo "From: $(tgit log -1 --format='%an <%ae>' HEAD)"
			echo "Subject: [PATCH 00/$n] $subject"
			echo
			sed '1{/^Subject: /d}' "$top/kernel/cover-letter.txt" | sed '1{/^$/d}'
			echo
			tgit shortlog -w72,2,4 base..HEAD
			tgit diff --stat=72 base..HEAD
		} > "$patches/0000-cover-letter.patch"
	fi
	printf '%s\n%s\n' "$(series_stamp)" "$(tgit rev-parse HEAD)" > "$stampfile"
	echo "  EXPORT  $(wc -l < "$patches/series") patches to kernel/patches"
}

case "${1:-build}" in
tree) do_tree ;;
config) do_tree; do_config ;;
build) do_build ;;
export) do_export ;;
each) do_each ;;
bench) shift; do_bench "$@" ;;
*) die "usage: $0 {tree|config|build|export|each|bench [TARGET...]}" ;;
esac
