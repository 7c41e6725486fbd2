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

BUILD ?= $(CURDIR)/build
export BUILD
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra
KTREE := $(BUILD)/linux

# Debian packages needed to build and test (make deps).
DEB_DEPS := linux-source-6.12 qemu-system-x86 build-essential flex bison bc \
	libelf-dev libssl-dev ccache cpio kmod python3 python3-yaml \
	python3-jsonschema libnl-3-dev libnl-genl-3-dev libudev-dev \
	libjson-c-dev pkg-config iproute2 util-linux binutils perl \
	python3-ply python3-git

SELFTESTS := $(BUILD)/tests/iommu_sva_mock
TOOLS := $(BUILD)/tests/svamock-bind $(BUILD)/tests/svamock-mass

.PHONY: all deps ensure-deps kernel kernel-export tests check demo clean

all: $(BUILD)/vminit

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

# The selftests live in the series; build them from the patched tree.
tests: $(SELFTESTS) $(TOOLS)

$(BUILD)/tests/%: $(KTREE)/tools/testing/selftests/iommu/%.c $(KTREE)/drivers/iommu/iommu-sva-mock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -I$(KTREE)/tools/testing/selftests -o $@ $<

$(BUILD)/tests/svamock-%: tests/vm/svamock-%.c $(KTREE)/drivers/iommu/iommu-sva-mock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I$(KTREE)/drivers/iommu -o $@ $<

check: ensure-deps
	$(MAKE) --no-print-directory kernel
	$(MAKE) --no-print-directory all tests
	tests/check.sh

demo: ensure-deps
	$(MAKE) --no-print-directory kernel
	$(MAKE) --no-print-directory all tests
	tests/vm/run bash tests/vm/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD)/vminit $(BUILD)/tests $(BUILD)/results $(BUILD)/vm
