# Makefile - the front door: configures and drives CMake build trees.
#
#   make                     build/          (bundled mbedTLS 3.6)
#   make USSL_MBEDTLS=system build-system/   (Debian's mbedTLS 2.28)
#   make ENGINE=openssl      build-openssl/
#   make check               deps, then build + ctest in build/, build-system/, build-openssl/
#                            and the sanitizer tree build-asan/, then fuzz-smoke
#   make check-one           build + ctest of the selected tree only
#   make check-asan          build-asan/: ASan + UBSan (gcc), mbedTLS included
#   make check-asan-openssl  build-asan-openssl/: the C tests on the OpenSSL
#                            engine (its own record layer) under ASan + UBSan
#   make check-micropython   MicroPython builds and tests (build-micropython/)
#   make check-valgrind      build/'s tests with C programs and usslcat under
#                            valgrind (VALGRIND=all: Python processes too)
#   make install             build, then install (PREFIX, DESTDIR, LIBDIR)
#   make uninstall           remove what the last install put there
#   make deps | demo | bench | bench-smoke | clean
#
# Variables: JOBS (default 2), BUILD_TYPE, CMAKE_ARGS, CTEST_ARGS;
# install: PREFIX (default /usr/local), LIBDIR (default: GNUInstallDirs'
# choice, lib or lib/<multiarch> under /usr on Debian), DESTDIR.

USSL_MBEDTLS ?= bundled
ENGINE       ?= mbedtls
JOBS         ?= 2
BUILD_TYPE   ?= RelWithDebInfo
CMAKE        ?= cmake
CTEST        ?= ctest
CMAKE_ARGS   ?=
CTEST_ARGS   ?=
VALGRIND     ?= 1
TEST_TIMEOUT ?= 300
, := ,
MAKEFLAGS += --no-print-directory

ifeq ($(ENGINE),openssl)
BUILD_DIR ?= build-openssl
else ifeq ($(USSL_MBEDTLS),system)
BUILD_DIR ?= build-system
else
BUILD_DIR ?= build
endif

# apt packages the builds and tests use.
DEB_PACKAGES := cmake gcc make python3-dev dpkg-dev debian-archive-keyring \
                libmbedtls-dev libssl-dev openssl gnutls-bin valgrind clang \
                libclang-rt-14-dev gnuplot-nox nginx-light mandoc \
                $(shell cat deps/micropython-packages.txt 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

CTEST_RUN = $(CTEST) --output-on-failure -j$(JOBS) --no-tests=error --no-label-summary $(CTEST_ARGS)

# configure DIR EXTRA-CMAKE-ARGS: (re)configure every time, so that the
# variables given to make always reach the cache; it takes about a second
# and rebuilds nothing that has not changed.
configure = $(CMAKE) -S . -B $(1) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(2) $(CMAKE_ARGS)

.PHONY: all build deps check check-one check-bundled check-system check-openssl check-asan \
        check-asan-openssl \
        check-valgrind demo bench clean

all: build

build:
	$(call configure,$(BUILD_DIR),-DUSSL_ENGINE=$(ENGINE) -DUSSL_MBEDTLS=$(USSL_MBEDTLS) -DUSSL_TEST_TIMEOUT=$(TEST_TIMEOUT))
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || \
	        missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "== installing:$$missing"; \
	    $(SUDO) apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

check-one: build
	cd $(BUILD_DIR) && $(CTEST_RUN)

check-bundled:
	$(MAKE) --no-print-directory check-one ENGINE=mbedtls USSL_MBEDTLS=bundled BUILD_DIR=build

check-system:
	$(MAKE) --no-print-directory check-one ENGINE=mbedtls USSL_MBEDTLS=system BUILD_DIR=build-system

# gcc: its libasan.so can be preloaded into the (uninstrumented) python3.
check-asan:
	$(call configure,build-asan,-DCMAKE_C_COMPILER=gcc -DUSSL_SANITIZE=address$(,)undefined -DUSSL_MBEDTLS=bundled -DUSSL_TEST_TIMEOUT=$(TEST_TIMEOUT))
	$(CMAKE) --build build-asan -j$(JOBS)
	cd build-asan && $(CTEST_RUN)

# The OpenSSL engine's C tests under the sanitizers: its record layer for
# parked connections (src/openssl_record.c) is ours, so it is held to the
# same checks as the rest of the core.
check-asan-openssl:
	$(call configure,build-asan-openssl,-DCMAKE_C_COMPILER=gcc -DUSSL_SANITIZE=address$(,)undefined -DUSSL_ENGINE=openssl -DUSSL_TEST_TIMEOUT=$(TEST_TIMEOUT))
	$(CMAKE) --build build-asan-openssl -j$(JOBS)
	cd build-asan-openssl && $(CTEST_RUN) -L '^c$$'

# Valgrind is 10-50x slower: the per-test limit goes up (for this run; the
# next plain `make` puts it back).
check-valgrind:
	$(MAKE) --no-print-directory build TEST_TIMEOUT=3600
	cd $(BUILD_DIR) && USSL_VALGRIND=$(VALGRIND) $(CTEST_RUN)

# CI entry point: every pass, stopping at the first failure.
check-openssl:
	$(MAKE) --no-print-directory check-one ENGINE=openssl BUILD_DIR=build-openssl

check: deps
	$(MAKE) --no-print-directory check-bundled
	$(MAKE) --no-print-directory check-system
	$(MAKE) --no-print-directory check-openssl
	$(MAKE) --no-print-directory check-asan
	$(MAKE) --no-print-directory check-asan-openssl
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory check-micropython

# MicroPython (docs/micropython.md): Debian's MicroPython source with the
# module, the unix port and firmware under QEMU; build-micropython/.
.PHONY: check-micropython bench-micropython
check-micropython: deps
	bash scripts/micropython/check.sh

# Ours and the stock module side by side (scripts/micropython/bench.sh):
# RAM per connection and handshake peak on the unix port, and the
# firmware under QEMU (flash, static RAM, instructions per handshake).
bench-micropython: deps
	bash scripts/micropython/bench.sh

# Install (cmake/UsslInstall.cmake says what goes where).  The manifest of
# the last install, DESTDIR included, is $(BUILD_DIR)/install_manifest.txt.
PREFIX ?= /usr/local
LIBDIR ?=
.PHONY: install uninstall
install: build
	$(call configure,$(BUILD_DIR),-DCMAKE_INSTALL_PREFIX=$(PREFIX) $(if $(LIBDIR),-DCMAKE_INSTALL_LIBDIR=$(LIBDIR),-UCMAKE_INSTALL_LIBDIR)) >/dev/null
	DESTDIR="$(DESTDIR)" $(CMAKE) --install $(BUILD_DIR)

uninstall:
	@test -f $(BUILD_DIR)/install_manifest.txt || \
	    { echo "uninstall: no $(BUILD_DIR)/install_manifest.txt (nothing installed from this tree)"; exit 1; }
	@while IFS= read -r f || [ -n "$$f" ]; do \
	    if [ -e "$$f" ] || [ -L "$$f" ]; then rm -f "$$f" && echo "removed $$f"; fi; \
	done < $(BUILD_DIR)/install_manifest.txt
	@rm -f $(BUILD_DIR)/install_manifest.txt

demo: deps build
	bash scripts/demo.sh $(BUILD_DIR)

# Benchmarks (docs/performance.md): builds the bundled-mbedTLS and OpenSSL
# trees, then one interleaved run of every implementation and one table
# (bench/out/table.txt, bench/out/results.json, docs/bench.png).
# BENCH_ARGS goes to bench/bench.py, e.g. "--rounds 3 --seconds 1 --mbytes 32";
# bench-smoke runs everything once with tiny sizes (under a minute).
BENCH_MBEDTLS_DIR ?= build
BENCH_OPENSSL_DIR ?= build-openssl
BENCH_ARGS        ?=
.PHONY: bench-smoke
bench bench-smoke: deps
	$(MAKE) --no-print-directory build ENGINE=mbedtls USSL_MBEDTLS=bundled BUILD_DIR=$(BENCH_MBEDTLS_DIR)
	$(MAKE) --no-print-directory build ENGINE=openssl BUILD_DIR=$(BENCH_OPENSSL_DIR)
	bash bench/run.sh $(if $(filter bench-smoke,$@),--quick) $(BENCH_ARGS) \
	    $(BENCH_MBEDTLS_DIR) $(BENCH_OPENSSL_DIR)

clean:
	rm -rf build build-system build-openssl build-asan build-asan-openssl build-micropython


# Fuzzing (fuzz/): clang libFuzzer + ASan/UBSan over the mbedTLS engine,
# in $(FUZZ_DIR).  `fuzz` runs each fuzzer FUZZ_SECONDS, `fuzz-smoke` ~10 s
# (part of `make check`: about a minute, plus the clang build of mbedTLS
# the first time; build.sh takes the sources check-bundled unpacked).
FUZZ_DIR     ?= build-fuzz
FUZZ_SECONDS ?= 300
.PHONY: fuzz fuzz-smoke
fuzz:
	JOBS=$(JOBS) bash fuzz/build.sh $(FUZZ_DIR)
	bash fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)
fuzz-smoke:
	JOBS=$(JOBS) bash fuzz/build.sh $(FUZZ_DIR)
	bash fuzz/run.sh $(FUZZ_DIR) 10
