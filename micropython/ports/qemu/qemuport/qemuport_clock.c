/*
 * qemuport_clock.c - the counters of the emulated machines, for the
 * firmware's clock (certificate dates) and for counting instructions.
 *
 * MPS2_AN385 (QEMU mps2-an385): the FPGA I/O block at 0x40028000 counts
 * seconds since reset (CLK1HZ) and the 25 MHz system clock (COUNTER,
 * prescaler 0), both from QEMU's virtual clock; with -icount shift=0 a
 * virtual nanosecond is one instruction, so a COUNTER tick is 40.
 *
 * VIRT_RV32 (QEMU virt): minstret counts retired instructions (QEMU
 * derives it from the instruction counter under -icount, from the host's
 * clock otherwise); the CLINT's mtime counts at 10 MHz from reset.
 * Both give mp_hal_ticks_ms(), which ports/qemu does not have.
 */
#include <stdint.h>

#include "py/mphal.h"

#include "qemuport.h"

#ifndef USSL_QEMU_EPOCH
#error "USSL_QEMU_EPOCH (Unix time the clock starts from) is not set"
#endif

/* Unix time at reset: the build's time until qemuport.settime(). */
static int64_t epoch = USSL_QEMU_EPOCH;

static int64_t seconds_since_reset(void);
static uint32_t millis_since_reset(void);

/* MicroPython's millisecond ticks, which ports/qemu lacks and the stock
   module's DTLS timer calls (it is compiled in whether DTLS is or not). */
mp_uint_t mp_hal_ticks_ms(void)
{
	return millis_since_reset();
}

int64_t qemuport_time(void)
{
	return epoch + seconds_since_reset();
}

void qemuport_settime(int64_t now)
{
	epoch = now - seconds_since_reset();
}

#if defined(QEMU_SOC_MPS2)

#define FPGAIO_BASE 0x40028000u
#define FPGAIO_CLK1HZ (*(volatile uint32_t *)(FPGAIO_BASE + 0x10))
#define FPGAIO_CLK100HZ (*(volatile uint32_t *)(FPGAIO_BASE + 0x14))
#define FPGAIO_COUNTER (*(volatile uint32_t *)(FPGAIO_BASE + 0x18))

uint64_t qemuport_ticks(void)
{
	/* 32 bits at 25 MHz: wraps every 171 s of virtual time; callers
	   take differences of the low 32 bits. */
	return FPGAIO_COUNTER;
}

static int64_t seconds_since_reset(void)
{
	return FPGAIO_CLK1HZ;
}

static uint32_t millis_since_reset(void)
{
	return FPGAIO_CLK100HZ * 10u;
}

#elif defined(QEMU_SOC_VIRT)

#define CLINT_MTIME_LO (*(volatile uint32_t *)0x0200bff8u)
#define CLINT_MTIME_HI (*(volatile uint32_t *)0x0200bffcu)

uint64_t qemuport_ticks(void)
{
	uint32_t hi, lo, hi2;

	do {
		__asm volatile ("csrr %0, minstreth" : "=r" (hi));
		__asm volatile ("csrr %0, minstret" : "=r" (lo));
		__asm volatile ("csrr %0, minstreth" : "=r" (hi2));
	} while (hi != hi2);
	return ((uint64_t)hi << 32) | lo;
}

static int64_t seconds_since_reset(void)
{
	uint32_t hi, lo;

	do {
		hi = CLINT_MTIME_HI;
		lo = CLINT_MTIME_LO;
	} while (hi != CLINT_MTIME_HI);
	return (int64_t)((((uint64_t)hi << 32) | lo) / 10000000u);
}

static uint32_t millis_since_reset(void)
{
	uint32_t hi, lo;

	do {
		hi = CLINT_MTIME_HI;
		lo = CLINT_MTIME_LO;
	} while (hi != CLINT_MTIME_HI);
	return (uint32_t)((((uint64_t)hi << 32) | lo) / 10000u);
}

#else
#error "qemuport: only the MPS2_AN385 and VIRT_RV32 boards are supported"
#endif
