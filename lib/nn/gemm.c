/*
 * gemm.c - the engine's own SGEMM for convolutions: C[M,N] = epi(A[M,K] x B)
 * where A is row-major activations read in place (NHWC rows of a 1x1
 * convolution, or an im2col block), B the weights packed once into panels
 * of 16 columns, and the epilogue adds the bias, clamps (Relu/Clip) and adds
 * a residual while the tile is still in registers.  Register-tiled kernels
 * for AVX-512 (8 rows x 48 columns of zmm accumulators) and AVX2+FMA (6 x
 * 16), and a portable C one; the best the CPU has is picked at run time.
 * Every kernel sums k in order 0..K-1 for each element, whatever the tile
 * or the rows a caller passes, so splitting M among threads never changes a
 * result.  What it does not do: block K (the convolutions that use it have
 * K of at most a few thousand, panels stream from L2), transpose A.
 */
#pragma GCC optimize("O3")
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

/* ---- portable C: 4 rows x one panel ---- */

static void
tile_c(int mr, int64_t k, const float *a, int64_t lda, const float *b,
    float *c, int64_t ldc, int nc, int64_t col0, const struct nn_gemm_epi *e)
{
	float acc[4][PW];

	memset(acc, 0, sizeof acc);
	for (int64_t kk = 0; kk < k; kk++)
		for (int r = 0; r < mr; r++) {
			float av = a[r * lda + kk];
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
gemm_c(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
    const float *bp, float *c, int64_t ldc, const struct nn_gemm_epi *e)
{
	struct nn_gemm_epi er = *e;

	for (int64_t p = 0; p * PW < n; p++) {
		int nc = n - p * PW < PW ? (int)(n - p * PW) : PW;
		for (int64_t i = 0; i < m; i += 4) {
			int mr = m - i < 4 ? (int)(m - i) : 4;
			er.res = e->res ? e->res + i * e->ldr : NULL;
			tile_c(mr, k, a + i * lda, lda, bp + p * k * PW,
			    c + i * ldc + p * PW, ldc, nc, p * PW, &er);
		}
	}
}

#if defined(__x86_64__)

/* ---- AVX-512: MR rows x NP panels of zmm accumulators ---- */

#define T512 __attribute__((target("avx512f,fma"), always_inline)) static inline

T512 void
tile512(const int MR, const int NP, int64_t k, const float *a, int64_t lda,
    const float *b, float *c, int64_t ldc, int nc, int64_t col0,
    const struct nn_gemm_epi *e)
{
	__m512 acc[8][3];
	const float *b1 = b + k * PW, *b2 = b + 2 * k * PW;

	for (int r = 0; r < MR; r++)
		for (int q = 0; q < NP; q++)
			acc[r][q] = _mm512_setzero_ps();
	for (int64_t kk = 0; kk < k; kk++) {
		__m512 bv[3];
		bv[0] = _mm512_loadu_ps(b + kk * PW);
		if (NP > 1)
			bv[1] = _mm512_loadu_ps(b1 + kk * PW);
		if (NP > 2)
			bv[2] = _mm512_loadu_ps(b2 + kk * PW);
		for (int r = 0; r < MR; r++) {
			__m512 av = _mm512_set1_ps(a[r * lda + kk]);
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
#define TILE512(MR, NP) tile512(MR, NP, k, a + i * lda, lda, b, \
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

__attribute__((target("avx512f,fma"))) static void
gemm_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
    const float *bp, float *c, int64_t ldc, const struct nn_gemm_epi *e)
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

/* ---- AVX2: MR rows x one panel (2 ymm) ---- */

#define T256 __attribute__((target("avx2,fma"), always_inline)) static inline

T256 __m256i
mask8(int left)
{
	const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);

	return _mm256_cmpgt_epi32(_mm256_set1_epi32(left), idx);
}

T256 void
tile256(const int MR, int64_t k, const float *a, int64_t lda, const float *b,
    float *c, int64_t ldc, int nc, int64_t col0, const struct nn_gemm_epi *e)
{
	__m256 acc[6][2];

	for (int r = 0; r < MR; r++)
		acc[r][0] = acc[r][1] = _mm256_setzero_ps();
	for (int64_t kk = 0; kk < k; kk++) {
		__m256 b0 = _mm256_loadu_ps(b + kk * PW),
		    b1 = _mm256_loadu_ps(b + kk * PW + 8);
		for (int r = 0; r < MR; r++) {
			__m256 av = _mm256_broadcast_ss(a + r * lda + kk);
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

__attribute__((target("avx2,fma"))) static void
gemm_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
    const float *bp, float *c, int64_t ldc, const struct nn_gemm_epi *e)
{
	struct nn_gemm_epi er = *e;

	for (int64_t col = 0; col < n; col += PW) {
		int nc = n - col < PW ? (int)(n - col) : PW;
		const float *b = bp + col * k;
		int64_t i = 0;
		for (; i + 6 <= m; i += 6) {
			er.res = e->res ? e->res + i * e->ldr : NULL;
			tile256(6, k, a + i * lda, lda, b, c + i * ldc + col, ldc,
			    nc, col, &er);
		}
		er.res = e->res ? e->res + i * e->ldr : NULL;
		switch (m - i) {
		case 5: tile256(5, k, a + i * lda, lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 4: tile256(4, k, a + i * lda, lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 3: tile256(3, k, a + i * lda, lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 2: tile256(2, k, a + i * lda, lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		case 1: tile256(1, k, a + i * lda, lda, b, c + i * ldc + col, ldc, nc, col, &er); break;
		default: break;
		}
	}
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

void
nn_gemm(int isa, int64_t m, int64_t n, int64_t k, const float *a,
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
		gemm_avx512(m, n, k, a, lda, bp, c, ldc, e);
		return;
	case NN_GEMM_AVX2:
		gemm_avx2(m, n, k, a, lda, bp, c, ldc, e);
		return;
#endif
	default:
		gemm_c(m, n, k, a, lda, bp, c, ldc, e);
	}
}
