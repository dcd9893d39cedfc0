/*
 * mbedtls_config_port.h - the qemu firmware's mbedTLS configuration, in
 * the place and form of MicroPython's bare-metal ports (stm32, rp2, ...):
 * the stock module compiles mbedTLS with it (MBEDTLS_CONFIG_FILE), and
 * ussl's configuration (micropython/ussl/ussl_mbedtls_config.h) starts
 * from it.
 *
 * MicroPython's bare-metal settings: mbedTLS on the GC heap through
 * m_tracked_calloc/m_tracked_free, no libc entropy or time, entropy from
 * mbedtls_hardware_poll() (mbedtls_port.c: the TEST-ONLY generator of
 * test_rng.c on these machines).  Time from the firmware's clock
 * (qemuport_clock.c), through hooks in mbedtls_port.c, since the port
 * links no C library.
 */
#ifndef USSL_QEMU_MBEDTLS_CONFIG_PORT_H
#define USSL_QEMU_MBEDTLS_CONFIG_PORT_H

#include <time.h>

time_t qemuport_mbedtls_time(time_t *t);
#define MBEDTLS_PLATFORM_TIME_MACRO qemuport_mbedtls_time
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#define MBEDTLS_PLATFORM_GMTIME_R_ALT

/* Fast reduction modulo the NIST primes, as MicroPython's rp2 port has
   it: without it every P-256 field multiplication ends in a long
   division, and a handshake costs about 10x the instructions. */
#define MBEDTLS_ECP_NIST_OPTIM

#define MICROPY_MBEDTLS_CONFIG_BARE_METAL (1)

#include "extmod/mbedtls/mbedtls_config_common.h"

#endif /* USSL_QEMU_MBEDTLS_CONFIG_PORT_H */
