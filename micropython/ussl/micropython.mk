# micropython.mk - adds ussl (the `tls` and `ussl` modules) to a make-based
# MicroPython port as a user C module.  See docs/micropython.md.
#
#   make USER_C_MODULES=/path/to/ussl/micropython \
#        MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0 [USSL_MBEDTLS=system]
#
# USSL_MBEDTLS=bundled (default): compile MicroPython's lib/mbedtls here,
#   with micropython/ussl/ussl_mbedtls_config.h (which includes the port's own
#   mbedtls/mbedtls_config_port.h for its platform hooks).
# USSL_MBEDTLS=system: link the host's mbedTLS (-lmbedtls -lmbedx509
#   -lmbedcrypto, 2.28 or 3.x) with its own configuration; unix port only.
# The others apply to the bundled build (see ussl_mbedtls_config.h) and
# change structure layouts: use a fresh build directory when changing them.
# USSL_TLS13=1: TLS 1.3 as well as 1.2 (default 0: TLS 1.2 only, as the
#   stock module; less RAM per connection).
# USSL_SMALL_RECORDS=1: variable buffer lengths; with a client's
#   max_fragment_length the buffers shrink to it after the handshake, but
#   only peers that honour that request (or never send records over 4 KB)
#   can then be talked to.
# USSL_USE_PSA=0: TLS 1.2 record keys in mbedTLS's cipher contexts instead
#   of PSA key slots: about 1.6 KB more RAM per connection, no slot limit,
#   and (without TLS 1.3) no PSA code, about 20 KB less flash.
# USSL_PSA_KEY_SLOTS=N: PSA key slots (default 32; 2 per TLS 1.2
#   connection, see ussl_mbedtls_config.h).
# USSL_SEED_MODULE=0: leave out the `ussl` module (the seed API), keeping
#   only `tls`, for ports short of flash.

USSL_MP_DIR := $(USERMOD_DIR)
USSL_ROOT := $(abspath $(USSL_MP_DIR)/../..)
USSL_MBEDTLS ?= bundled
USSL_TLS13 ?= 0
USSL_SMALL_RECORDS ?= 0
USSL_USE_PSA ?= 1
USSL_PSA_KEY_SLOTS ?=
USSL_SEED_MODULE ?= 1

# The binding (scanned for qstrs).
SRC_USERMOD_C += $(addprefix $(USSL_MP_DIR)/,\
	mod_tls.c \
	sslsocket.c \
	errors.c \
	)
ifeq ($(USSL_SEED_MODULE),1)
SRC_USERMOD_C += $(USSL_MP_DIR)/mod_ussl.c
endif

# The C core: no POSIX adapters (ussl_fd.c, ussl_file.c) here.
USSL_CORE_C := $(addprefix $(USSL_ROOT)/src/,\
	ctx.c \
	conn.c \
	error.c \
	der.c \
	verify.c \
	verify_cert.c \
	verify_names.c \
	verify_nc.c \
	verify_profile.c \
	engine_mbedtls.c \
	mbedtls_x509.c \
	mbedtls_session.c \
	session.c \
	session_cache.c \
	session_leaf.c \
	)
SRC_USERMOD_LIB_C += $(USSL_CORE_C) $(USSL_MP_DIR)/mbedtls_glue.c

CFLAGS_USERMOD += -I$(USSL_ROOT)/include -I$(USSL_MP_DIR) -DUSSL_STATIC

# The core allocates through mbedTLS's allocator, so it lands wherever the
# port puts mbedTLS (the MicroPython heap via m_tracked_calloc on ports
# that do that, else libc).
$(addprefix $(BUILD)/,$(USSL_CORE_C:.c=.o)): CFLAGS += -include $(USSL_MP_DIR)/ussl_mp_alloc.h

ifeq ($(USSL_MBEDTLS),system)
LIBS_USERMOD += -lmbedtls -lmbedx509 -lmbedcrypto
else ifeq ($(USSL_MBEDTLS),bundled)
USSL_MBEDTLS_DIR := lib/mbedtls
CFLAGS_USERMOD += -I$(TOP)/$(USSL_MBEDTLS_DIR)/include \
	-DMBEDTLS_CONFIG_FILE='"ussl_mbedtls_config.h"' \
	-DUSSL_MP_TLS13=$(USSL_TLS13) \
	-DUSSL_MP_SMALL_RECORDS=$(USSL_SMALL_RECORDS) \
	-DUSSL_MP_USE_PSA=$(USSL_USE_PSA)
ifneq ($(USSL_PSA_KEY_SLOTS),)
CFLAGS_USERMOD += -DMBEDTLS_PSA_KEY_SLOT_COUNT=$(USSL_PSA_KEY_SLOTS)
endif
# Every library source; those the configuration does not enable compile
# to nothing.  Paths are relative to $(TOP), like the port's own.
SRC_USERMOD_LIB_C += $(patsubst $(TOP)/%,%,\
	$(wildcard $(TOP)/$(USSL_MBEDTLS_DIR)/library/*.c))
# The port's time hooks, if it keeps them in mbedtls/mbedtls_port.c
# (stm32, mimxrt, renesas-ra, alif); they are built only for the stock
# module otherwise.
USSL_PORT_GLUE := $(wildcard mbedtls/mbedtls_port.c)
SRC_USERMOD_LIB_C += $(USSL_PORT_GLUE)
$(addprefix $(BUILD)/,$(USSL_PORT_GLUE:.c=.o)): CFLAGS += -DMICROPY_SSL_MBEDTLS=1
else
$(error USSL_MBEDTLS must be "bundled" or "system")
endif
