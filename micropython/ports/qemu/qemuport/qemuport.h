/*
 * qemuport.h - what the qemu firmware's glue gives the rest of the
 * firmware: the machine's counters (qemuport_clock.c) and
 * mp_hal_get_random() (test_rng.c), which MicroPython 1.26 declares on
 * the unix and windows ports only.
 */
#ifndef USSL_QEMUPORT_H
#define USSL_QEMUPORT_H

#include <stddef.h>
#include <stdint.h>

/* A free-running counter, and how many guest instructions one tick is
   when QEMU runs with -icount shift=0 (one instruction per virtual
   nanosecond); without -icount the ticks follow the host's clock. */
uint64_t qemuport_ticks(void);
#if defined(QEMU_SOC_MPS2)
#define QEMUPORT_INSNS_PER_TICK 40	/* 25 MHz counter */
#elif defined(QEMU_SOC_VIRT)
#define QEMUPORT_INSNS_PER_TICK 1	/* minstret */
#endif

/* Unix time: USSL_QEMU_EPOCH (the build's time), or what
   qemuport_settime() was given, plus the seconds since then (virtual
   time).  A soft reset keeps it; a restart of the machine does not. */
int64_t qemuport_time(void);
void qemuport_settime(int64_t now);

/* n bytes from the TEST-ONLY generator of test_rng.c: NOT random. */
void mp_hal_get_random(size_t n, void *buf);
/* Restart that generator's sequence from seed. */
void qemuport_rng_seed(uint64_t seed);

#endif /* USSL_QEMUPORT_H */
