/*
 * test_nn_gemm.c - every GEMM kernel of lib/nn this CPU can run (portable C,
 * AVX2, AVX-512) against a naive triple loop in double, over random shapes
 * including odd M, N and K and every epilogue (bias, Relu/Clip clamp,
 * residual), with A and C strides wider than the rows.  Tolerance
 * 1e-5 * (1 + sum |a*b|).  Also checks that computing M in pieces gives the
 * same bits as in one call (the thread-split property).  Depthwise 3x3
 * convolutions (the AVX-512 kernel's interior path and the generic border
 * path) through the builder against naive loops, strides 1 and 2, small
 * and odd images, 1 and 2 threads giving the same bits.
 *
 * The order of the sums: A read transposed (nn_gemm_ta), B packed from any
 * strides, C += A B through the residual, and tl_nn_gemm with A and B
 * transposed or not (either way round inside: B packed, or C^T = B^T A^T)
 * give exactly what one fmaf per term in order 0..K-1 gives, on the AVX2
 * and AVX-512 kernels alike: the result depends on the operands only, not
 * on the kernel, the tiles or the split.  (The portable kernel is checked
 * against the tolerance: without FMA it rounds each product.)
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

/* the sum every kernel makes: k in order, one fused multiply-add a term,
 * from acc */
static float
fma_from(float acc, const float *a, int64_t as, const float *b, int64_t bs,
    int64_t k)
{
	for (int64_t q = 0; q < k; q++)
		acc = fmaf(a[q * as], b[q * bs], acc);
	return acc;
}

static float
fma_dot(const float *a, int64_t as, const float *b, int64_t bs, int64_t k)
{
	return fma_from(0, a, as, b, bs, k);
}

/* c [m,n] (+)= A B with A stored [k,m] (nn_gemm_ta), B [k,n] packed from
 * a row-major or a transposed array; rows in pieces.  acc 1: C + A B
 * through the residual; 2: onto C, k in two calls (B packed per part). */
static int
check_ta(int isa, int64_t m, int64_t n, int64_t k, int acc, int btrans,
    uint64_t *s)
{
	int64_t lda = m + 2, ldb = btrans ? k + 1 : n + 3, ldc = n + 5;
	int64_t bn = btrans ? n * ldb : k * ldb;
	float *a = malloc((k * lda + 1) * sizeof *a), *b = malloc((bn + 1) * sizeof *b);
	float *bp = malloc((nn_gemm_packed_size(k, n) + 1) * sizeof *bp);
	float *c = malloc(m * ldc * sizeof *c), *c0 = malloc(m * ldc * sizeof *c0);
	int ok = 1;

	for (int64_t i = 0; i < k * lda; i++)
		a[i] = rndf(s);
	for (int64_t i = 0; i < bn; i++)
		b[i] = rndf(s);
	for (int64_t i = 0; i < m * ldc; i++)
		c[i] = c0[i] = (i % ldc) < n && acc ? rndf(s) : 1234.5f;
	int64_t k1 = acc == 2 ? k / 3 : k, rs = btrans ? 1 : ldb, cs = btrans ? ldb : 1;
	float *bp2 = bp + nn_gemm_packed_size(k1, n);

	nn_gemm_pack_strided(b, k1, n, rs, cs, bp);
	nn_gemm_pack_strided(b + k1 * rs, k - k1, n, rs, cs, bp2);
	for (int64_t i = 0; i < m;) {
		int64_t nr = 1 + rnd(s) % 11;
		struct nn_gemm_epi e = { 0 };
		nr = nr < m - i ? nr : m - i;
		if (acc == 1)
			e.res = c + i * ldc, e.ldr = ldc;
		e.onto = acc == 2;
		nn_gemm_ta(isa, nr, n, k1, a + i, lda, bp, c + i * ldc, ldc, &e);
		if (acc == 2)
			nn_gemm_ta(isa, nr, n, k - k1, a + k1 * lda + i, lda, bp2,
			    c + i * ldc, ldc, &e);
		i += nr;
	}
	for (int64_t i = 0; i < m && ok; i++)
		for (int64_t j = 0; j < ldc && ok; j++) {
			const float *bj = btrans ? b + j * ldb : b + j;
			float want;
			if (j >= n) {
				ok = c[i * ldc + j] == 1234.5f;
				continue;
			}
			if (acc == 2)
				want = fma_from(c0[i * ldc + j], a + i, lda, bj,
				    btrans ? 1 : ldb, k);
			else
				want = fma_dot(a + i, lda, bj, btrans ? 1 : ldb, k);
			if (acc == 1)
				want += c0[i * ldc + j];
			if (isa != NN_GEMM_C)
				ok = c[i * ldc + j] == want;
			else
				ok = fabs(c[i * ldc + j] - want) <= 1e-5 * (2 + k);
		}
	free(a), free(b), free(bp), free(c), free(c0);
	return ok;
}

/* tl_nn_gemm, A and B transposed or not, against fma_dot */
static int
check_pub(int64_t m, int64_t n, int64_t k, int ta, int tb, uint64_t *s)
{
	int64_t lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
	int64_t an = (ta ? k : m) * lda, bn = (tb ? n : k) * ldb;
	float *a = malloc((an + 1) * sizeof *a), *b = malloc((bn + 1) * sizeof *b);
	float *c = malloc(m * ldc * sizeof *c);
	float *w = malloc((tl_nn_gemm_work(m, n, k) + 1) * sizeof *w);
	int exact = nn_gemm_isa_best() != NN_GEMM_C, ok = 1;

	for (int64_t i = 0; i < an; i++)
		a[i] = rndf(s);
	for (int64_t i = 0; i < bn; i++)
		b[i] = rndf(s);
	for (int64_t i = 0; i < m * ldc; i++)
		c[i] = 1234.5f;
	tl_nn_gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, w);
	for (int64_t i = 0; i < m && ok; i++)
		for (int64_t j = 0; j < ldc && ok; j++) {
			float want;
			if (j >= n) {
				ok = c[i * ldc + j] == 1234.5f;
				continue;
			}
			want = fma_dot(ta ? a + i : a + i * lda, ta ? lda : 1,
			    tb ? b + j * ldb : b + j, tb ? 1 : ldb, k);
			ok = exact ? c[i * ldc + j] == want :
			    fabs(c[i * ldc + j] - want) <= 1e-5 * (2 + k);
		}
	if (!ok)
		printf("# tl_nn_gemm failed at m=%lld n=%lld k=%lld ta=%d tb=%d\n",
		    (long long)m, (long long)n, (long long)k, ta, tb);
	free(a), free(b), free(c), free(w);
	return ok;
}

/* Depthwise 3x3 conv + bias + Clip(0,6) on [n,h,w,c], NHWC in and out. */
static int
check_dw(int64_t n, int64_t h, int64_t w, int64_t c, int stride, int64_t pad0,
    int64_t pad1, uint64_t *s)
{
	int64_t in_dims[4] = { -1, c, h, w }, wd[4] = { c, 1, 3, 3 }, bd[1] = { c };
	int64_t pads[4] = { pad0, pad0, pad1, pad1 }, strides[2] = { stride, stride };
	int64_t oh = (h + pad0 + pad1 - 3) / stride + 1, ow = (w + pad0 + pad1 - 3) /
	    stride + 1;
	struct tl_nn_attr at[3] = {
		{ .name = "group", .type = TL_NN_ATTR_INT, .i = c },
		{ .name = "pads", .type = TL_NN_ATTR_INTS, .ints = pads, .n = 4 },
		{ .name = "strides", .type = TL_NN_ATTR_INTS, .ints = strides, .n = 2 },
	};
	const char *cin[] = { "x", "w", "b" }, *cout[] = { "y" },
	    *kin[] = { "y", "lo", "hi" }, *kout[] = { "z" };
	float *x = malloc(n * h * w * c * sizeof *x), *wt = malloc(9 * c * sizeof *wt),
	    *b = malloc(c * sizeof *b), *y = malloc(n * oh * ow * c * sizeof *y),
	    *y2 = malloc(n * oh * ow * c * sizeof *y2), lo = 0, hi = 6;
	struct tl_nn_opts o;
	int ok = 1;

	for (int64_t i = 0; i < n * h * w * c; i++)
		x[i] = 4 * rndf(s);
	for (int64_t i = 0; i < 9 * c; i++)
		wt[i] = rndf(s);
	for (int64_t i = 0; i < c; i++)
		b[i] = rndf(s);
	for (int threads = 1; threads <= 2 && ok; threads++) {
		struct tl_nn *nn = tl_nn_new(NULL);
		tl_nn_opts_init(&o);
		o.threads = threads;
		ok = nn && tl_nn_add_input(nn, "x", 4, in_dims, NULL) == 0 &&
		    tl_nn_add_weights(nn, "w", 4, wd, wt, NULL) == 0 &&
		    tl_nn_add_weights(nn, "b", 1, bd, b, NULL) == 0 &&
		    tl_nn_add_weights(nn, "lo", 0, bd, &lo, NULL) == 0 &&
		    tl_nn_add_weights(nn, "hi", 0, bd, &hi, NULL) == 0 &&
		    tl_nn_add_node(nn, "dw", "Conv", cin, 3, cout, 1, at, 3,
		    NULL) == 0 &&
		    tl_nn_add_node(nn, "clip", "Clip", kin, 3, kout, 1, NULL, 0,
		    NULL) == 0 &&
		    tl_nn_add_output(nn, "z", NULL) == 0 &&
		    tl_nn_finish(nn, &o, NULL) == 0 &&
		    tl_nn_run(nn, x, (int)n, threads == 1 ? y : y2, NULL) == 0;
		tl_nn_free(nn);
	}
	for (int64_t i = 0; ok && i < n * oh * ow * c; i++) {
		int64_t ch = i % c, ox = i / c % ow, oy = i / c / ow % oh,
		    im = i / c / ow / oh;
		double v = b[ch];
		for (int ky = 0; ky < 3; ky++)
			for (int kx = 0; kx < 3; kx++) {
				int64_t iy = oy * stride - pad0 + ky, ix = ox * stride -
				    pad0 + kx;
				if (iy >= 0 && iy < h && ix >= 0 && ix < w)
					v += (double)x[((im * h + iy) * w + ix) * c + ch] *
					    wt[ch * 9 + ky * 3 + kx];
			}
		v = v < 0 ? 0 : v > 6 ? 6 : v;
		ok = fabs(y[i] - v) <= 1e-5 * (1 + fabs(v)) + 1e-5;
	}
	ok = ok && memcmp(y, y2, n * oh * ow * c * sizeof *y) == 0;
	if (!ok)
		printf("# dw failed at n=%lld h=%lld w=%lld c=%lld s=%d pads %lld %lld\n",
		    (long long)n, (long long)h, (long long)w, (long long)c, stride,
		    (long long)pad0, (long long)pad1);
	free(x), free(wt), free(b), free(y), free(y2);
	return ok;
}

int
main(void)
{
	static const char *names[] = { "c", "avx2", "avx512" };
	uint64_t s = 42;

	for (int isa = NN_GEMM_C; isa <= NN_GEMM_AVX512; isa++) {
		char name[160];
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
		ok = 1;
		for (int t = 0; t < 60 && ok; t++)
			ok = check_ta(isa, 1 + rnd(&s) % 40, 1 + rnd(&s) % 100,
			    rnd(&s) % 300, t % 3, t / 3 % 2, &s);
		/* a 1x1 convolution's weight gradient: Cout x Cin over 392 pixels */
		ok = ok && check_ta(isa, 96, 160, 392, 2, 0, &s) &&
		    check_ta(isa, 20, 37, 1000, 1, 1, &s);
		snprintf(name, sizeof name, "gemm %s kernel, A transposed, B packed "
		    "from strides, C + A B, K in two calls onto C: each element the "
		    "fmaf sum in order%s",
		    names[isa], isa == NN_GEMM_C ? " (within 1e-5)" : "");
		T_OK(name, ok);
	}
	{
		int ok = 1;
		for (int t = 0; t < 80 && ok; t++)
			ok = check_pub(1 + rnd(&s) % 50, 1 + rnd(&s) % 200,
			    rnd(&s) % 400, t % 2, t / 2 % 2, &s);
		/* the heads' shapes: logits, dW (C^T = B^T A^T inside), dX */
		ok = ok && check_pub(300, 2, 960, 0, 1, &s) &&
		    check_pub(2, 960, 300, 1, 0, &s) &&
		    check_pub(32, 960, 2, 0, 0, &s) &&
		    check_pub(5, 0, 3, 0, 0, &s) && check_pub(4, 7, 0, 1, 1, &s);
		T_OK("tl_nn_gemm: A, B transposed or not, either way round inside: "
		    "each element the fmaf sum in order", ok);
	}
	T_OK("gemm best isa is supported", nn_gemm_isa_ok(nn_gemm_isa_best()));
	{
		static const int64_t cs[] = { 16, 32, 48, 80, 96, 144, 7, 17 };
		int ok = 1;
		for (int t = 0; t < 40 && ok; t++) {
			int64_t p0 = rnd(&s) % 2, p1 = rnd(&s) % 2;
			ok = check_dw(1 + rnd(&s) % 3, 3 - p0 - p1 + rnd(&s) % 12,
			    3 - p0 - p1 + rnd(&s) % 12, cs[rnd(&s) % 8],
			    1 + rnd(&s) % 2, p0, p1, &s);
		}
		ok = ok && check_dw(2, 14, 14, 96, 1, 1, 1, &s) &&
		    check_dw(1, 15, 15, 144, 2, 0, 1, &s) &&
		    check_dw(1, 3, 3, 32, 1, 0, 0, &s);
		T_OK("depthwise 3x3 matches naive loops (strides 1-2, borders, "
		    "threads 1 and 2 bitwise)", ok);
		/* activations of 1M floats: the batch runs in slices, with 2
		 * threads a slice per thread */
		ok = check_dw(4, 128, 128, 64, 1, 1, 1, &s) &&
		    check_dw(5, 128, 128, 64, 2, 0, 1, &s);
		T_OK("depthwise batch in slices: threads 1 and 2 bitwise", ok);
	}
	T_DONE();
}
