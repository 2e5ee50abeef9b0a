/*
 * test_nn_gemm.c - every GEMM kernel of lib/nn this CPU can run (portable C,
 * AVX2, AVX-512) against a naive triple loop in double, over random shapes
 * including odd M, N and K and every epilogue (bias, Relu/Clip clamp,
 * residual), with A and C strides wider than the rows.  Tolerance
 * 1e-5 * (1 + sum |a*b|).  Also checks that computing M in pieces gives the
 * same bits as in one call (the thread-split property).
 */
#include <stdint.h>
#include <stdlib.h>

#include "nn/nn_int.h"
#include "t.h"

static uint32_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

static float
rndf(uint64_t *s)
{
	return (float)(rnd(s) % 2001) / 1000 - 1;
}

static int
check(int isa, int64_t m, int64_t n, int64_t k, int epi, uint64_t *s)
{
	int64_t lda = k + 3, ldc = n + 5, ldr = n + 1;
	float *a = malloc((m * lda + 1) * sizeof *a);
	float *w = malloc((n * k + 1) * sizeof *w);
	float *bp = malloc((nn_gemm_packed_size(k, n) + 1) * sizeof *bp);
	float *bias = malloc(n * sizeof *bias), *res = malloc(m * ldr * sizeof *res);
	float *c = malloc(m * ldc * sizeof *c), *c2 = malloc(m * ldc * sizeof *c2);
	struct nn_gemm_epi e = { 0 };
	int ok = 1;

	for (int64_t i = 0; i < m * lda; i++)
		a[i] = rndf(s);
	for (int64_t i = 0; i < n * k; i++)
		w[i] = rndf(s);
	for (int64_t i = 0; i < n; i++)
		bias[i] = rndf(s);
	for (int64_t i = 0; i < m * ldr; i++)
		res[i] = rndf(s);
	for (int64_t i = 0; i < m * ldc; i++)
		c[i] = c2[i] = 1234.5f;	/* padding must stay untouched */
	nn_gemm_pack(w, n, k, 1, bp);
	if (epi & 1)
		e.bias = bias;
	if (epi & 2)
		e.act = 1, e.lo = -0.5f, e.hi = epi & 8 ? 1e30f : 0.75f;
	if (epi & 4)
		e.res = res, e.ldr = ldr;
	nn_gemm(isa, m, n, k, a, lda, bp, c, ldc, &e);
	for (int64_t i = 0; i < m && ok; i++) {
		for (int64_t j = 0; j < ldc && ok; j++) {
			double v = 0, mag = 0;
			if (j >= n) {
				ok = c[i * ldc + j] == 1234.5f;
				continue;
			}
			for (int64_t q = 0; q < k; q++) {
				v += (double)a[i * lda + q] * w[j * k + q];
				mag += fabs((double)a[i * lda + q] * w[j * k + q]);
			}
			if (e.bias)
				v += bias[j];
			if (e.act)
				v = v < e.lo ? e.lo : v > e.hi ? e.hi : v;
			if (e.res)
				v += res[i * ldr + j];
			ok = fabs(c[i * ldc + j] - v) <= 1e-5 * (1 + mag + 2);
		}
	}
	/* rows in uneven pieces: same bits */
	for (int64_t i = 0; i < m && ok;) {
		int64_t nr = 1 + rnd(s) % 13;
		struct nn_gemm_epi ep = e;
		nr = nr < m - i ? nr : m - i;
		if (e.res)
			ep.res = res + i * ldr;
		nn_gemm(isa, nr, n, k, a + i * lda, lda, bp, c2 + i * ldc, ldc,
		    &ep);
		i += nr;
	}
	if (ok)
		ok = memcmp(c, c2, m * ldc * sizeof *c) == 0;
	free(a), free(w), free(bp), free(bias), free(res), free(c), free(c2);
	return ok;
}

int
main(void)
{
	static const char *names[] = { "c", "avx2", "avx512" };
	uint64_t s = 42;

	for (int isa = NN_GEMM_C; isa <= NN_GEMM_AVX512; isa++) {
		char name[96];
		int ok = 1;
		if (!nn_gemm_isa_ok(isa)) {
			printf("SKIP gemm %s: not supported by this CPU\n",
			    names[isa]);
			continue;
		}
		for (int t = 0; t < 60 && ok; t++) {
			int64_t m = 1 + rnd(&s) % 40, n = 1 + rnd(&s) % 100,
			    k = rnd(&s) % 70;
			ok = check(isa, m, n, k, (int)(rnd(&s) % 16), &s);
			if (!ok)
				printf("# failed at m=%lld n=%lld k=%lld\n",
				    (long long)m, (long long)n, (long long)k);
		}
		/* MobileNetV2-like shapes */
		ok = ok && check(isa, 197, 96, 16, 3, &s) &&
		    check(isa, 50, 24, 144, 5, &s) &&
		    check(isa, 33, 1280, 320, 3, &s) &&
		    check(isa, 9, 160, 960, 7, &s);
		snprintf(name, sizeof name, "gemm %s kernel matches a naive "
		    "loop (random shapes, epilogues, row splits)", names[isa]);
		T_OK(name, ok);
	}
	T_OK("gemm best isa is supported", nn_gemm_isa_ok(nn_gemm_isa_best()));
	T_DONE();
}
