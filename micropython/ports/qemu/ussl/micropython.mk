# micropython.mk - the ussl module for the qemu firmware: the module's own
# micropython.mk (micropython/ussl), included from here so that one
# USER_C_MODULES directory (micropython/ports/qemu) brings the module and
# the port glue (qemuport/) together:
#
#   make -C ports/qemu BOARD=MPS2_AN385 USER_C_MODULES=<ussl>/micropython/ports/qemu
#
# USSL_MODULE=0 leaves the module out and keeps only the glue (firmware
# with the stock `tls` module, MICROPY_PY_SSL=1 MICROPY_SSL_MBEDTLS=1, or
# with no TLS at all).  See docs/micropython-firmware.md.
USSL_MODULE ?= 1
ifeq ($(USSL_MODULE),1)
USSL_QEMU_MODULE_DIR := $(abspath $(USERMOD_DIR)/../../../ussl)
USERMOD_DIR := $(USSL_QEMU_MODULE_DIR)
include $(USSL_QEMU_MODULE_DIR)/micropython.mk
endif
