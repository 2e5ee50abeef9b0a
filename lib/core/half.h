/*
 * half.h - IEEE 754 half precision (binary16, the "<f2" dtype) to and from
 * float, bit-exact, as static inline functions for the loops that convert
 * whole tensors (tensor.c, the TF.js weight loader, the JSON form).
 * Nothing is allocated.
 *
 * Every half value is exactly a float, so tl_half_to_float only moves bits;
 * a NaN becomes the quiet NaN of its sign (0x7fc00000, 0xffc00000): its
 * payload is dropped, as ldexpf-based converters and NumPy's float16 NaN
 * (0x7e00) agree.  tl_half_from_float rounds to nearest, ties to even, as
 * NumPy's astype(float16) does.  Nothing here allocates.
 */
#ifndef TL_HALF_H
#define TL_HALF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float
tl_half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
	float f;

	if (e == 0x1f)
		u = sign | (m ? 0x7fc00000 : 0x7f800000);
	else if (e != 0)
		u = sign | ((e + 112) << 23) | (m << 13);
	else if (m == 0)
		u = sign;
	else { /* subnormal half: normalise */
		e = 113;
		while ((m & 0x400) == 0)
			m <<= 1, e--;
		u = sign | (e << 23) | ((m & 0x3ff) << 13);
	}
	memcpy(&f, &u, sizeof f);
	return f;
}

static inline uint16_t
tl_half_from_float(float f)
{
	uint32_t x, ax, sign, e, h, rem;
	float a;

	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000;
	ax = x & 0x7fffffff;
	if (ax > 0x7f800000)
		return (uint16_t)(sign | 0x7e00); /* NaN */
	if (ax >= 0x477ff000)                 /* >= 65520 rounds to infinity */
		return (uint16_t)(sign | 0x7c00);
	if (ax < 0x38800000) {                /* below 2^-14: subnormal */
		memcpy(&a, &ax, 4);
		return (uint16_t)(sign | (uint32_t)lrintf(a * 16777216.0f));
	}
	e = (ax >> 23) - 127 + 15;
	h = (e << 10) | ((ax & 0x7fffff) >> 13);
	rem = ax & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++;
	return (uint16_t)(sign | h);
}

#endif
