# fuzz.mk - compiles the libFuzzer targets; run through fuzz/build.sh,
# which finds the mbedTLS sources and passes B, MBEDTLS_SRC and MBEDTLS_LIB.
#
#   B            build directory (objects, fuzzers, the seed recorder)
#   MBEDTLS_SRC  an unpacked mbedTLS 3.6 tree (for its include/ and library/)
#   MBEDTLS_LIB  directory holding the library/*.c to compile (build.sh puts
#                links there, and the project's patched ssl_tls12_client.c)
#   MBEDTLS_COV  1: instrument mbedTLS for coverage too, so that the fuzzer
#                is guided by the parsers inside mbedTLS (slower per run)
#
# ussl's own sources get coverage instrumentation (fuzzer-no-link); mbedTLS
# only the sanitizers unless MBEDTLS_COV=1, and -O2: its bignum code under
# ASan is most of the time of every handshake.  Every object depends on the
# mbedTLS config header: a change there changes structure layouts.

CC       := clang
TOP      := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
CONFIG   := $(TOP)/deps/mbedtls_config.h
DEFS     := '-DMBEDTLS_CONFIG_FILE="$(CONFIG)"' -DUSSL_MBEDTLS_BUNDLED \
            -DUSSL_MBEDTLS_THREADING -DUSSL_MBEDTLS_FS_IO
CFLAGS   := -g -O1 -std=gnu11 $(DEFS) -I$(MBEDTLS_SRC)/include
# mbedTLS 3.6 calls memcmp(NULL, NULL, 0) on empty X.509 names
# (x509_name_cmp): undefined by the letter of C, harmless in practice, and
# upstream's, so that one check is off for mbedTLS (it stays on for ussl).
MB_SAN   := $(SAN) -fno-sanitize=nonnull-attribute
ifeq ($(MBEDTLS_COV),1)
MB_SAN   += -fsanitize=fuzzer-no-link
endif

# Separate objects per MBEDTLS_COV setting, so switching rebuilds nothing.
MB_DIR   := $(B)/obj/mbedtls$(if $(filter 1,$(MBEDTLS_COV)),-cov)
MB_A     := $(B)/libmbedtls-fuzz$(if $(filter 1,$(MBEDTLS_COV)),-cov).a
MB_C     := $(wildcard $(MBEDTLS_LIB)/*.c)
MB_O     := $(patsubst $(MBEDTLS_LIB)/%.c,$(MB_DIR)/%.o,$(MB_C))
# session_none.c stands in for the session files in builds without
# sessions (MicroPython USSL_SESSIONS=0), never beside them.
USSL_C   := $(filter-out $(TOP)/src/engine_openssl.c $(TOP)/src/openssl_%.c \
                $(TOP)/src/session_none.c,\
                $(wildcard $(TOP)/src/*.c))
USSL_O   := $(patsubst $(TOP)/src/%.c,$(B)/obj/ussl/%.o,$(USSL_C))
USSL_H   := $(wildcard $(TOP)/src/*.h) $(TOP)/include/ussl.h
FUZZERS  := $(basename $(notdir $(wildcard $(TOP)/fuzz/fuzz_*.c)))
BINS     := $(addprefix $(B)/,$(FUZZERS))

all: $(BINS) $(B)/mkseeds

$(MB_DIR)/%.o: $(MBEDTLS_LIB)/%.c $(CONFIG) $(TOP)/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O2 $(MB_SAN) -w -I$(MBEDTLS_SRC)/library -c $< -o $@

$(MB_A): $(MB_O)
	@echo "ar $@"; rm -f $@ && ar rcs $@ $^

$(B)/obj/ussl/%.o: $(TOP)/src/%.c $(USSL_H) $(CONFIG) $(TOP)/fuzz/fuzz.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -Wall -Wextra \
	    -DUSSL_ENGINE_MBEDTLS=1 -I$(TOP)/include -I$(TOP)/src -c $< -o $@

# The sign callback's key table is declared in mbedTLS's library/pk_wrap.h.
$(B)/obj/ussl/mbedtls_sign.o: CFLAGS += -I$(MBEDTLS_SRC)/library

FU_H     := $(TOP)/fuzz/fuzzutil.h $(TOP)/tests/c/memtransport.h \
            $(TOP)/include/ussl.h
FU_O     := $(B)/obj/fuzz/fuzzutil.o $(B)/obj/fuzz/memtransport.o

$(B)/obj/fuzz/%.o: $(TOP)/fuzz/%.c $(FU_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -Wall -Wextra \
	    '-DFUZZ_CERT_DIR="$(abspath $(B))/certs"' \
	    -I$(TOP)/include -I$(TOP)/tests/c -c $< -o $@

# The in-memory transport is the C tests' own.
$(B)/obj/fuzz/memtransport.o: $(TOP)/tests/c/memtransport.c $(FU_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -Wall -Wextra \
	    -I$(TOP)/include -I$(TOP)/tests/c -c $< -o $@

$(B)/fuzz_%: $(B)/obj/fuzz/fuzz_%.o $(FU_O) $(USSL_O) $(MB_A)
	$(CC) $(SAN) -fsanitize=fuzzer $^ -lpthread -o $@

# The seed recorder is an ordinary program (its own main), built from the
# same instrumented objects.
$(B)/mkseeds: $(B)/obj/fuzz/mkseeds.o $(FU_O) $(USSL_O) $(MB_A)
	$(CC) $(SAN) -fsanitize=fuzzer-no-link $^ -lpthread -o $@

.PHONY: all
.SECONDARY:
