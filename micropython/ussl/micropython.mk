# micropython.mk - adds ussl (the `tls`, `ssl` and `ussl` modules) to a make-based
# MicroPython port as a user C module.  See docs/micropython.md.
#
#   make USER_C_MODULES=/path/to/ussl/micropython MICROPY_PY_SSL=0 \
#        [USSL_MBEDTLS=system]
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
# USSL_VARIABLE_BUFFERS=1 (default): record buffers shrink after the
#   handshake (mbedTLS variable buffer lengths, with mbedtls_patch.py's
#   fixes of 3.6's sizing): the input buffer to the max_fragment_length
#   the server agreed to (full size if it ignored the request), the output
#   buffer to USSL_OUT_RECORD.  0: fixed 16 KB + 4 KB buffers.
# USSL_OUT_RECORD=N: with variable buffers, the largest record we send
#   once the handshake is over (default 256; 4096 = the handshake's).
# USSL_USE_PSA=1: TLS 1.2 record keys in PSA key slots instead of
#   mbedTLS's cipher contexts: about 1.6 KB less RAM per connection, but
#   about 20 KB more flash, 40 bytes of static RAM per slot and a fixed
#   ceiling of connections alive at once (USSL_PSA_KEY_SLOTS / 2, less
#   one per two contexts).  Default 0: no PSA code without TLS 1.3 and, as
#   with the stock module, as many connections as the heap holds.
# USSL_PSA_KEY_SLOTS=N: PSA key slots (default 32; 2 per TLS 1.2
#   connection, see ussl_mbedtls_config.h).
# USSL_SEED_MODULE=0: leave out the `ussl` module (the seed API), keeping
#   only `tls`, for ports short of flash.
# USSL_SESSION_CACHE=N: entries of a client SSLContext's automatic
#   session cache (default 16 on unix, 2 elsewhere; 0: none), see
#   ussl_mp.h.
# USSL_SSL_MODULE=0: leave out the `ssl` module (MicroPython's documented
#   ssl API over `tls`, for firmware without micropython-lib's ssl.py).

# USSL_PROFILE=small: the smallest firmware (TLS 1.2, ECDSA P-256 only,
#   see ussl_mbedtls_profile.h); leaves the `ussl` and `ssl` modules and
#   every feature below (DTLS too) out unless USSL_SEED_MODULE,
#   USSL_SSL_MODULE or the feature's own variable say otherwise.
# USSL_NIST_OPTIM=0: no fast NIST-prime reduction (about 2.7 KB less
#   flash on Cortex-M3, about ten times the instructions per handshake).
# USSL_CHACHA=0: no ChaCha20-Poly1305 suites (on by default, and preferred:
#   faster than software AES-GCM and 768 bytes less RAM per connection;
#   off in USSL_PROFILE=small unless asked for).  Chips with AES
#   instructions the port's mbedTLS uses may prefer USSL_CHACHA=0.

USSL_MP_DIR := $(USERMOD_DIR)
USSL_ROOT := $(abspath $(USSL_MP_DIR)/../..)
USSL_MBEDTLS ?= bundled
USSL_TLS13 ?= 0
USSL_VARIABLE_BUFFERS ?= 1
USSL_OUT_RECORD ?= 256
USSL_USE_PSA ?= 0
USSL_PSA_KEY_SLOTS ?=
USSL_PROFILE ?= default
USSL_NIST_OPTIM ?= 1
ifeq ($(USSL_PROFILE),small)
USSL_CHACHA ?= 0
USSL_SEED_MODULE ?= 0
USSL_SSL_MODULE ?= 0
# None of the features below either, unless asked for one by one.
USSL_FEATURES ?= stock
USSL_DTLS ?= 0
USSL_MP_PROFILE_SMALL := 1
else ifeq ($(USSL_PROFILE),default)
USSL_MP_PROFILE_SMALL := 0
else
$(error USSL_PROFILE must be "default" or "small")
endif

# Features beyond the stock module's, each 1 (default) or 0; 0 leaves out
# both the binding's code and the mbedTLS options it needs (see
# ussl_mbedtls_config.h; figures in docs/micropython.md):
# USSL_PSK=0: no pre-shared keys (SSLContext.psk_identity, psk_key,
#   server_psk_keys; mbedTLS's PSK and ECDHE-PSK key exchanges).
# USSL_SESSIONS=0: no session resumption (tls.SSLSession, wrap_socket's
#   session=, SSLSocket.session/session_reused, the client's session
#   cache and session_stats(), a server's session tickets).
# USSL_ALPN=0: no ALPN (set_alpn_protocols, selected_alpn_protocol).
# USSL_SIGNCB=0: no signing callbacks (ecdsa_sign_callback,
#   sign_callback, a chain loaded without its key).
# USSL_PEM=0: DER certificates and keys only (mbedTLS's PEM and base64
#   left out), as the stock module in MicroPython 1.26's configuration.
# USSL_DTLS=0: no DTLS (PROTOCOL_DTLS_CLIENT/SERVER), which the stock
#   module has on ports of the "extra features" level (ports/qemu).
# USSL_CHACHA=0: see above (the stock module has no ChaCha20 suites).
# USSL_FEATURES=stock: the stock module's feature set, i.e. all of the
#   above 0 except USSL_DTLS, and neither the `ussl` nor the `ssl`
#   module; variables given explicitly still win.
USSL_FEATURES ?= all
ifeq ($(USSL_FEATURES),stock)
USSL_FEATURE_DEFAULT := 0
USSL_SEED_MODULE ?= 0
USSL_SSL_MODULE ?= 0
else ifeq ($(USSL_FEATURES),all)
USSL_FEATURE_DEFAULT := 1
else
$(error USSL_FEATURES must be "all" or "stock")
endif
USSL_PSK ?= $(USSL_FEATURE_DEFAULT)
USSL_SESSIONS ?= $(USSL_FEATURE_DEFAULT)
USSL_ALPN ?= $(USSL_FEATURE_DEFAULT)
USSL_SIGNCB ?= $(USSL_FEATURE_DEFAULT)
USSL_PEM ?= $(USSL_FEATURE_DEFAULT)
USSL_DTLS ?= 1
USSL_CHACHA ?= $(USSL_FEATURE_DEFAULT)
USSL_SEED_MODULE ?= 1
USSL_SSL_MODULE ?= 1

# The binding (scanned for qstrs).
SRC_USERMOD_C += $(addprefix $(USSL_MP_DIR)/,\
	mod_tls.c \
	sslsocket.c \
	errors.c \
	)
ifeq ($(USSL_PSK),1)
SRC_USERMOD_C += $(USSL_MP_DIR)/mod_tls_psk.c
endif
ifneq ($(USSL_SESSIONS)$(USSL_ALPN),00)
SRC_USERMOD_C += $(USSL_MP_DIR)/sslsession.c
endif
ifeq ($(USSL_SIGNCB),1)
SRC_USERMOD_C += $(USSL_MP_DIR)/signcb.c
else
# The core then never wraps a key for a callback (mbedtls_sign.c).
CFLAGS_USERMOD += -DUSSL_NO_SIGN_CB
endif
ifeq ($(USSL_SEED_MODULE),1)
SRC_USERMOD_C += $(USSL_MP_DIR)/mod_ussl.c
endif
ifeq ($(USSL_SSL_MODULE),1)
SRC_USERMOD_C += $(USSL_MP_DIR)/mod_ssl.c
endif

# The C core: no POSIX adapters (ussl_fd.c, ussl_file.c) here.
USSL_CORE_C := $(addprefix $(USSL_ROOT)/src/,\
	ctx.c \
	conn.c \
	dtls.c \
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
	mbedtls_psk.c \
	psk.c \
	mbedtls_dtls.c \
	mbedtls_sign.c \
	sign.c \
	)
# Without sessions (USSL_SESSIONS=0) the core's session code is left out
# too: session_none.c has the hooks the rest of the core calls.
ifeq ($(USSL_SESSIONS),1)
USSL_CORE_C += $(addprefix $(USSL_ROOT)/src/,\
	session.c \
	session_cache.c \
	session_leaf.c \
	)
else
USSL_CORE_C += $(USSL_ROOT)/src/session_none.c
CFLAGS_USERMOD += -DUSSL_NO_SESSIONS
endif
SRC_USERMOD_LIB_C += $(USSL_CORE_C) $(USSL_MP_DIR)/mbedtls_glue.c

CFLAGS_USERMOD += -I$(USSL_ROOT)/include -I$(USSL_MP_DIR) -DUSSL_STATIC
# The feature switches, for the binding and the mbedTLS configuration.
CFLAGS_USERMOD += -DUSSL_MP_PSK=$(USSL_PSK) -DUSSL_MP_SESSIONS=$(USSL_SESSIONS) \
	-DUSSL_MP_ALPN=$(USSL_ALPN) -DUSSL_MP_SIGNCB=$(USSL_SIGNCB) \
	-DUSSL_MP_PEM=$(USSL_PEM) -DUSSL_MP_DTLS=$(USSL_DTLS)
# DTLS timers run on the port's millisecond clock (mbedtls_glue.c).
CFLAGS_USERMOD += -DUSSL_CLOCK_MS=ussl_mp_ticks_ms
ifneq ($(USSL_SESSION_CACHE),)
CFLAGS_USERMOD += -DUSSL_MP_SESSION_CACHE=$(USSL_SESSION_CACHE)
endif

# The core allocates through mbedTLS's allocator, so it lands wherever the
# port puts mbedTLS (the MicroPython heap via m_tracked_calloc on ports
# that do that, else libc).
$(addprefix $(BUILD)/,$(USSL_CORE_C:.c=.o)): CFLAGS += -include $(USSL_MP_DIR)/ussl_mp_alloc.h

ifeq ($(USSL_MBEDTLS),system)
# Libraries go after the objects: in LIBS_USERMOD, which MicroPython has
# from 1.27 on; 1.26 and older have only LDFLAGS_USERMOD, which their link
# line puts after the objects.  Tested for by name rather than by version
# number: py/py.mk says which it has.
ifneq ($(shell grep -c LIBS_USERMOD $(TOP)/py/py.mk 2>/dev/null),0)
LIBS_USERMOD += -lmbedtls -lmbedx509 -lmbedcrypto
else
LDFLAGS_USERMOD += -lmbedtls -lmbedx509 -lmbedcrypto
endif
else ifeq ($(USSL_MBEDTLS),bundled)
USSL_MBEDTLS_DIR := lib/mbedtls
# An empty lib/mbedtls (a source tarball without submodules, such as
# Debian's) would let the compiler find the host's mbedTLS headers
# instead and fail much later with unrelated errors.
ifeq ($(wildcard $(TOP)/$(USSL_MBEDTLS_DIR)/include/mbedtls/ssl.h),)
$(error ussl: $(TOP)/$(USSL_MBEDTLS_DIR) has no mbedTLS source; fill it (make submodules, or a copy of mbedTLS 3.6) or build with USSL_MBEDTLS=system)
endif
# The sign callback's key table is declared in library/pk_wrap.h.
$(BUILD)/$(USSL_ROOT)/src/mbedtls_sign.o: CFLAGS += \
	-I$(TOP)/$(USSL_MBEDTLS_DIR)/library
CFLAGS_USERMOD += -I$(TOP)/$(USSL_MBEDTLS_DIR)/include \
	-DMBEDTLS_CONFIG_FILE='"ussl_mbedtls_config.h"' \
	-DUSSL_MP_TLS13=$(USSL_TLS13) \
	-DUSSL_MP_USE_PSA=$(USSL_USE_PSA) \
	-DUSSL_MP_PROFILE_SMALL=$(USSL_MP_PROFILE_SMALL) \
	-DUSSL_MP_NIST_OPTIM=$(USSL_NIST_OPTIM) \
	-DUSSL_MP_CHACHA=$(USSL_CHACHA)
ifneq ($(USSL_PSA_KEY_SLOTS),)
CFLAGS_USERMOD += -DMBEDTLS_PSA_KEY_SLOT_COUNT=$(USSL_PSA_KEY_SLOTS)
endif
# Every library source; those the configuration does not enable compile
# to nothing.  Paths are relative to $(TOP), like the port's own.
USSL_MBEDTLS_LIB_C := $(patsubst $(TOP)/%,%,\
	$(wildcard $(TOP)/$(USSL_MBEDTLS_DIR)/library/*.c))
# Variable buffer lengths need two of them patched (mbedtls_patch.py,
# run when this makefile is read; it prints 0 and patches nothing when
# this mbedTLS differs, and the buffers then keep their size).
USSL_VARBUF := 0
ifeq ($(USSL_VARIABLE_BUFFERS),1)
USSL_PATCH_DIR := $(abspath $(BUILD))/ussl-mbedtls
USSL_VARBUF := $(shell python3 $(USSL_MP_DIR)/mbedtls_patch.py \
	$(TOP)/$(USSL_MBEDTLS_DIR)/library $(USSL_PATCH_DIR))
ifeq ($(USSL_VARBUF),1)
USSL_PATCHED_C := $(USSL_PATCH_DIR)/ssl_tls.c $(USSL_PATCH_DIR)/ssl_tls12_client.c
USSL_MBEDTLS_LIB_C := $(filter-out $(USSL_MBEDTLS_DIR)/library/ssl_tls.c \
	$(USSL_MBEDTLS_DIR)/library/ssl_tls12_client.c,$(USSL_MBEDTLS_LIB_C)) \
	$(USSL_PATCHED_C)
$(addprefix $(BUILD)/,$(USSL_PATCHED_C:.c=.o)): CFLAGS += -I$(TOP)/$(USSL_MBEDTLS_DIR)/library
else
$(warning ussl: mbedTLS in $(USSL_MBEDTLS_DIR) is not the 3.6 that mbedtls_patch.py knows: fixed-size record buffers)
endif
endif
CFLAGS_USERMOD += -DUSSL_MP_VARIABLE_BUFFERS=$(USSL_VARBUF) \
	-DUSSL_MP_OUT_RECORD=$(USSL_OUT_RECORD)
SRC_USERMOD_LIB_C += $(USSL_MBEDTLS_LIB_C)
# mbedTLS is part of this firmware (ours), whatever the make variable
# MICROPY_SSL_MBEDTLS says: the C macro of that name is what ports key
# their mbedTLS support on (MICROPY_TRACKED_ALLOC, which the port's
# mbedTLS allocator m_tracked_calloc needs, on stm32, mimxrt and
# renesas-ra; hashlib's and cryptolib's mbedTLS back ends).  Leaving it 0
# would switch the port's tracked allocation off as a side effect.  The
# stock module stays out through MICROPY_PY_SSL=0.
CFLAGS_USERMOD += -DMICROPY_SSL_MBEDTLS=1
# The port's time and entropy hooks, if it keeps them in
# mbedtls/mbedtls_port.c (stm32, mimxrt, renesas-ra, alif): its Makefile
# compiles that file itself when its MICROPY_SSL_MBEDTLS is 1, else we do.
ifneq ($(MICROPY_SSL_MBEDTLS),1)
USSL_PORT_GLUE := $(wildcard mbedtls/mbedtls_port.c)
SRC_USERMOD_LIB_C += $(USSL_PORT_GLUE)
endif
else
$(error USSL_MBEDTLS must be "bundled" or "system")
endif
