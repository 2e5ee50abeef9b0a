/*
 * test_half.c - half precision to float and back (lib/core/half.h): known
 * values, then all 65536 halves against the two converters it replaced (the
 * ldexpf one of tensor.c and json.c, the bit one of the TF.js loader), bit
 * for bit, NaNs as the quiet NaN of their sign; and every half back through
 * tl_half_from_float to itself.
 */
#include <stdint.h>
#include <string.h>

#include "core/half.h"
#include "t.h"

static uint32_t
bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

/* The ldexpf converter tensor.c and json.c had. */
static float
ref_ldexp(uint16_t h)
{
	unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
	float v;

	if (e == 0)
		v = ldexpf((float)m, -24);
	else if (e == 31)
		v = m ? NAN : INFINITY;
	else
		v = ldexpf((float)(m | 0x400), (int)e - 25);
	return (h & 0x8000) ? -v : v;
}

int
main(void)
{
	static const struct {
		uint16_t h;
		double want;
	} cases[] = {
		{ 0x3c00, 1.0 },
		{ 0xc000, -2.0 },
		{ 0x7bff, 65504.0 },
		{ 0x0001, 5.960464477539063e-8 },
		{ 0x03ff, 6.097555160522461e-5 }, /* largest subnormal */
		{ 0x0400, 6.103515625e-5 },       /* smallest normal */
		{ 0x3555, 0.333251953125 },
		{ 0x0000, 0.0 },
	};
	char name[64];
	int same = 1, back = 1;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "half 0x%04x", cases[i].h);
		T_OK(name, (double)tl_half_to_float(cases[i].h) == cases[i].want);
	}
	T_OK("half -0", bits(tl_half_to_float(0x8000)) == 0x80000000u);
	T_OK("half inf", isinf(tl_half_to_float(0x7c00)) && tl_half_to_float(0x7c00) > 0);
	T_OK("half -inf", isinf(tl_half_to_float(0xfc00)) && tl_half_to_float(0xfc00) < 0);
	T_OK("half nan", isnan(tl_half_to_float(0x7e00)) && bits(tl_half_to_float(0x7e00)) == 0x7fc00000u);
	T_OK("half nan payload dropped", bits(tl_half_to_float(0x7c01)) == 0x7fc00000u &&
	     bits(tl_half_to_float(0xfd55)) == 0xffc00000u);

	for (uint32_t h = 0; h <= 0xffff; h++) {
		float got = tl_half_to_float((uint16_t)h), ref = ref_ldexp((uint16_t)h);

		if (bits(got) != bits(ref))
			same = 0;
		if (!isnan(got) && tl_half_from_float(got) != h)
			back = 0;
		if (isnan(got) && (tl_half_from_float(got) & 0x7fff) != 0x7e00)
			back = 0;
	}
	T_OK("half all 65536 as ldexpf", same);
	T_OK("half all 65536 back", back);

	T_OK("half from 65520 is inf", tl_half_from_float(65520.0f) == 0x7c00);
	T_OK("half from 65519 is max", tl_half_from_float(65519.0f) == 0x7bff);
	T_OK("half ties to even", tl_half_from_float(1.0f + 1.0f / 2048) == 0x3c00 &&
	     tl_half_from_float(1.0f + 3.0f / 2048) == 0x3c02);
	T_DONE();
}
