#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the patched kernel tree and build it.
#
#   kernel/tree.sh tree     extract + apply kernel/patches/series (if needed)
#   kernel/tree.sh config   tinyconfig + kernel/config/*.config, checked
#   kernel/tree.sh build    tree + config + bzImage + modules (incremental)
#   kernel/tree.sh export   turn the tree's commits on top of "base" back
#                           into kernel/patches/ (git format-patch)
#   kernel/tree.sh each     build drivers/iommu/ with W=1 at every patch of
#                           the series, in a worktree (build/each), failing on
#                           any error or warning: each patch builds on its own
#
# The tree is build/linux: a git repository whose tag "base" is the pristine
# Debian linux-source-6.12 and whose commits on top are the series. Objects go
# to build/kobj, so switching the series rewrites only the files it touches
# and the rebuild stays incremental. Environment: BUILD (default build/),
# KERNEL_TARBALL, JOBS.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
tree=$build/linux
obj=$build/kobj
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

do_config() {
	mkdir -p "$obj"
	local stamp
	stamp=$( (cat "${fragments[@]}"; sed -n 1p "$stampfile") | sha256sum | cut -d' ' -f1)
	if [ -f "$obj/.config" ] && [ "$(cat "$obj/.pasid-config" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	echo "  CONFIG  tinyconfig + ${fragments[*]##*/}"
	# Generate aside and install only if it differs, so that an unchanged
	# configuration does not trigger a rebuild.
	local tmp=$build/kconfig.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	make -s -C "$tree" O="$tmp" tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$tmp" "$tmp/.config" "${fragments[@]}" >"$tmp/merge.log"
	make -s -C "$tree" O="$tmp" olddefconfig >/dev/null
	local f line sym bad=0
	for f in "${fragments[@]}"; do
		while read -r line; do
			case "$line" in
			CONFIG_*=*)
				grep -qxF "$line" "$tmp/.config" || { echo "  $f: $line not in .config" >&2; bad=1; } ;;
			"# CONFIG_"*" is not set")
				sym=${line#\# }; sym=${sym%% *}
				! grep -q "^$sym=" "$tmp/.config" || { echo "  $f: $sym should be unset" >&2; bad=1; } ;;
			esac
		done < "$f"
	done
	[ $bad = 0 ] || die "the config fragment does not hold (see above; dependencies missing?)"
	if ! cmp -s "$tmp/.config" "$obj/.config"; then
		cp "$tmp/.config" "$obj/.config"
	fi
	echo "$stamp" > "$obj/.pasid-config"
	rm -rf "$tmp"
}

do_build() {
	do_tree
	do_config
	setup_cc
	echo "  MAKE    bzImage modules (-j$jobs, CC=$cc)"
	make -s -C "$tree" O="$obj" CC="$cc" -j"$jobs" bzImage modules
	ln -sf kobj/arch/x86/boot/bzImage "$build/bzImage"
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

do_each() {
	do_tree
	do_config
	local wt=$build/each eobj=$build/kobj-each c log=$build/each.log
	setup_cc
	[ -d "$wt" ] || tgit worktree add -q --detach "$wt" base
	mkdir -p "$eobj"
	for c in $(tgit rev-list --reverse base..HEAD); do
		git -C "$wt" checkout -q --detach "$c"
		# the whole fragment; olddefconfig drops what this patch lacks
		cp "$obj/.config" "$eobj/.config"
		make -s -C "$wt" O="$eobj" olddefconfig >/dev/null
		if ! make -s -C "$wt" O="$eobj" CC="$cc" -j"$jobs" W=1 drivers/iommu/ >"$log" 2>&1 ||
		   grep -q 'warning:' "$log"; then
			cat "$log" >&2
			die "$(git -C "$wt" log -1 --format='%h %s') does not build cleanly on its own"
		fi
		echo "  EACH    $(git -C "$wt" log -1 --format='%h %s'): drivers/iommu/ builds, W=1 clean"
	done
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
	printf '%s\n%s\n' "$(series_stamp)" "$(tgit rev-parse HEAD)" > "$stampfile"
	echo "  EXPORT  $(wc -l < "$patches/series") patches to kernel/patches"
}

case "${1:-build}" in
tree) do_tree ;;
config) do_tree; do_config ;;
build) do_build ;;
export) do_export ;;
each) do_each ;;
*) die "usage: $0 {tree|config|build|export|each}" ;;
esac
