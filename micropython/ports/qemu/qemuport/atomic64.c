/*
 * atomic64.c - the 64-bit atomic add that GCC calls out of line on
 * 32-bit targets without 64-bit atomic instructions (Cortex-M3, RV32IMAC)
 * and that a hosted toolchain finds in libatomic; the port links none.
 * The core numbers its CA sets with one (ussl_new_id in src/ctx.c).
 *
 * The qemu firmware runs one thread (no MICROPY_PY_THREAD), so masking
 * interrupts around the read-modify-write makes it atomic.
 */
#include <stdint.h>

uint64_t qemuport_atomic_fetch_add_8(volatile void *p, uint64_t v,
    int order) __asm__("__atomic_fetch_add_8");

uint64_t qemuport_atomic_fetch_add_8(volatile void *p, uint64_t v,
    int order)
{
	volatile uint64_t *q = p;
	uint64_t old;
	uint32_t state;

	(void)order;
#if defined(__arm__)
	__asm volatile ("mrs %0, primask\n\tcpsid i" : "=r" (state) :: "memory");
#elif defined(__riscv)
	__asm volatile ("csrrci %0, mstatus, 8" : "=r" (state) :: "memory");
#else
#error "atomic64.c: unknown architecture"
#endif
	old = *q;
	*q = old + v;
#if defined(__arm__)
	__asm volatile ("msr primask, %0" :: "r" (state) : "memory");
#else
	__asm volatile ("csrs mstatus, %0" :: "r" (state & 8u) : "memory");
#endif
	return old;
}
