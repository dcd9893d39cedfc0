/*
 * test_rng.c - mp_hal_get_random() for the qemu firmware.
 *
 * *********************************************************************
 * TEST-ONLY.  NOT A RANDOM NUMBER GENERATOR.  The emulated MPS2_AN385
 * and VIRT_RV32 machines have no hardware RNG, so this is a PRNG
 * (SplitMix64) seeded from the build time and a cycle counter: under
 * QEMU's -icount every run produces the SAME bytes, and anyone who knows
 * the seed knows every key.  mbedTLS's entropy (mbedtls_hardware_poll,
 * hence every key and nonce the firmware makes) comes from here.  It
 * exists so that TLS can be TESTED in an emulator; firmware for real
 * hardware must take its entropy from the chip's RNG (as MicroPython's
 * stm32, rp2, mimxrt ... ports do).  The firmware reports it as
 * qemuport.TEST_ONLY_RNG; qemuport.rng_seed(n) restarts the sequence, so
 * that a benchmark does the same work in every firmware.
 * *********************************************************************
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qemuport.h"

static uint64_t state;
static int seeded;

static uint64_t splitmix64(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void qemuport_rng_seed(uint64_t seed)
{
	state = seed;
	seeded = 1;
}

void mp_hal_get_random(size_t n, void *buf)
{
	unsigned char *p = buf;
	uint64_t v;
	size_t k;

	if (!seeded) {
		state = ((uint64_t)USSL_QEMU_EPOCH << 20) ^ qemuport_ticks();
		seeded = 1;
	}
	while (n > 0) {
		v = splitmix64();
		k = n < sizeof(v) ? n : sizeof(v);
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}
