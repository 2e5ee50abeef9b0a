/*
 * gemm.c - the engine's own SGEMM: C[M,N] = epi(A[M,K] x B) where A is
 * read in place, row-major (NHWC rows of a 1x1 convolution, or an im2col
 * block) or transposed ([K,M]: a gradient's rows summed over pixels), B is
 * packed into panels of 16 columns (a convolution's weights once, a
 * training step's operands at each call), and the epilogue adds the bias,
 * clamps (Relu/Clip) and adds a residual (or the old C) while the tile is
 * still in registers.  Register-tiled kernels for AVX-512 (8 rows x 48
 * columns of zmm accumulators) and AVX2+FMA (6 x 16), and a portable C
 * one; the best the CPU has is picked at run time.  Every kernel sums k in
 * order 0..K-1 for each element with one fused multiply-add per term (the
 * portable one rounds the product when the CPU has no FMA), whatever the
 * tile or the rows a caller passes: splitting M or N among threads never
 * changes a result, and the AVX-512 and AVX2 kernels agree bit for bit.
 * tl_nn_gemm (nn.h) is that for the rest of tl: training and the heads.
 * What it does not do: block K (panels stream from L2), threads (callers
 * split rows or columns).
 */
#pragma GCC optimize("O3")
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nn_int.h"

#define PW 16	/* panel width: columns per packed panel */

int64_t
nn_gemm_packed_size(int64_t k, int64_t n)
{
	return (n + PW - 1) / PW * PW * k;
}

/* bp [N/PW][K][PW]: panel p holds columns p*PW.. for every k, zero past
 * N; k = q * (K/kk) + b reads w[col][b][q] */
void
nn_gemm_pack(const float *w, int64_t n, int64_t k, int64_t kk, float *bp)
{
	int64_t np = (n + PW - 1) / PW, ci = kk > 0 ? k / kk : 0;

	for (int64_t p = 0; p < np; p++)
		for (int64_t q = 0; q < kk; q++)
			for (int64_t b = 0; b < ci; b++)
				for (int64_t j = 0; j < PW; j++) {
					int64_t col = p * PW + j;
					bp[(p * k + q * ci + b) * PW + j] = col < n ?
					    w[(col * ci + b) * kk + q] : 0;
				}
}

/* bp as above from B[k][n] = b[k * rs + n * cs]: a row-major [K][N]
 * (rs = ldb, cs = 1) or one stored transposed, [N][K] (rs = 1, cs = ldb) */
void
nn_gemm_pack_strided(const float *b, int64_t k, int64_t n, int64_t rs,
    int64_t cs, float *bp)
{
	for (int64_t p = 0; p * PW < n; p++) {
		int64_t nc = n - p * PW < PW ? n - p * PW : PW;
		for (int64_t q = 0; q < k; q++) {
			float *d = bp + (p * k + q) * PW;
			const float *s = b + q * rs + p * PW * cs;
			int64_t j = 0;
			if (cs == 1)
				for (; j < nc; j++)
					d[j] = s[j];
			else
				for (; j < nc; j++)
					d[j] = s[j * cs];
			for (; j < PW; j++)
				d[j] = 0;
		}
	}
}

/* A[r][kk] of a tile: row-major with row stride lda, or transposed (TA),
 * [K][M] with row stride lda */
#define AT(r, kk) (TA ? a[(kk) * lda + (r)] : a[(r) * lda + (kk)])
/* the first of rows i.. */
#define AROW(i) (TA ? a + (i) : a + (i) * lda)

/* ---- portable C: 4 rows x one panel ---- */

static void
tile_c(const int TA, int mr, int64_t k, const float *a, int64_t lda,
    const float *b, float *c, int64_t ldc, int nc, int64_t col0,
    const struct nn_gemm_epi *e)
{
	float acc[4][PW];

	memset(acc, 0, sizeof acc);
	if (e->onto)
		for (int r = 0; r < mr; r++)
			for (int j = 0; j < nc; j++)
				acc[r][j] = c[r * ldc + j];
	for (int64_t kk = 0; kk < k; kk++)
		for (int r = 0; r < mr; r++) {
			float av = AT(r, kk);
			for (int j = 0; j < PW; j++)
				acc[r][j] += av * b[kk * PW + j];
		}
	for (int r = 0; r < mr; r++)
		for (int j = 0; j < nc; j++) {
			float v = acc[r][j] + (e->bias ? e->bias[col0 + j] : 0);
			if (e->act) {
				v = v < e->lo ? e->lo : v;
				v = v > e->hi ? e->hi : v;
			}
			if (e->res)
				v += e->res[r * e->ldr + col0 + j];
			c[r * ldc + j] = v;
		}
}

static void
gemm_c(const int TA, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	struct nn_gemm_epi er = *e;

	for (int64_t p = 0; p * PW < n; p++) {
		int nc = n - p * PW < PW ? (int)(n - p * PW) : PW;
		for (int64_t i = 0; i < m; i += 4) {
			int mr = m - i < 4 ? (int)(m - i) : 4;
			er.res = e->res ? e->res + i * e->ldr : NULL;
			tile_c(TA, mr, k, AROW(i), lda, bp + p * k * PW,
			    c + i * ldc + p * PW, ldc, nc, p * PW, &er);
		}
	}
}

#if defined(__x86_64__)

/* ---- AVX-512: MR rows x NP panels of zmm accumulators ---- */

#define T512 __attribute__((target("avx512f,fma"), always_inline)) static inline

T512 void
tile512(const int TA, const int MR, const int NP, int64_t k, const float *a,
    int64_t lda,
    const float *b, float *c, int64_t ldc, int nc, int64_t col0,
    const struct nn_gemm_epi *e)
{
	__m512 acc[8][3];
	const float *b1 = b + k * PW, *b2 = b + 2 * k * PW;

	for (int q = 0; q < NP; q++) {
		int left = nc - q * PW;
		__mmask16 mk = left >= PW ? 0xffff : left <= 0 ? 0 :
		    (__mmask16)((1u << left) - 1);
		for (int r = 0; r < MR; r++)
			acc[r][q] = e->onto ? _mm512_maskz_loadu_ps(mk, c + r * ldc +
			    q * PW) : _mm512_setzero_ps();
	}
	for (int64_t kk = 0; kk < k; kk++) {
		__m512 bv[3];
		bv[0] = _mm512_loadu_ps(b + kk * PW);
		if (NP > 1)
			bv[1] = _mm512_loadu_ps(b1 + kk * PW);
		if (NP > 2)
			bv[2] = _mm512_loadu_ps(b2 + kk * PW);
		for (int r = 0; r < MR; r++) {
			__m512 av = _mm512_set1_ps(AT(r, kk));
			for (int q = 0; q < NP; q++)
				acc[r][q] = _mm512_fmadd_ps(av, bv[q], acc[r][q]);
		}
	}
	for (int q = 0; q < NP; q++) {
		int left = nc - q * PW;
		__mmask16 mk = left >= PW ? 0xffff : (__mmask16)((1u << left) - 1);
		__m512 bias = e->bias ? _mm512_maskz_loadu_ps(mk, e->bias + col0 +
		    q * PW) : _mm512_setzero_ps();
		__m512 lo = _mm512_set1_ps(e->lo), hi = _mm512_set1_ps(e->hi);
		for (int r = 0; r < MR; r++) {
			__m512 v = _mm512_add_ps(acc[r][q], bias);
			if (e->act)
				v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
			if (e->res)
				v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk,
				    e->res + r * e->ldr + col0 + q * PW));
			_mm512_mask_storeu_ps(c + r * ldc + q * PW, mk, v);
		}
	}
}

/* Rows in tiles of 8, or of 7 and 8 when that avoids a short last tile
 * (49 rows: 7 tiles of 7), short tiles first. */
#define TILE512(MR, NP) tile512(TA, MR, NP, k, AROW(i), lda, b, \
	c + i * ldc + col, ldc, nc, col, &er)
#define ROWS512(NP) do {						\
	int64_t i = 0, nt = (m + 7) / 8, n7 = nt * 8 - m;		\
	if (n7 > nt)							\
		n7 = 0;							\
	for (; n7 > 0; n7--, i += 7) {					\
		er.res = e->res ? e->res + i * e->ldr : NULL;		\
		TILE512(7, NP);						\
	}								\
	for (; i + 8 <= m; i += 8) {					\
		er.res = e->res ? e->res + i * e->ldr : NULL;		\
		TILE512(8, NP);						\
	}								\
	er.res = e->res ? e->res + i * e->ldr : NULL;			\
	switch (m - i) {						\
	case 7: TILE512(7, NP); break;					\
	case 6: TILE512(6, NP); break;					\
	case 5: TILE512(5, NP); break;					\
	case 4: TILE512(4, NP); break;					\
	case 3: TILE512(3, NP); break;					\
	case 2: TILE512(2, NP); break;					\
	case 1: TILE512(1, NP); break;					\
	default: break;							\
	}								\
} while (0)

T512 void
gemm512(const int TA, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	struct nn_gemm_epi er = *e;

	/* groups of up to 3 panels; a 4-panel rest goes 2 + 2 */
	for (int64_t col = 0; col < n;) {
		int64_t left = n - col;
		int np = left > 3 * PW ? (left > 4 * PW ? 3 : 2) :
		    (int)((left + PW - 1) / PW);
		int nc = left < np * PW ? (int)left : np * PW;
		const float *b = bp + col * k;
		if (np == 3)
			ROWS512(3);
		else if (np == 2)
			ROWS512(2);
		else
			ROWS512(1);
		col += np * PW;
	}
}

__attribute__((target("avx512f,fma"))) static void
gemm_avx512(int ta, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	if (ta)
		gemm512(1, m, n, k, a, lda, bp, c, ldc, e);
	else
		gemm512(0, m, n, k, a, lda, bp, c, ldc, e);
}

/* ---- AVX2: MR rows x one panel (2 ymm) ---- */

#define T256 __attribute__((target("avx2,fma"), always_inline)) static inline

T256 __m256i
mask8(int left)
{
	const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);

	return _mm256_cmpgt_epi32(_mm256_set1_epi32(left), idx);
}

T256 void
tile256(const int TA, const int MR, int64_t k, const float *a, int64_t lda,
    const float *b, float *c, int64_t ldc, int nc, int64_t col0,
    const struct nn_gemm_epi *e)
{
	__m256 acc[6][2];

	for (int r = 0; r < MR; r++)
		acc[r][0] = acc[r][1] = _mm256_setzero_ps();
	if (e->onto)
		for (int q = 0; q < 2 && nc - q * 8 > 0; q++) {
			__m256i mk = mask8(nc - q * 8);
			for (int r = 0; r < MR; r++)
				acc[r][q] = _mm256_maskload_ps(c + r * ldc + q * 8, mk);
		}
	for (int64_t kk = 0; kk < k; kk++) {
		__m256 b0 = _mm256_loadu_ps(b + kk * PW),
		    b1 = _mm256_loadu_ps(b + kk * PW + 8);
		for (int r = 0; r < MR; r++) {
			__m256 av = _mm256_set1_ps(AT(r, kk));
			acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
			acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
		}
	}
	for (int q = 0; q < 2; q++) {
		int left = nc - q * 8;
		__m256i mk;
		__m256 bias, lo = _mm256_set1_ps(e->lo), hi = _mm256_set1_ps(e->hi);
		if (left <= 0)
			break;
		mk = mask8(left);
		bias = e->bias ? _mm256_maskload_ps(e->bias + col0 + q * 8, mk) :
		    _mm256_setzero_ps();
		for (int r = 0; r < MR; r++) {
			__m256 v = _mm256_add_ps(acc[r][q], bias);
			if (e->act)
				v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
			if (e->res)
				v = _mm256_add_ps(v, _mm256_maskload_ps(e->res +
				    r * e->ldr + col0 + q * 8, mk));
			_mm256_maskstore_ps(c + r * ldc + q * 8, mk, v);
		}
	}
}

T256 void
gemm256(const int TA, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	struct nn_gemm_epi er = *e;

	for (int64_t col = 0; col < n; col += PW) {
		int nc = n - col < PW ? (int)(n - col) : PW;
		const float *b = bp + col * k;
		int64_t i = 0;
		for (; i + 6 <= m; i += 6) {
			er.res = e->res ? e->res + i * e->ldr : NULL;
			tile256(TA, 6, k, AROW(i), lda, b, c + i * ldc + col,
			    ldc, nc, col, &er);
		}
		er.res = e->res ? e->res + i * e->ldr : NULL;
		switch (m - i) {
		case 5: tile256(TA, 5, k, AROW(i), lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 4: tile256(TA, 4, k, AROW(i), lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 3: tile256(TA, 3, k, AROW(i), lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 2: tile256(TA, 2, k, AROW(i), lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 1: tile256(TA, 1, k, AROW(i), lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		default: break;
		}
	}
}

__attribute__((target("avx2,fma"))) static void
gemm_avx2(int ta, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	if (ta)
		gemm256(1, m, n, k, a, lda, bp, c, ldc, e);
	else
		gemm256(0, m, n, k, a, lda, bp, c, ldc, e);
}
#endif

int
nn_gemm_isa_best(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return NN_GEMM_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return NN_GEMM_AVX2;
#endif
	return NN_GEMM_C;
}

int
nn_gemm_isa_ok(int isa)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (isa == NN_GEMM_AVX512)
		return __builtin_cpu_supports("avx512f");
	if (isa == NN_GEMM_AVX2)
		return __builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("fma");
#endif
	return isa == NN_GEMM_C;
}

static void
gemm_run(int isa, int ta, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	static const struct nn_gemm_epi none = { 0 };

	if (e == NULL)
		e = &none;
	if (m <= 0 || n <= 0)
		return;
	switch (isa) {
#if defined(__x86_64__)
	case NN_GEMM_AVX512:
		gemm_avx512(ta, m, n, k, a, lda, bp, c, ldc, e);
		return;
	case NN_GEMM_AVX2:
		gemm_avx2(ta, m, n, k, a, lda, bp, c, ldc, e);
		return;
#endif
	default:
		if (ta)
			gemm_c(1, m, n, k, a, lda, bp, c, ldc, e);
		else
			gemm_c(0, m, n, k, a, lda, bp, c, ldc, e);
	}
}

void
nn_gemm(int isa, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	gemm_run(isa, 0, m, n, k, a, lda, bp, c, ldc, e);
}

void
nn_gemm_ta(int isa, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e)
{
	gemm_run(isa, 1, m, n, k, a, lda, bp, c, ldc, e);
}

/* ---- tl_nn_gemm ---- */

/* Packing B costs K x N; when N is much the wider, C^T = B^T A^T packs
 * A^T instead and transposes C, with the same sums in the same order. */
static int
swapped(int64_t m, int64_t n, int64_t k)
{
	return 2 * (k * ((m + PW - 1) / PW * PW) + m * n) <
	    k * ((n + PW - 1) / PW * PW);
}

/* what either way needs, so that the size never shrinks as m, n or k
 * grow: a buffer for the largest shapes fits every smaller one */
size_t
tl_nn_gemm_work(int64_t m, int64_t n, int64_t k)
{
	int64_t s, t;

	if (m <= 0 || n <= 0 || k <= 0)
		return 0;
	s = nn_gemm_packed_size(k, m) + m * n;
	t = nn_gemm_packed_size(k, n);
	return (size_t)(s > t ? s : t);
}

void
tl_nn_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
    float *work)
{
	int isa = nn_gemm_isa_best();

	if (m <= 0 || n <= 0)
		return;
	if (k <= 0) {
		for (int64_t i = 0; i < m; i++)
			memset(c + i * ldc, 0, n * sizeof *c);
		return;
	}
	if (!swapped(m, n, k)) {
		/* B [K,N] at b[k * ldb + n], or stored [N,K] */
		nn_gemm_pack_strided(b, k, n, tb ? 1 : ldb, tb ? ldb : 1, work);
		gemm_run(isa, ta, m, n, k, a, lda, work, c, ldc, NULL);
	} else {
		/* ct [N,M] = B^T A^T: B^T is B read transposed, A^T packed */
		float *ct = work + nn_gemm_packed_size(k, m);
		nn_gemm_pack_strided(a, k, m, ta ? lda : 1, ta ? 1 : lda, work);
		gemm_run(isa, !tb, n, m, k, b, ldb, work, ct, m, NULL);
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++)
				c[i * ldc + j] = ct[j * m + i];
	}
}
