/*
 * modqemuport.c - the `qemuport` module of the qemu firmware: the
 * machine's counters, for tests and for counting instructions.
 *
 *   qemuport.ticks()          free-running counter (int)
 *   qemuport.INSNS_PER_TICK   guest instructions per tick under
 *                             `-icount shift=0` (MPS2_AN385: 40, only
 *                             the low 32 bits of ticks() count: take
 *                             differences modulo 2**32; VIRT_RV32: 1)
 *   qemuport.time()           the firmware's Unix time (certificate dates):
 *                             from the build's time, or settime()'s
 *   qemuport.settime(t)       set it (the test runner passes the host's)
 *   qemuport.TEST_ONLY_RNG    True: mbedTLS's entropy is a PRNG that is
 *                             NOT random (test_rng.c)
 *   qemuport.rng_seed(n)      restart that PRNG's sequence (benchmarks)
 */
#include "py/obj.h"
#include "py/runtime.h"

#include "qemuport.h"

static mp_obj_t qemuport_ticks_fn(void)
{
	return mp_obj_new_int_from_ull(qemuport_ticks());
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemuport_ticks_obj, qemuport_ticks_fn);

static mp_obj_t qemuport_time_fn(void)
{
	return mp_obj_new_int_from_ll(qemuport_time());
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemuport_time_obj, qemuport_time_fn);

static mp_obj_t qemuport_settime_fn(mp_obj_t now)
{
	qemuport_settime(mp_obj_get_ll(now));
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(qemuport_settime_obj, qemuport_settime_fn);

static mp_obj_t qemuport_rng_seed_fn(mp_obj_t seed)
{
	qemuport_rng_seed((uint64_t)mp_obj_get_ll(seed));
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(qemuport_rng_seed_obj, qemuport_rng_seed_fn);

static const mp_rom_map_elem_t qemuport_globals_table[] = {
	{ MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_qemuport) },
	{ MP_ROM_QSTR(MP_QSTR_ticks), MP_ROM_PTR(&qemuport_ticks_obj) },
	{ MP_ROM_QSTR(MP_QSTR_time), MP_ROM_PTR(&qemuport_time_obj) },
	{ MP_ROM_QSTR(MP_QSTR_settime), MP_ROM_PTR(&qemuport_settime_obj) },
	{ MP_ROM_QSTR(MP_QSTR_INSNS_PER_TICK),
	  MP_ROM_INT(QEMUPORT_INSNS_PER_TICK) },
	{ MP_ROM_QSTR(MP_QSTR_TEST_ONLY_RNG), MP_ROM_TRUE },
	{ MP_ROM_QSTR(MP_QSTR_rng_seed), MP_ROM_PTR(&qemuport_rng_seed_obj) },
};
static MP_DEFINE_CONST_DICT(qemuport_globals, qemuport_globals_table);

const mp_obj_module_t qemuport_module = {
	.base = { &mp_type_module },
	.globals = (mp_obj_dict_t *)&qemuport_globals,
};

MP_REGISTER_MODULE(MP_QSTR_qemuport, qemuport_module);
