# Callbox: the two commands a newcomer needs are `make run` and `make test`.
# Everything they need is installed here, once, behind stamp files.

PYTHON      ?= python3.11
VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(VENV)/bin/pip
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages the appliance and its tests use (real peers, not mocks).
SYSTEM_PACKAGES := kamailio kamailio-sqlite-modules kamailio-utils-modules sqlite3 espeak-ng sox \
	sip-tester baresip baresip-core tshark libpri-dev \
	iproute2 util-linux bind9-dnsutils gcc python3-dev python3-venv chromium \
	libspandsp2 libspandsp-dev tzdata sipvicious \
	openssl fdisk bmap-tools rauc squashfs-tools

# Only `make image` / `make image-test` need these (docs/image.md).
IMAGE_PACKAGES := mmdebstrap squashfs-tools-ng dosfstools mtools e2fsprogs
IMAGE_TEST_PACKAGES := qemu-system-x86 qemu-utils ovmf

ACD_SOURCES := $(shell find acd_core -name '*.py' -o -name '*.pxd' 2>/dev/null)

# libopenr2, the far end of the R2 tests: Debian's runtime and headers unpacked,
# not installed (the package depends on dahdi, which pulls a kernel-module build).
OPENR2_DIR  := .cache/openr2
OPENR2_DEBS := libopenr2-3 libopenr2-dev

.PHONY: run test bench build deps system-deps openr2 clean help image image-test

help:
	@echo "make run    set up and start the appliance (simulated card, web UI on http://127.0.0.1:8080)"
	@echo "make test   set up, type-check (make typecheck) and run the whole test suite"
	@echo "make bench  run the benchmarks (compiled build)"
	@echo "make image  build the disk image, its bmap, a signed RAUC bundle (build/; docs/image.md)"
	@echo "make image-test  boot the image in qemu: health, update, rollback, watchdog (long)"

.stamp-system: Makefile
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@touch $@

$(VENV)/.stamp: pyproject.toml .stamp-system
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	CALLBOX_EDITABLE_ONLY=1 $(PIP) install -q -e '.[test]'
	@touch $@

# -g0: the modules' debug information cost three quarters of the compile time (33 s
# against 9 s on 2 cores) and the same code is generated without it.
.stamp-build: $(VENV)/.stamp setup.py $(ACD_SOURCES)
	CFLAGS="$${CFLAGS:-} -g0" CALLBOX_REQUIRE_CYTHON=$${CALLBOX_REQUIRE_CYTHON:-1} \
	  $(PY) setup.py -q build_ext --inplace -j 2
	@touch $@

deps: $(VENV)/.stamp
build: .stamp-build

$(OPENR2_DIR)/.stamp: Makefile
	rm -rf $(OPENR2_DIR) && mkdir -p $(OPENR2_DIR)/debs
	cd $(OPENR2_DIR)/debs && { apt-get download $(OPENR2_DEBS) 2>/dev/null \
	  || { $(SUDO) apt-get update -q && apt-get download $(OPENR2_DEBS); }; }
	for deb in $(OPENR2_DIR)/debs/*.deb; do dpkg-deb -x $$deb $(OPENR2_DIR)/root; done
	@ls $(OPENR2_DIR)/root/usr/lib/*/libopenr2.so.3 >/dev/null
	@touch $@

openr2: $(OPENR2_DIR)/.stamp

# mypy over firmware, webui, acd_core and drivers with the settings of [tool.mypy]
# in pyproject.toml (docs/style.md, "Types"); mypy and the stub packages come with
# the test extra. A type error fails `make test` before any test runs.
.PHONY: typecheck
typecheck: deps
	$(PY) -m mypy
test: typecheck      # a prerequisite of make test (its recipe is below)

run: build
	$(VENV)/bin/callbox run

# The suite runs inside a private network namespace when the kernel allows it
# (root or unprivileged user namespaces); every networked test also uses random
# high ports, so nothing binds a well-known port of the host either way.
# Benchmarks run here once each with timing disabled (a correctness check); their
# figures come from `make bench`. The suite spends most of its time waiting on real
# processes (calls, timers of Kamailio and the nodes), not computing, so it runs in
# TEST_WORKERS pytest-xdist workers; --dist worksteal lets a worker that ran out take
# tests queued on a busy one, so a 40 s call test dealt late does not end the run alone
# (2,863 tests on 2 cores: 6.0-6.5 min with xdist's default, 5.7 min with worksteal);
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 4
test: build openr2
	CALLBOX_REQUIRE_CYTHON=1 tests/netns-run $(VENV)/bin/pytest --benchmark-disable -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: build
	tests/netns-run $(VENV)/bin/pytest tests/benchmarks --benchmark-only --benchmark-columns=min,mean,ops -p no:randomly $(PYTEST_ARGS)

# The appliance image (docs/image.md): build/callbox.img, .bmap, a signed RAUC bundle
# and signed SHA256SUMS. IMAGE_KEY/IMAGE_CERT sign it (default: a development key made
# on the first build in image/keys/, which git ignores). SOURCE_DATE_EPOCH: see the doc.
.stamp-image-tools: Makefile
	@missing=""; for p in $(IMAGE_PACKAGES) $(IMAGE_TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing image tools:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@touch $@

image: deps .stamp-image-tools
	$(SUDO) $(PY) -m image.build

image-test: deps .stamp-image-tools
	$(PY) -m image.qemu_test

clean:
	rm -rf build .stamp-build
	find acd_core -name '*.c' -delete -o -name '*.so' -delete
