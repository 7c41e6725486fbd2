# SPDX-License-Identifier: GPL-2.0
#
# PASID administration for Linux: see README.md.
#
#   make              build the host-side programs
#   make deps         install the Debian packages everything needs
#   make kernel       build/linux = 6.12 + kernel/patches, built into build/kobj
#   make kernel-export  turn build/linux's commits back into kernel/patches
#   make check        everything, then every test, host and VM
#   make demo         boot the patched kernel and show it at work
#   make bench        figures: bind cost, dump throughput, CLI memory
#   make install      pasidctl, man pages, completion, unit, udev rule (PREFIX, DESTDIR)

BUILD ?= $(CURDIR)/build
export BUILD
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra
KTREE := $(BUILD)/linux

# Debian packages needed to build and test (make deps). udev brings the
# hwdb file that pasidctl reads vendor and model names from.
DEB_DEPS := linux-source-6.12 qemu-system-x86 build-essential flex bison bc \
	libelf-dev libssl-dev ccache cpio kmod python3 python3-yaml \
	python3-jsonschema libnl-3-dev libnl-genl-3-dev libudev-dev \
	libjson-c-dev pkg-config iproute2 util-linux binutils perl \
	python3-ply python3-git jq groff-base bash-completion udev \
	sparse gcc-aarch64-linux-gnu clang-14 libclang-rt-14-dev

SELFTESTS := $(BUILD)/tests/iommu_sva_mock
TOOLS := $(BUILD)/tests/svamock-bind $(BUILD)/tests/svamock-mass \
	$(BUILD)/tests/svamock-churn $(BUILD)/tests/nl-dump-shim.so

.PHONY: all deps ensure-deps kernel kernel-export kernel-each tests check demo bench clean distclean install install-files san fuzz fuzz-long

# pasidctl, the CLI: C with libnl-genl-3, libudev and json-c.
CLI_LIBS := libnl-genl-3.0 libudev json-c
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(patsubst cli/%.c,$(BUILD)/cli/%.o,$(CLI_SRC))
CLI_CFLAGS = $(CFLAGS) $(WARN) -Wshadow -Wformat=2 -std=gnu11 -D_GNU_SOURCE \
	-Iinclude/linux -Icli $(shell pkg-config --cflags $(CLI_LIBS) 2>/dev/null)
CLI_LDLIBS = $(shell pkg-config --libs $(CLI_LIBS) 2>/dev/null)
PASIDCTL := $(BUILD)/pasidctl

all: $(BUILD)/vminit $(PASIDCTL) $(BUILD)/pasidctl-unit

$(BUILD)/cli/%.o: cli/%.c cli/pasidctl.h include/linux/iommu_pasid.h
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -c -o $@ $<

$(PASIDCTL): $(CLI_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(CLI_LDLIBS)

# Host unit tests of the parsers and printers: everything but main().
$(BUILD)/pasidctl-unit: tests/host/pasidctl-unit.c tests/fuzz/fake.c tests/fuzz/fake.h \
		$(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
	$(CC) $(CLI_CFLAGS) -Itests/fuzz -o $@ $(filter-out %.h,$^) $(CLI_LDLIBS)

# The same programs built with AddressSanitizer, UndefinedBehaviorSanitizer
# and LeakSanitizer (make check runs the host tests and the KASAN VM's
# end-to-end test against them); tests/san/options.c makes a report exit 98
# or 99, which no pasidctl outcome does.
SAN := $(BUILD)/asan
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
SAN_OBJ := $(patsubst cli/%.c,$(SAN)/cli/%.o,$(CLI_SRC))

$(SAN)/cli/%.o: cli/%.c cli/pasidctl.h include/linux/iommu_pasid.h Makefile
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(SAN)/pasidctl: $(SAN_OBJ) tests/san/options.c
	$(CC) $(CLI_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(CLI_LDLIBS)

$(SAN)/pasidctl-unit: tests/host/pasidctl-unit.c tests/san/options.c tests/fuzz/fake.c \
		tests/fuzz/fake.h $(filter-out $(SAN)/cli/main.o,$(SAN_OBJ))
	$(CC) $(CLI_CFLAGS) -Itests/fuzz $(SAN_FLAGS) -o $@ $(filter-out %.h,$^) $(CLI_LDLIBS)

san: $(SAN)/pasidctl $(SAN)/pasidctl-unit

# libFuzzer harnesses (tests/fuzz), built with clang, ASan and UBSan, over
# pasidctl's own code: parsers, batch lines, apply files, kernel messages.
# make check runs each over its committed corpus and then for FUZZ_SECONDS
# (default 15); "make fuzz-long FUZZ_SECONDS=3600" runs longer, growing the
# corpus in build/fuzz/corpus.
CLANG ?= clang-14
FUZZ := $(BUILD)/fuzz
FUZZERS := parse batch apply nl
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
FUZZ_OBJ := $(patsubst cli/%.c,$(FUZZ)/cli/%.o,$(filter-out cli/main.c,$(CLI_SRC))) \
	$(FUZZ)/fake.o

$(FUZZ)/cli/%.o: cli/%.c cli/pasidctl.h include/linux/iommu_pasid.h Makefile
	@mkdir -p $(@D)
	$(CLANG) $(CLI_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ)/fake.o: tests/fuzz/fake.c tests/fuzz/fake.h cli/pasidctl.h
	@mkdir -p $(@D)
	$(CLANG) $(CLI_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fake.h $(FUZZ_OBJ)
	$(CLANG) $(CLI_CFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_OBJ) $(CLI_LDLIBS)

fuzz: $(addprefix $(FUZZ)/fuzz_,$(FUZZERS))

fuzz-long: fuzz
	tests/fuzz/run.sh $(FUZZ) $${FUZZ_SECONDS:-600} long

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d

install: $(PASIDCTL)
	$(MAKE) --no-print-directory install-files

# Installs what is built, without building: the CLI test installs the very
# binary it tests (a sanitizer build too) with PASIDCTL=.
install-files:
	install -D -m 0755 $(PASIDCTL) $(DESTDIR)$(SBINDIR)/pasidctl
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/pasidctl/schema
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 cli/bash-completion/pasidctl \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/pasidctl
	install -m 0644 cli/schema/*.json $(DESTDIR)$(DATADIR)/pasidctl/schema/
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' cli/pasidctl-apply.service.in \
		| install -D -m 0644 /dev/stdin $(DESTDIR)$(UNITDIR)/pasidctl-apply.service
	install -D -m 0644 cli/60-pasidctl.rules $(DESTDIR)$(UDEVRULESDIR)/60-pasidctl.rules

$(BUILD)/vminit: tests/vm/vminit.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_DEPS)

# Install the packages only when one is missing, so that make check and
# make demo work on a fresh machine and cost nothing on a prepared one.
ensure-deps:
	@missing=; for p in $(DEB_DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing missing packages:$$missing"; \
		$(MAKE) --no-print-directory deps; \
	fi

kernel: ensure-deps
	kernel/tree.sh build

kernel-export:
	kernel/tree.sh export

# Every patch of the series builds on its own, W=1 clean, for three
# configurations (kernel/tree.sh each): the test kernel's (drivers/iommu/,
# plus sparse on the series' C files), x86_64 with the IOMMU API but no SVA
# (a whole vmlinux), arm64 defconfig with SMMUv3 SVA and uacce (drivers/iommu/
# and drivers/misc/uacce/). EACH_CONFIGS="x86 nosva arm64" picks some,
# EACH_KEEP_GOING=1 lists every failure instead of stopping at the first, JOBS
# sets make's -j.
kernel-each: ensure-deps
	kernel/tree.sh each

# Benchmark helpers (make bench); built by make check too, so they stay sound.
BENCH := $(BUILD)/bench/maxrss $(BUILD)/bench/nl-dump $(BUILD)/bench/bind-bench \
	$(BUILD)/bench/cli-dump $(BUILD)/bench/nl-kcost $(BUILD)/bench/bond-mem

# pasidctl's own cost over a bare receive loop, on the host: the real code
# fed an mm-get dump through the fuzzers' fake socket.
$(BUILD)/bench/cli-dump: tests/bench/cli-dump.c tests/fuzz/fake.c tests/fuzz/fake.h \
		$(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -Itests/fuzz -o $@ tests/bench/cli-dump.c tests/fuzz/fake.c \
		$(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ)) $(CLI_LDLIBS)

# The selftests live in the series; build them from the patched tree.
tests: $(SELFTESTS) $(TOOLS) $(BENCH)


$(BUILD)/bench/maxrss: tests/bench/maxrss.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

$(BUILD)/bench/nl-dump: tests/bench/nl-dump.c include/linux/iommu_pasid.h
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -o $@ $< $(CLI_LDLIBS)

$(BUILD)/bench/nl-kcost: tests/bench/nl-kcost.c include/linux/iommu_pasid.h
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -o $@ $< $(CLI_LDLIBS)

$(BUILD)/bench/bond-mem: tests/bench/bond-mem.c $(KTREE)/drivers/iommu/iommu-sva-mock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I$(KTREE)/drivers/iommu -o $@ $<

$(BUILD)/bench/bind-bench: tests/bench/bind-bench.c $(KTREE)/drivers/iommu/iommu-sva-mock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I$(KTREE)/drivers/iommu -o $@ $<

$(BUILD)/tests/%: $(KTREE)/tools/testing/selftests/iommu/%.c $(KTREE)/drivers/iommu/iommu-sva-mock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -I$(KTREE)/tools/testing/selftests -o $@ $<

$(BUILD)/tests/svamock-%: tests/vm/svamock-%.c $(KTREE)/drivers/iommu/iommu-sva-mock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I$(KTREE)/drivers/iommu -o $@ $<

# The stress test watches (and forces) interrupted dumps in pasidctl with it.
$(BUILD)/tests/nl-dump-shim.so: tests/vm/nl-dump-shim.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -shared -fPIC -o $@ $< -ldl

check: ensure-deps
	$(MAKE) --no-print-directory kernel
	$(MAKE) --no-print-directory all tests san fuzz
	tests/check.sh

demo: ensure-deps
	$(MAKE) --no-print-directory kernel
	$(MAKE) --no-print-directory all tests
	tests/vm/run bash tests/vm/demo.sh $(BUILD)

# Figures, not a test (tests/bench/run.sh): what the series costs the kernel
# against 6.12 with the mock only (bind+unbind global and local, with and
# without a monitor listening; slab memory per bond; pool allocation under
# 1,024 reservations; the kernel's time for dumps and for a dev-get do), on
# two kernels without the test kernel's debugging booted in turn; then the
# CLI's dump throughput and peak memory against a bare libnl loop and cli.py;
# one table of every figure and its goal. Takes about an hour under TCG.
bench: ensure-deps
	kernel/tree.sh bench
	$(MAKE) --no-print-directory kernel
	$(MAKE) --no-print-directory all tests
	tests/bench/run.sh $(BUILD)

# clean keeps the kernel trees and objects (build/linux, kobj*, the bench
# kernels), which take long to make again; distclean removes all of build/.
clean:
	rm -rf $(BUILD)/cli $(BUILD)/bench $(PASIDCTL) $(BUILD)/pasidctl-unit $(BUILD)/vminit $(BUILD)/tests $(BUILD)/results $(BUILD)/vm \
		$(SAN) $(FUZZ)

distclean: clean
	rm -rf $(BUILD)
