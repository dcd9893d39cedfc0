# micropython.mk - port-side glue for MicroPython's ports/qemu firmware
# (boards MPS2_AN385, Cortex-M3, and VIRT_RV32, RISC-V), a user C module.
# It gives the firmware what a TLS module needs and ports/qemu lacks:
#
#   mbedtls/mbedtls_config_port.h  the port's mbedTLS configuration (time
#                                  and entropy hooks, mbedTLS on the GC heap)
#   mbedtls_port.c                 time and entropy hooks for mbedTLS
#   test_rng.c                     mp_hal_get_random(): a TEST-ONLY PRNG,
#                                  these machines have no RNG (see there)
#   qemuport_clock.c, modqemuport.c  the machine's counters, and the
#                                  `qemuport` module (ticks, time)
#   atomic64.c                     64-bit atomic add for the core's
#                                  identities (no libatomic here)
#
# and MPS2_AN385's linker script (../mps2.ld: .data loaded where it runs,
# no unwind tables; the port's own can load .data 4 bytes off, see there).
#
# USSL_QEMU_EPOCH (default: the time of the build) is the Unix time the
# firmware's clock starts from; certificates are checked against it.

QEMUPORT_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(QEMUPORT_DIR)/modqemuport.c
SRC_USERMOD_LIB_C += $(addprefix $(QEMUPORT_DIR)/,\
	atomic64.c \
	qemuport_clock.c \
	test_rng.c \
	)

# mbedTLS's hooks, in a firmware with mbedTLS: with ussl (its
# micropython.mk is included unless USSL_MODULE=0, ../ussl) or with the
# stock module.
ifneq ($(USSL_MODULE),0)
QEMUPORT_MBEDTLS := 1
else ifeq ($(MICROPY_PY_SSL)$(MICROPY_SSL_MBEDTLS),11)
QEMUPORT_MBEDTLS := 1
endif
ifeq ($(QEMUPORT_MBEDTLS),1)
SRC_USERMOD_LIB_C += $(QEMUPORT_DIR)/mbedtls_port.c
endif

ifeq ($(USSL_QEMU_EPOCH),)
USSL_QEMU_EPOCH := $(shell date +%s)
endif

# mbedTLS allocates with m_tracked_calloc (mbedtls_config_port.h); the
# port turns tracked allocation on only with the stock module
# (MICROPY_SSL_MBEDTLS=1), so say it here for every firmware.
CFLAGS_USERMOD += -I$(QEMUPORT_DIR) -DMICROPY_TRACKED_ALLOC=1 \
	-DUSSL_QEMU_EPOCH=$(USSL_QEMU_EPOCH)

# Debian 12's riscv64-unknown-elf-gcc picks its rv32imac/ilp32 libraries
# (libgcc, picolibc) only for -march=rv32imac exactly: with the port's
# rv32imac_zicsr it links the 64-bit ones and fails.  Under ISA spec 2.2
# rv32imac includes Zicsr, which the port's CSR instructions need.
ifeq ($(QEMU_ARCH),riscv32)
RV32_ARCH := rv32imac
AFLAGS += -misa-spec=2.2
endif

# MPS2_AN385's linker script is ours (../mps2.ld); the RISC-V one
# (mcu/rv32/virt.ld) runs .data where QEMU loads it and needs nothing.  Other ARM boards are not built here.
ifeq ($(LDSCRIPT),mcu/arm/mps2.ld)
LDSCRIPT := $(abspath $(QEMUPORT_DIR)/../mps2.ld)
endif
