/*
 * ops.c - the kernels, one per operator, over plan tensors whose shapes the
 * plan has already checked.  4-D activations are NHWC ("nhwc" tensors):
 * a 1x1 convolution is one GEMM [N*H*W,Cin] x [Cin,Cout] on the input in
 * place, other convolutions im2col a block of output pixels then GEMM, both
 * on gemm.c's kernels with bias, activation and residual in the epilogue;
 * depthwise convolution and pooling vectorise over channels (3x3 depthwise
 * has its own AVX-512 kernel), and a depthwise Conv the plan fused with
 * the pointwise Convs around it computes them band by band.  Gemm with
 * constant B uses gemm.c too; MatMul and other Gemm go to OpenBLAS.  Work
 * is split over the engine's thread pool.  Hot loops are compiled for
 * AVX-512, AVX2 and baseline x86-64 and picked at run time (target_clones
 * or the gemm.c ISA).  Elementwise operators take any layout through
 * strides.
 */
#pragma GCC optimize("O3", "fp-contract=fast")
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cblas.h>

#include "nn_int.h"

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HOT
#endif

/* ---- strided maps: broadcasting, transposes, layout changes ---- */

/* Physical dims of t and, per physical position, its logical axis. */
static void
phys(const struct nn_ptensor *t, int64_t pd[TL_NN_MAXRANK],
    int perm[TL_NN_MAXRANK])
{
	static const int nhwc[4] = { 0, 2, 3, 1 };

	for (int k = 0; k < t->rank; k++) {
		perm[k] = t->rank == 4 && t->nhwc && !t->known ? nhwc[k] : k;
		pd[k] = t->dims[perm[k]];
	}
}

/* Stride in t's storage of each of t's logical axes (0 for size 1). */
static void
logical_strides(const struct nn_ptensor *t, int64_t ls[TL_NN_MAXRANK])
{
	int64_t pd[TL_NN_MAXRANK], st = 1;
	int perm[TL_NN_MAXRANK];

	phys(t, pd, perm);
	for (int k = t->rank - 1; k >= 0; k--) {
		ls[perm[k]] = pd[k] == 1 ? 0 : st;
		st *= pd[k];
	}
}

struct smap {
	int nd, nops;
	int64_t d[TL_NN_MAXRANK];
	int64_t s[3][TL_NN_MAXRANK];	/* [0] output, [1], [2] inputs */
};

/* Output o in its physical order; in[j] read broadcast (aligned right to
 * o's logical axes) or, if perm is given, transposed: o axis a = in axis
 * perm[a]. */
static void
smap_make(struct smap *m, const struct nn_ptensor *o,
    const struct nn_ptensor **in, int nin, const int64_t *perm)
{
	int64_t pd[TL_NN_MAXRANK], ls[3][TL_NN_MAXRANK], st = 1;
	int po[TL_NN_MAXRANK];

	phys(o, pd, po);
	m->nops = nin + 1;
	for (int j = 0; j < nin; j++) {
		int64_t l[TL_NN_MAXRANK];
		logical_strides(in[j], l);
		for (int a = 0; a < o->rank; a++) {
			int ia = a - (o->rank - in[j]->rank);
			if (perm)
				ls[j][a] = l[perm[a]];
			else
				ls[j][a] = ia < 0 || in[j]->dims[ia] == 1 ? 0 : l[ia];
		}
	}
	m->nd = 0;
	/* build outermost first, dropping unit dims */
	{
		int64_t os[TL_NN_MAXRANK];
		st = 1;
		for (int k = o->rank - 1; k >= 0; k--) {
			os[k] = st;
			st *= pd[k];
		}
		for (int k = 0; k < o->rank; k++) {
			if (pd[k] == 1)
				continue;
			m->d[m->nd] = pd[k];
			m->s[0][m->nd] = os[k];
			for (int j = 0; j < nin; j++)
				m->s[j + 1][m->nd] = ls[j][po[k]];
			m->nd++;
		}
	}
	/* merge an axis into the next when every operand allows it */
	for (int k = m->nd - 2; k >= 0; k--) {
		int ok = 1;
		for (int j = 0; j < m->nops; j++)
			ok &= m->s[j][k] == m->s[j][k + 1] * m->d[k + 1];
		if (!ok)
			continue;
		m->d[k] *= m->d[k + 1];
		for (int j = 0; j < m->nops; j++)
			m->s[j][k] = m->s[j][k + 1];
		for (int q = k + 1; q < m->nd - 1; q++) {
			m->d[q] = m->d[q + 1];
			for (int j = 0; j < m->nops; j++)
				m->s[j][q] = m->s[j][q + 1];
		}
		m->nd--;
	}
	if (m->nd == 0) {
		m->nd = 1;
		m->d[0] = 1;
		for (int j = 0; j < m->nops; j++)
			m->s[j][0] = 0;
	}
}

enum bop { B_COPY, B_ADD, B_SUB, B_MUL, B_DIV };

struct smap_job {
	const struct smap *m;
	float *o;
	const float *a, *b;
	enum bop op;
};

HOT static void
row_op(enum bop op, float *restrict o, const float *restrict a,
    const float *restrict b, int64_t n, int64_t so, int64_t sa, int64_t sb)
{
	if (op == B_COPY) {
		if (so == 1 && sa == 1)
			memcpy(o, a, n * sizeof *o);
		else
			for (int64_t i = 0; i < n; i++)
				o[i * so] = a[i * sa];
		return;
	}
	if (so == 1 && sa == 1 && sb == 1) {
		switch (op) {
		case B_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + b[i]; return;
		case B_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - b[i]; return;
		case B_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * b[i]; return;
		case B_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / b[i]; return;
		default: break;
		}
	}
	if (so == 1 && sa == 1 && sb == 0) {
		float y = b[0];
		switch (op) {
		case B_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + y; return;
		case B_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - y; return;
		case B_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * y; return;
		case B_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / y; return;
		default: break;
		}
	}
	for (int64_t i = 0; i < n; i++) {
		float x = a[i * sa], y = op == B_COPY ? 0 : b[i * sb], z;
		switch (op) {
		case B_ADD: z = x + y; break;
		case B_SUB: z = x - y; break;
		case B_MUL: z = x * y; break;
		case B_DIV: z = x / y; break;
		default: z = x;
		}
		o[i * so] = z;
	}
}

static void
smap_rows(void *ctx, int64_t lo, int64_t hi)
{
	struct smap_job *j = ctx;
	const struct smap *m = j->m;
	int last = m->nd - 1;

	for (int64_t r = lo; r < hi; r++) {
		int64_t rem = r, oo = 0, oa = 0, ob = 0;
		for (int k = last - 1; k >= 0; k--) {
			int64_t i = rem % m->d[k];
			rem /= m->d[k];
			oo += i * m->s[0][k];
			oa += i * m->s[1][k];
			if (m->nops > 2)
				ob += i * m->s[2][k];
		}
		row_op(j->op, j->o + oo, j->a + oa, j->b ? j->b + ob : NULL,
		    m->d[last], m->s[0][last], m->s[1][last],
		    m->nops > 2 ? m->s[2][last] : 0);
	}
}

static void
smap_run(struct nn_pool *pool, const struct smap *m, enum bop op, float *o,
    const float *a, const float *b)
{
	struct smap_job j = { m, o, a, b, op };
	int64_t rows = 1;

	for (int k = 0; k < m->nd - 1; k++)
		rows *= m->d[k];
	nn_pool_for(pool, rows, 1 + 16384 / m->d[m->nd - 1], smap_rows, &j);
}

void
nn_convert(struct nn_pool *pool, const float *src, float *dst,
    const int64_t dims[4], int to_nhwc)
{
	struct nn_ptensor s = { .rank = 4, .nhwc = !to_nhwc };
	struct nn_ptensor d = { .rank = 4, .nhwc = to_nhwc };
	const struct nn_ptensor *in = &s;
	struct smap m;

	memcpy(s.dims, dims, 4 * sizeof *dims);
	memcpy(d.dims, dims, 4 * sizeof *dims);
	smap_make(&m, &d, &in, 1, NULL);
	smap_run(pool, &m, B_COPY, dst, src, NULL);
}

/* ---- activations ---- */

struct act_job {
	float *o;
	const float *a;
	enum nn_op op;
	float p0, p1;
};

HOT static void
act_rows(void *ctx, int64_t lo, int64_t hi)
{
	struct act_job *j = ctx;
	float *restrict o = j->o;
	const float *restrict a = j->a;
	float p0 = j->p0, p1 = j->p1;

	/* o may equal a (in place): element i only reads a[i] */
	switch (j->op) {
	case OP_RELU:
		for (int64_t i = lo; i < hi; i++)
			o[i] = a[i] > 0 ? a[i] : 0;
		break;
	case OP_CLIP:
		for (int64_t i = lo; i < hi; i++) {
			float v = a[i] < p0 ? p0 : a[i];
			o[i] = v > p1 ? p1 : v;
		}
		break;
	case OP_SIGMOID:
		for (int64_t i = lo; i < hi; i++)
			o[i] = 1 / (1 + expf(-a[i]));
		break;
	case OP_HARDSIGMOID:
		for (int64_t i = lo; i < hi; i++) {
			float v = p0 * a[i] + p1;
			o[i] = v < 0 ? 0 : v > 1 ? 1 : v;
		}
		break;
	case OP_HARDSWISH:
		for (int64_t i = lo; i < hi; i++) {
			float v = a[i] / 6 + 0.5f;
			o[i] = a[i] * (v < 0 ? 0 : v > 1 ? 1 : v);
		}
		break;
	default:
		break;
	}
}

static void
act_run(struct nn_pool *pool, enum nn_op op, float *o, const float *a,
    int64_t n, float p0, float p1)
{
	struct act_job j = { o, a, op, p0, p1 };

	nn_pool_for(pool, n, 8192, act_rows, &j);
}

/* ---- convolution ---- */

struct conv_job {
	const float *x, *w, *bias, *res;
	float *y, *col;
	int64_t n, h, w_, c, oh, ow, m, kh, kw, sh, sw, dh, dw, pt, pl;
	int64_t g, cg, row0, kg, groups, slot_size, rb;
	int act, slot, isa;
	float lo, hi;
};

/* Depthwise: w [KH*KW][C]; rows are (n, oy).  One output pixel at a time,
 * channels in blocks of B held in registers across the taps [ky0,ky1) x
 * [kx0,kx1) that fall inside the image. */
static inline __attribute__((always_inline)) void
dw_block(const struct conv_job *j, const float *xrow, const float *wrow,
    float *yo, int64_t ky0, int64_t ky1, int64_t kx0, int64_t kx1, int64_t c0,
    float l, float h, const int B)
{
	float acc[64];
	int64_t C = j->c, xs = j->dh * j->w_ * C, xd = j->dw * C;

	for (int c = 0; c < B; c++)
		acc[c] = j->bias ? j->bias[c0 + c] : 0;
	for (int64_t ky = ky0; ky < ky1; ky++) {
		const float *xp = xrow + ky * xs + kx0 * xd + c0;
		const float *wp = wrow + (ky * j->kw + kx0) * C + c0;
		for (int64_t kx = kx0; kx < kx1; kx++, xp += xd, wp += C)
			for (int c = 0; c < B; c++)
				acc[c] += xp[c] * wp[c];
	}
	for (int c = 0; c < B; c++) {
		float v = acc[c] < l ? l : acc[c];
		yo[c0 + c] = v > h ? h : v;
	}
}

/* One output pixel (n, oy, ox) of a depthwise convolution, any kernel,
 * stride, dilation and padding. */
HOT static void
dw_pixel(const struct conv_job *j, int64_t n, int64_t oy, int64_t ox)
{
	int64_t C = j->c, iy0 = oy * j->sh - j->pt, ix0 = ox * j->sw - j->pl;
	int64_t ky0 = 0, ky1 = j->kh, kx0 = 0, kx1 = j->kw, c0 = 0;
	float l = j->act ? j->lo : -INFINITY, h = j->act ? j->hi : INFINITY;
	float *yo = j->y + ((n * j->oh + oy) * j->ow + ox) * C;
	/* tap (0,0) of this pixel, maybe outside the image: only taps inside
	 * are dereferenced */
	const float *xrow = j->x + ((n * j->h + iy0) * j->w_ + ix0) * C;

	while (ky0 < ky1 && iy0 + ky0 * j->dh < 0)
		ky0++;
	while (ky1 > ky0 && iy0 + (ky1 - 1) * j->dh >= j->h)
		ky1--;
	while (kx0 < kx1 && ix0 + kx0 * j->dw < 0)
		kx0++;
	while (kx1 > kx0 && ix0 + (kx1 - 1) * j->dw >= j->w_)
		kx1--;
	for (; c0 + 64 <= C; c0 += 64)
		dw_block(j, xrow, j->w, yo, ky0, ky1, kx0, kx1, c0, l, h, 64);
	for (; c0 + 16 <= C; c0 += 16)
		dw_block(j, xrow, j->w, yo, ky0, ky1, kx0, kx1, c0, l, h, 16);
	for (; c0 < C; c0++)
		dw_block(j, xrow, j->w, yo, ky0, ky1, kx0, kx1, c0, l, h, 1);
}

static void
dw_rows(void *ctx, int64_t lo, int64_t hi)
{
	struct conv_job *j = ctx;

	for (int64_t r = lo; r < hi; r++)
		for (int64_t ox = 0; ox < j->ow; ox++)
			dw_pixel(j, r / j->oh, r % j->oh, ox);
}

#if defined(__x86_64__)
/* Depthwise 3x3, dilation 1, C a multiple of 16, AVX-512: channels in zmm
 * lanes, PX output pixels side by side times NB blocks of 16 channels,
 * every tap inside the image.  x: tap (0,0) of the first pixel; xs: input
 * row stride; xd: input step between output pixels; w: [9][C] at the
 * block's channel; y: the first pixel's output.  Same sums in the same
 * order as dw_block (bias, then taps row by row). */
#define TDW __attribute__((target("avx512f,fma"), always_inline)) static inline
TDW void
dw3_px(const int NB, const int PX, const float *x, int64_t xs, int64_t xd,
    int64_t C, const float *w, const float *b, float *y, __m512 lo,
    __m512 hi)
{
	__m512 acc[2][4];

	for (int q = 0; q < NB; q++) {
		__m512 bv = b ? _mm512_loadu_ps(b + 16 * q) : _mm512_setzero_ps();
		for (int p = 0; p < PX; p++)
			acc[p][q] = bv;
	}
	for (int ky = 0; ky < 3; ky++)
		for (int kx = 0; kx < 3; kx++)
			for (int q = 0; q < NB; q++) {
				__m512 wv = _mm512_loadu_ps(w + (ky * 3 + kx) * C + 16 * q);
				for (int p = 0; p < PX; p++)
					acc[p][q] = _mm512_fmadd_ps(_mm512_loadu_ps(x +
					    ky * xs + kx * C + p * xd + 16 * q), wv,
					    acc[p][q]);
			}
	for (int p = 0; p < PX; p++)
		for (int q = 0; q < NB; q++)
			_mm512_storeu_ps(y + p * C + 16 * q, _mm512_min_ps(
			    _mm512_max_ps(acc[p][q], lo), hi));
}

/* A border pixel: only taps [ky0,ky1) x [kx0,kx1) are inside. */
TDW void
dw3_edge(const int NB, const float *x, int64_t xs, int64_t C, const float *w,
    const float *b, float *y, int64_t ky0, int64_t ky1, int64_t kx0,
    int64_t kx1, __m512 lo, __m512 hi)
{
	__m512 acc[4];

	for (int q = 0; q < NB; q++)
		acc[q] = b ? _mm512_loadu_ps(b + 16 * q) : _mm512_setzero_ps();
	for (int64_t ky = ky0; ky < ky1; ky++)
		for (int64_t kx = kx0; kx < kx1; kx++)
			for (int q = 0; q < NB; q++)
				acc[q] = _mm512_fmadd_ps(_mm512_loadu_ps(x + ky * xs +
				    kx * C + 16 * q), _mm512_loadu_ps(w + (ky * 3 +
				    kx) * C + 16 * q), acc[q]);
	for (int q = 0; q < NB; q++)
		_mm512_storeu_ps(y + 16 * q, _mm512_min_ps(_mm512_max_ps(acc[q],
		    lo), hi));
}

#define DWE(NB) dw3_edge(NB, xp + c0, xs, C, j->w + c0, \
	j->bias ? j->bias + c0 : NULL, yp + c0, ky0, ky1, kx0, kx1, lo, hi)

__attribute__((target("avx512f,fma"))) static void
dw3_pixel512(const struct conv_job *j, int64_t n, int64_t oy, int64_t ox,
    __m512 lo, __m512 hi)
{
	int64_t C = j->c, xs = j->w_ * C, iy0 = oy * j->sh - j->pt,
	    ix0 = ox * j->sw - j->pl, c0 = 0;
	int64_t ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + 3 > j->h ? j->h - iy0 : 3;
	int64_t kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + 3 > j->w_ ? j->w_ - ix0 : 3;
	/* tap (0,0), maybe outside the image: only taps inside are read */
	const float *xp = j->x + ((n * j->h + iy0) * j->w_ + ix0) * C;
	float *yp = j->y + ((n * j->oh + oy) * j->ow + ox) * C;

	for (; c0 + 64 <= C; c0 += 64)
		DWE(4);
	switch ((C - c0) / 16) {
	case 3: DWE(3); break;
	case 2: DWE(2); break;
	case 1: DWE(1); break;
	default: break;
	}
}

#define DW3(NB, PX) dw3_px(NB, PX, xp + c0, xs, xd, C, j->w + c0, \
	j->bias ? j->bias + c0 : NULL, yp + c0, lo, hi)

__attribute__((target("avx512f,fma"))) static void
dw3_rows512(void *ctx, int64_t rlo, int64_t rhi)
{
	struct conv_job *j = ctx;
	int64_t C = j->c, xs = j->w_ * C, xd = j->sw * C;
	/* output columns whose taps are all inside: [oxa, oxb) */
	int64_t oxa = (j->pl + j->sw - 1) / j->sw, oxb = j->w_ - 3 + j->pl < 0 ?
	    0 : (j->w_ - 3 + j->pl) / j->sw + 1;
	__m512 lo = _mm512_set1_ps(j->act ? j->lo : -INFINITY),
	    hi = _mm512_set1_ps(j->act ? j->hi : INFINITY);

	oxb = oxb < j->ow ? oxb : j->ow;
	oxa = oxa < oxb ? oxa : oxb;
	for (int64_t r = rlo; r < rhi; r++) {
		int64_t n = r / j->oh, oy = r % j->oh, iy0 = oy * j->sh - j->pt, ox;
		if (iy0 < 0 || iy0 + 3 > j->h) {
			for (ox = 0; ox < j->ow; ox++)
				dw3_pixel512(j, n, oy, ox, lo, hi);
			continue;
		}
		for (ox = 0; ox < oxa; ox++)
			dw3_pixel512(j, n, oy, ox, lo, hi);
		for (; ox < oxb; ox += 2) {
			const float *xp = j->x + ((n * j->h + iy0) * j->w_ + ox *
			    j->sw - j->pl) * C;
			float *yp = j->y + (r * j->ow + ox) * C;
			int64_t c0 = 0;
			if (ox + 1 < oxb) {
				for (; c0 + 64 <= C; c0 += 64)
					DW3(4, 2);
				switch ((C - c0) / 16) {
				case 3: DW3(3, 2); break;
				case 2: DW3(2, 2); break;
				case 1: DW3(1, 2); break;
				default: break;
				}
			} else {
				for (; c0 + 64 <= C; c0 += 64)
					DW3(4, 1);
				switch ((C - c0) / 16) {
				case 3: DW3(3, 1); break;
				case 2: DW3(2, 1); break;
				case 1: DW3(1, 1); break;
				default: break;
				}
			}
		}
		for (ox = oxb; ox < j->ow; ox++)
			dw3_pixel512(j, n, oy, ox, lo, hi);
	}
}
#endif

/* im2col of output pixels [lo, hi) for group g into col
 * [hi-lo][KH*KW*Cg], in (ky, kx, ci) order to match OHWI weights. */
HOT static void
im2col(const struct conv_job *j, int64_t lo, int64_t hi, int64_t g,
    float *col)
{
	int64_t cg = j->cg, ohw = j->oh * j->ow, run = j->kw * cg;
	int64_t n = lo / ohw, oy = lo % ohw / j->ow, ox = lo % j->ow;
	int runs = j->dw == 1 && j->groups == 1;

	for (int64_t p = lo; p < hi; p++) {
		float *restrict dst = col + (p - lo) * j->kg;
		int64_t ix0 = ox * j->sw - j->pl;
		int inx = runs && ix0 >= 0 && ix0 + j->kw <= j->w_;
		for (int64_t ky = 0; ky < j->kh; ky++) {
			int64_t iy = oy * j->sh - j->pt + ky * j->dh;
			const float *restrict row;
			if (iy < 0 || iy >= j->h) {
				memset(dst, 0, run * sizeof *dst);
				dst += run;
				continue;
			}
			row = j->x + (n * j->h + iy) * j->w_ * j->c;
			if (inx) {
				/* the row of taps is one run of input */
				const float *restrict src = row + ix0 * j->c;
				for (int64_t q = 0; q < run; q++)
					dst[q] = src[q];
				dst += run;
				continue;
			}
			for (int64_t kx = 0; kx < j->kw; kx++, dst += cg) {
				int64_t ix = ix0 + kx * j->dw;
				if (ix < 0 || ix >= j->w_)
					memset(dst, 0, cg * sizeof *dst);
				else
					memcpy(dst, row + ix * j->c + g * cg,
					    cg * sizeof *dst);
			}
		}
		if (++ox == j->ow) {
			ox = 0;
			if (++oy == j->oh) {
				oy = 0;
				n++;
			}
		}
	}
}

/* Output pixels per GEMM: the input (or im2col) block and the output
 * block stay in L2 (~256 KB for both); with several threads at least 4
 * blocks each.  Blocks are even and multiples of the 8-row tile.  The
 * blocks never change a result (each element sums its k in order), only
 * the speed. */
static int64_t
conv_block_rows(int64_t kg, int64_t m, int64_t rows, int threads)
{
	int64_t rb = ((int64_t)1 << 16) / (kg + m), nb;

	if (threads > 1 && rb > (rows + 4 * threads - 1) / (4 * threads))
		rb = (rows + 4 * threads - 1) / (4 * threads);
	rb = rb < 8 ? 8 : rb > 1024 ? 1024 : rb;
	nb = (rows + rb - 1) / rb;
	rb = (rows + nb - 1) / nb;
	return (rb + 7) & ~(int64_t)7;
}

/* A thread's share of output pixels, blocks [blo, bhi) of a grid fixed by
 * the shapes alone (so the thread count never changes a result), each one
 * GEMM per group with bias, activation and residual in its epilogue.
 * Pointwise convolutions read the input in place; others im2col the block
 * into the thread's own slice of scratch. */
static void
gemm_rows(void *ctx, int64_t blo, int64_t bhi)
{
	struct conv_job *j = ctx;
	int64_t rows = j->n * j->oh * j->ow, mg = j->m / j->groups;
	int64_t rb = j->rb, hi = bhi * rb < rows ? bhi * rb : rows;
	int64_t gsize = nn_gemm_packed_size(j->kg, mg);
	float *col = NULL;

	if (j->col)
		col = j->col + __atomic_fetch_add(&j->slot, 1, __ATOMIC_RELAXED) *
		    j->slot_size;
	for (int64_t r0 = blo * rb; r0 < hi; r0 += rb) {
		int64_t nr = hi - r0 < rb ? hi - r0 : rb;
		for (int64_t g = 0; g < j->groups; g++) {
			const float *a = j->x + r0 * j->c;
			int64_t lda = j->c;
			struct nn_gemm_epi ep = {
				.bias = j->bias ? j->bias + g * mg : NULL,
				.act = j->act, .lo = j->lo, .hi = j->hi,
				.res = j->res ? j->res + r0 * j->m + g * mg : NULL,
				.ldr = j->m,
			};
			if (col) {
				im2col(j, r0, r0 + nr, g, col);
				a = col;
				lda = j->kg;
			}
			nn_gemm(j->isa, nr, mg, j->kg, a, lda, j->w + g * gsize,
			    j->y + r0 * j->m + g * mg, j->m, &ep);
		}
	}
}

int
nn_conv_kind(const struct nn_node *nd, const struct nn_ptensor *x,
    const struct nn_ptensor *w)
{
	const struct nn_attrs *A = &nd->a;

	if (w->dims[1] == 1 && A->group == w->dims[0] && A->group == x->dims[1])
		return 1;	/* depthwise */
	if (w->dims[2] == 1 && w->dims[3] == 1 && A->group == 1 &&
	    A->stride[0] == 1 && A->stride[1] == 1 && !A->pads[0] &&
	    !A->pads[1] && !A->pads[2] && !A->pads[3])
		return 2;	/* pointwise: one GEMM */
	return 0;
}

int64_t
nn_conv_packed_size(int kind, const struct nn_ptensor *w, int64_t group)
{
	int64_t kg = w->dims[1] * w->dims[2] * w->dims[3];

	if (kind == 1)
		return w->n;
	return group * nn_gemm_packed_size(kg, w->dims[0] / group);
}

void
nn_conv_pack(int kind, const struct nn_ptensor *w, int64_t group,
    const float *src, float *dst)
{
	int64_t co = w->dims[0], ci = w->dims[1], kk = w->dims[2] * w->dims[3];
	int64_t mg = co / group, kg = ci * kk;

	if (kind == 1) {
		/* depthwise: [KH*KW][C] */
		for (int64_t a = 0; a < co; a++)
			for (int64_t q = 0; q < kk; q++)
				dst[q * co + a] = src[a * kk + q];
		return;
	}
	/* K in (ky, kx, ci) order, im2col's */
	for (int64_t g = 0; g < group; g++)
		nn_gemm_pack(src + g * mg * kg, mg, kg, kk,
		    dst + g * nn_gemm_packed_size(kg, mg));
}

/* A pointwise Conv fused into the depthwise one after it (plan.c's
 * fuse_expand): units are (image, chunk of output rows); each keeps the
 * expanded input rows it needs in a band of rcap rows, computes new rows
 * with nn_gemm as the band slides down and runs the depthwise kernel on
 * the rows the band covers. */
struct band_job {
	struct conv_job dw;	/* x: set per band */
	void (*fn)(void *, int64_t, int64_t);
	const float *x;		/* pointwise input [N,H,W,cin] */
	const float *ew;	/* packed pointwise weights, NULL: no pre */
	struct nn_gemm_epi ep;
	const float *pw;	/* packed projection weights, NULL: no post */
	float *py;		/* projection output [N,OH,OW,cout] */
	struct nn_gemm_epi pep;
	int64_t cin, cout, rcap, nchunk, slot_size;
	float *buf;
	int slot;
};

/* Band rows: about 256 KB of expanded input, at least one kernel height. */
static int64_t
band_rows(int64_t ek, int64_t w, int64_t c)
{
	int64_t r = ((int64_t)1 << 16) / (w * c + 1);

	return r < ek ? ek : r;
}

static void
band_units(void *ctx, int64_t lo, int64_t hi)
{
	struct band_job *b = ctx;
	const struct conv_job *d = &b->dw;
	int64_t row = d->w_ * d->c, per = (d->oh + b->nchunk - 1) / b->nchunk;
	int64_t ek = (d->kh - 1) * d->dh + 1;
	float *buf = b->buf + __atomic_fetch_add(&b->slot, 1,
	    __ATOMIC_RELAXED) * b->slot_size, *dwbuf = buf + b->rcap * row;

	for (int64_t u = lo; u < hi; u++) {
		int64_t n = u / b->nchunk, oy = u % b->nchunk * per,
		    oy1 = oy + per < d->oh ? oy + per : d->oh, ylo = 0, yhi = 0;
		for (int first = 1; oy < oy1; first = 0) {
			int64_t a = oy * d->sh - d->pt, ob = oy, need;
			struct conv_job j = *d;
			a = a < 0 ? 0 : a;
			if (first || a >= yhi) {
				ylo = yhi = a;
			} else if (a > ylo) {
				memmove(buf, buf + (a - ylo) * row,
				    (yhi - a) * row * sizeof *buf);
				ylo = a;
			}
			/* output rows [oy, ob) whose input rows fit the band */
			for (;;) {
				need = ob * d->sh - d->pt + ek;
				need = need < d->h ? need : d->h;
				if (ob >= oy1 || need - ylo > b->rcap ||
				    ob - oy >= b->rcap)
					break;
				ob++;
			}
			need = (ob - 1) * d->sh - d->pt + ek;
			need = need < d->h ? need : d->h;
			if (b->ew && need > yhi) {
				nn_gemm(d->isa, (need - yhi) * d->w_, d->c, b->cin,
				    b->x + (n * d->h + yhi) * d->w_ * b->cin, b->cin,
				    b->ew, buf + (yhi - ylo) * row, d->c, &b->ep);
				yhi = need;
			}
			/* row ylo of image n at buf; only rows in the band are
			 * read */
			if (b->ew)
				j.x = buf - (n * d->h + ylo) * row;
			/* output row oy at dwbuf, then projected */
			if (b->pw)
				j.y = dwbuf - (n * d->oh + oy) * d->ow * d->c;
			b->fn(&j, n * d->oh + oy, n * d->oh + ob);
			if (b->pw) {
				int64_t o = (n * d->oh + oy) * d->ow;
				struct nn_gemm_epi pep = b->pep;
				if (pep.res)
					pep.res += o * b->cout;
				nn_gemm(d->isa, (ob - oy) * d->ow, b->cout, d->c,
				    dwbuf, d->c, b->pw, b->py + o * b->cout, b->cout,
				    &pep);
			}
			oy = ob;
		}
	}
}

static int
conv_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_attrs *A = &nd->a;
	const struct nn_ptensor *x = &e->p->t[s->pre ? s->mid : s->in[0]],
	    *w = &e->p->t[s->in[1]],
	    *y = &e->p->t[s->post ? s->mid2 : s->out[0]];
	struct conv_job j = { 0 };
	int kind = nn_conv_kind(nd, x, w);
	float *scr = e->scratch;
	const float *wt = s->aux;
	int64_t rows, kk = w->dims[2] * w->dims[3];

	j.x = nn_data(e, s->in[0]);
	j.y = nn_data(e, s->out[0]);
	j.bias = s->nin > 2 && s->in[2] >= 0 ? nn_data(e, s->in[2]) : NULL;
	j.n = x->dims[0], j.c = x->dims[1], j.h = x->dims[2], j.w_ = x->dims[3];
	j.m = y->dims[1], j.oh = y->dims[2], j.ow = y->dims[3];
	j.kh = w->dims[2], j.kw = w->dims[3];
	j.sh = A->stride[0], j.sw = A->stride[1];
	j.dh = A->dil[0], j.dw = A->dil[1];
	j.pt = A->pads[0], j.pl = A->pads[1];
	j.act = nd->act != ACT_NONE;
	j.lo = nd->act_min, j.hi = nd->act_max;
	j.cg = w->dims[1];
	j.kg = kk * j.cg;
	rows = j.n * j.oh * j.ow;
	j.res = s->nin > 3 && s->in[3] >= 0 ? nn_data(e, s->in[3]) : NULL;
	j.isa = e->nn->gemm_isa;
	if (wt == NULL) {
		/* weights computed at run time: pack as plan.c does */
		nn_conv_pack(kind, w, A->group, nn_data(e, s->in[1]), scr);
		wt = scr;
		scr += (nn_conv_packed_size(kind, w, A->group) + 15) & ~(int64_t)15;
	}
	j.w = wt;
	j.groups = A->group;
	if (kind == 1) {
		void (*fn)(void *, int64_t, int64_t) = dw_rows;
#if defined(__x86_64__)
		if (j.isa == NN_GEMM_AVX512 && j.kh == 3 && j.kw == 3 &&
		    j.dh == 1 && j.dw == 1 && j.c % 16 == 0)
			fn = dw3_rows512;
#endif
		if (s->pre || s->post) {
			int threads = nn_pool_threads(e->pool);
			struct band_job b = { .dw = j, .fn = fn };
			b.rcap = band_rows((j.kh - 1) * j.dh + 1, j.w_, j.c);
			if (s->pre) {
				const struct nn_step *ps = &e->p->s[s->pre - 1];
				const struct nn_node *pn = &e->nn->node[ps->node];
				b.x = nn_data(e, s->in[0]);
				b.ew = ps->aux;
				b.ep.bias = s->in[4] >= 0 ? nn_data(e, s->in[4]) :
				    NULL;
				b.ep.act = pn->act != ACT_NONE;
				b.ep.lo = pn->act_min, b.ep.hi = pn->act_max;
				b.cin = e->p->t[s->in[0]].dims[1];
			}
			if (s->post) {
				const struct nn_step *ps = &e->p->s[s->post - 1];
				const struct nn_node *pn = &e->nn->node[ps->node];
				b.pw = ps->aux;
				b.py = nn_data(e, s->out[0]);
				b.cout = e->p->t[s->out[0]].dims[1];
				b.pep.bias = s->in[5] >= 0 ? nn_data(e, s->in[5]) :
				    NULL;
				b.pep.act = pn->act != ACT_NONE;
				b.pep.lo = pn->act_min, b.pep.hi = pn->act_max;
				b.pep.res = s->in[6] >= 0 ? nn_data(e, s->in[6]) :
				    NULL;
				b.pep.ldr = b.cout;
			}
			b.slot_size = b.rcap * (j.w_ + j.ow) * j.c;
			b.buf = scr;
			/* with threads, chunks of rows too when images are few
			 * (rows shared by two chunks are computed twice, the
			 * same way) */
			b.nchunk = threads > 1 ? (4 * threads + j.n - 1) / j.n : 1;
			b.nchunk = b.nchunk < j.oh ? b.nchunk : j.oh;
			nn_pool_for(e->pool, j.n * b.nchunk, 1, band_units, &b);
			return 0;
		}
		nn_pool_for(e->pool, j.n * j.oh, 1, fn, &j);
		return 0;
	}
	j.rb = conv_block_rows(j.kg, j.m, rows, nn_pool_threads(e->pool));
	if (kind == 0) {
		j.col = scr;
		j.slot_size = j.rb * j.kg;
	}
	nn_pool_for(e->pool, (rows + j.rb - 1) / j.rb, 1, gemm_rows, &j);
	return 0;
}

/* ---- pooling (NHWC) ---- */

struct pool_job {
	const float *x;
	float *y;
	int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
	int max, incl;
};

HOT static void
pool_rows(void *ctx, int64_t lo, int64_t hi)
{
	struct pool_job *j = ctx;
	int64_t C = j->c;

	for (int64_t r = lo; r < hi; r++) {
		int64_t n = r / j->oh, oy = r % j->oh;
		for (int64_t ox = 0; ox < j->ow; ox++) {
			float *restrict yo = j->y + (r * j->ow + ox) * C;
			int64_t y0 = oy * j->sh - j->pt, x0 = ox * j->sw - j->pl;
			int64_t cnt = 0, size;
			for (int64_t c = 0; c < C; c++)
				yo[c] = j->max ? -INFINITY : 0;
			for (int64_t ky = 0; ky < j->kh; ky++) {
				int64_t iy = y0 + ky * j->dh;
				if (iy < 0 || iy >= j->h)
					continue;
				for (int64_t kx = 0; kx < j->kw; kx++) {
					int64_t ix = x0 + kx * j->dw;
					const float *restrict xp;
					if (ix < 0 || ix >= j->w)
						continue;
					xp = j->x + ((n * j->h + iy) * j->w + ix) * C;
					cnt++;
					if (j->max)
						for (int64_t c = 0; c < C; c++)
							yo[c] = xp[c] > yo[c] ? xp[c] : yo[c];
					else
						for (int64_t c = 0; c < C; c++)
							yo[c] += xp[c];
				}
			}
			if (j->max)
				continue;
			if (j->incl) {
				/* window clipped to the padded input (PyTorch) */
				int64_t ye = y0 + j->kh, xe = x0 + j->kw;
				ye = ye < j->h + j->pb ? ye : j->h + j->pb;
				xe = xe < j->w + j->pr ? xe : j->w + j->pr;
				size = (ye - y0) * (xe - x0);
			} else
				size = cnt;
			if (size > 0)
				for (int64_t c = 0; c < C; c++)
					yo[c] /= (float)size;
		}
	}
}

HOT static void
gpool_rows(void *ctx, int64_t lo, int64_t hi)
{
	struct pool_job *j = ctx;
	int64_t C = j->c, hw = j->h * j->w;

	for (int64_t n = lo; n < hi; n++) {
		float *restrict yo = j->y + n * C;
		for (int64_t c = 0; c < C; c++)
			yo[c] = j->max ? -INFINITY : 0;
		for (int64_t p = 0; p < hw; p++) {
			const float *restrict xp = j->x + (n * hw + p) * C;
			if (j->max)
				for (int64_t c = 0; c < C; c++)
					yo[c] = xp[c] > yo[c] ? xp[c] : yo[c];
			else
				for (int64_t c = 0; c < C; c++)
					yo[c] += xp[c];
		}
		if (!j->max)
			for (int64_t c = 0; c < C; c++)
				yo[c] /= (float)hw;
	}
}

static int
pool_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_attrs *A = &nd->a;
	const struct nn_ptensor *x = &e->p->t[s->in[0]], *y = &e->p->t[s->out[0]];
	struct pool_job j = {
		.x = nn_data(e, s->in[0]), .y = nn_data(e, s->out[0]),
		.n = x->dims[0], .c = x->dims[1], .h = x->dims[2], .w = x->dims[3],
		.oh = y->dims[2], .ow = y->dims[3],
		.kh = A->kernel[0], .kw = A->kernel[1],
		.sh = A->stride[0], .sw = A->stride[1],
		.dh = A->dil[0], .dw = A->dil[1],
		.pt = A->pads[0], .pl = A->pads[1], .pb = A->pads[2],
		.pr = A->pads[3],
		.max = s->op == OP_MAXPOOL || s->op == OP_GLOBALMAXPOOL,
		.incl = A->count_include_pad,
	};

	if (s->op == OP_GLOBALAVGPOOL || s->op == OP_GLOBALMAXPOOL)
		nn_pool_for(e->pool, j.n, 1, gpool_rows, &j);
	else
		nn_pool_for(e->pool, j.n * j.oh, 1, pool_rows, &j);
	return 0;
}

/* ---- the rest ---- */

static void
bn_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_ptensor *x = &e->p->t[s->in[0]];
	const float *g = nn_data(e, s->in[1]), *b = nn_data(e, s->in[2]),
	    *mu = nn_data(e, s->in[3]), *var = nn_data(e, s->in[4]);
	const float *xd = nn_data(e, s->in[0]);
	float *y = nn_data(e, s->out[0]), *sc = e->scratch, *sh;
	int64_t C = x->dims[1], outer, inner;

	sh = sc + C;
	for (int64_t c = 0; c < C; c++) {
		sc[c] = g[c] / sqrtf(var[c] + nd->a.eps);
		sh[c] = b[c] - mu[c] * sc[c];
	}
	if (x->rank == 4 && x->nhwc) {
		outer = C > 0 ? x->n / C : 0;
		for (int64_t o = 0; o < outer; o++)
			for (int64_t c = 0; c < C; c++)
				y[o * C + c] = xd[o * C + c] * sc[c] + sh[c];
		return;
	}
	outer = x->dims[0];
	inner = outer * C > 0 ? x->n / (outer * C) : 0;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t c = 0; c < C; c++)
			for (int64_t i = 0; i < inner; i++) {
				int64_t k = (o * C + c) * inner + i;
				y[k] = xd[k] * sc[c] + sh[c];
			}
}

static void
concat_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_ptensor *y = &e->p->t[s->out[0]];
	int64_t pd[TL_NN_MAXRANK], ax = nd->a.axis < 0 ? nd->a.axis + y->rank :
	    nd->a.axis, outer = 1, rowo, off = 0;
	int perm[TL_NN_MAXRANK], pos = 0;
	float *yd = nn_data(e, s->out[0]);

	phys(y, pd, perm);
	while (perm[pos] != ax)
		pos++;
	for (int k = 0; k < pos; k++)
		outer *= pd[k];
	rowo = outer ? y->n / outer : 0;
	for (int j = 0; j < s->nin; j++) {
		const struct nn_ptensor *t = &e->p->t[s->in[j]];
		const float *src = nn_data(e, s->in[j]);
		int64_t c = outer ? t->n / outer : 0;
		for (int64_t r = 0; r < outer; r++)
			memcpy(yd + r * rowo + off, src + r * c, c * sizeof *yd);
		off += c;
	}
}

struct fc_job {
	int isa;
	int64_t m, n, k;
	const float *a, *bp;
	float *y;
	struct nn_gemm_epi ep;
};

/* columns [48*lo, 48*hi) of a packed-B Gemm */
static void
fc_cols(void *ctx, int64_t lo, int64_t hi)
{
	struct fc_job *j = ctx;
	int64_t c0 = 48 * lo, c1 = 48 * hi < j->n ? 48 * hi : j->n;
	struct nn_gemm_epi ep = j->ep;

	if (ep.bias)
		ep.bias += c0;
	nn_gemm(j->isa, j->m, c1 - c0, j->k, j->a, j->k, j->bp + c0 * j->k,
	    j->y + c0, j->n, &ep);
}

static void
gemm_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_attrs *A = &nd->a;
	const struct nn_ptensor *a = &e->p->t[s->in[0]], *b = &e->p->t[s->in[1]],
	    *y = &e->p->t[s->out[0]];
	int64_t M = y->dims[0], N = y->dims[1], K = A->trans_a ? a->dims[0] :
	    a->dims[1];
	float *yd = nn_data(e, s->out[0]), beta = 0;

	if (s->aux) {
		/* packed B (plan.c's gemm_packable): C is a bias row */
		struct fc_job j = { e->nn->gemm_isa, M, N, K, nn_data(e, s->in[0]),
		    s->aux, yd, { 0 } };
		if (s->nin > 2 && s->in[2] >= 0 && A->beta != 0)
			j.ep.bias = nn_data(e, s->in[2]);
		nn_pool_for(e->pool, (N + 47) / 48, 1 + 49152 / (M * K + 1),
		    fc_cols, &j);
		return;
	}

	if (s->nin > 2 && s->in[2] >= 0 && A->beta != 0) {
		const struct nn_ptensor *c = &e->p->t[s->in[2]];
		const float *cd = nn_data(e, s->in[2]);
		int64_t r0 = c->rank == 2 ? c->dims[0] : 1,
		    c0 = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
		for (int64_t i = 0; i < M; i++)
			for (int64_t k = 0; k < N; k++)
				yd[i * N + k] = A->beta * cd[(r0 == 1 ? 0 : i) * c0 +
				    (c0 == 1 ? 0 : k)];
		beta = 1;
	}
	if (M && N)
		cblas_sgemm(CblasRowMajor, A->trans_a ? CblasTrans : CblasNoTrans,
		    A->trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
		    A->alpha, nn_data(e, s->in[0]), (int)a->dims[1],
		    nn_data(e, s->in[1]), (int)b->dims[1], beta, yd, (int)N);
}

static void
matmul_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_ptensor *a = &e->p->t[s->in[0]], *b = &e->p->t[s->in[1]],
	    *y = &e->p->t[s->out[0]];
	const float *ad = nn_data(e, s->in[0]), *bd = nn_data(e, s->in[1]);
	float *yd = nn_data(e, s->out[0]);
	int64_t M = a->rank > 1 ? a->dims[a->rank - 2] : 1,
	    K = a->dims[a->rank - 1],
	    N = b->rank > 1 ? b->dims[b->rank - 1] : 1;
	int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
	int ry = ra > rb ? ra : rb;
	int64_t batch = 1, idx[TL_NN_MAXRANK] = { 0 };

	for (int d = 0; d < ry; d++)
		batch *= y->dims[d];
	for (int64_t bi = 0; bi < batch; bi++) {
		int64_t oa = 0, ob = 0, sa = M * K, sb = K * N;
		for (int d = ry - 1; d >= 0; d--) {
			int ia = d - (ry - ra), ib = d - (ry - rb);
			if (ia >= 0) {
				if (a->dims[ia] > 1)
					oa += idx[d] * sa;
				sa *= a->dims[ia];
			}
			if (ib >= 0) {
				if (b->dims[ib] > 1)
					ob += idx[d] * sb;
				sb *= b->dims[ib];
			}
		}
		if (M && N)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
			    (int)M, (int)N, (int)K, 1.0f, ad + oa, (int)K, bd + ob,
			    (int)N, 0.0f, yd + bi * M * N, (int)N);
		for (int d = ry - 1; d >= 0; d--) {
			if (++idx[d] < y->dims[d])
				break;
			idx[d] = 0;
		}
	}
}

static void
softmax_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_ptensor *x = &e->p->t[s->in[0]];
	const float *xd = nn_data(e, s->in[0]);
	float *yd = nn_data(e, s->out[0]);
	int64_t ax = nd->a.axis < 0 ? nd->a.axis + x->rank : nd->a.axis;
	int64_t outer = nn_numel(ax, x->dims), n, inner;

	if (nd->a.opset < 13) {
		n = nn_numel(x->rank - ax, x->dims + ax);
		inner = 1;
	} else {
		n = x->dims[ax];
		inner = nn_numel(x->rank - ax - 1, x->dims + ax + 1);
	}
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < inner; i++) {
			const float *xp = xd + o * n * inner + i;
			float *yp = yd + o * n * inner + i, mx = -INFINITY;
			double sum = 0;
			for (int64_t k = 0; k < n; k++)
				mx = xp[k * inner] > mx ? xp[k * inner] : mx;
			for (int64_t k = 0; k < n; k++)
				sum += yp[k * inner] = expf(xp[k * inner] - mx);
			for (int64_t k = 0; k < n; k++)
				yp[k * inner] = (float)(yp[k * inner] / sum);
		}
}

static void
pad_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_attrs *A = &nd->a;
	const struct nn_ptensor *x = &e->p->t[s->in[0]], *y = &e->p->t[s->out[0]];
	const float *xd = nn_data(e, s->in[0]);
	float *yd = nn_data(e, s->out[0]);
	int64_t xp[TL_NN_MAXRANK], yp[TL_NN_MAXRANK], pb[TL_NN_MAXRANK],
	    xs[TL_NN_MAXRANK], idx[TL_NN_MAXRANK] = { 0 };
	int perm[TL_NN_MAXRANK], r = x->rank;
	float value = A->pad_value;

	if (A->opset >= 11 && s->nin > 2 && s->in[2] >= 0)
		value = nn_data(e, s->in[2])[0];
	phys(x, xp, perm);
	phys(y, yp, perm);
	for (int k = 0; k < r; k++)
		pb[k] = A->padv[perm[k]];
	for (int k = r - 1, st = 1; k >= 0; k--) {
		xs[k] = st;
		st *= (int)xp[k];
	}
	for (int64_t i = 0; i < y->n; i++) {
		int64_t off = 0;
		int in = 1;
		for (int k = 0; k < r && in; k++) {
			int64_t c = idx[k] - pb[k];
			if (c < 0 || c >= xp[k]) {
				if (A->pad_mode == PM_CONSTANT)
					in = 0;
				else if (A->pad_mode == PM_EDGE)
					c = c < 0 ? 0 : xp[k] - 1;
				else
					c = c < 0 ? -c : 2 * (xp[k] - 1) - c;
			}
			off += c * xs[k];
		}
		yd[i] = in ? xd[off] : value;
		for (int k = r - 1; k >= 0; k--) {
			if (++idx[k] < yp[k])
				break;
			idx[k] = 0;
		}
	}
}

static void
gather_exec(struct nn_exec *e, const struct nn_step *s)
{
	const struct nn_node *nd = &e->nn->node[s->node];
	const struct nn_ptensor *x = &e->p->t[s->in[0]], *ix = &e->p->t[s->in[1]];
	const int64_t *idx = s->aux;
	const float *xd = nn_data(e, s->in[0]);
	float *yd = nn_data(e, s->out[0]);
	int64_t ax = nd->a.axis, outer = nn_numel(ax, x->dims),
	    inner = nn_numel(x->rank - ax - 1, x->dims + ax + 1);

	for (int64_t r = 0; r < outer; r++)
		for (int64_t j = 0; j < ix->n; j++)
			memcpy(yd + (r * ix->n + j) * inner,
			    xd + (r * x->dims[ax] + idx[j]) * inner,
			    inner * sizeof *yd);
}

int64_t
nn_step_scratch(const struct tl_nn *nn, const struct nn_plan *p,
    const struct nn_step *s, int threads)
{
	const struct nn_ptensor *x, *w;
	int64_t need = 0, kg;
	int kind;

	if (s->skip)
		return 0;
	switch (s->op) {
	case OP_CONV:
		x = &p->t[s->pre ? s->mid : s->in[0]];
		w = &p->t[s->in[1]];
		if (s->pre || s->post) {
			int64_t kh = w->dims[2], dh = nn->node[s->node].a.dil[0];
			int64_t ow = p->t[s->post ? s->mid2 : s->out[0]].dims[3];
			return threads * band_rows((kh - 1) * dh + 1, x->dims[3],
			    x->dims[1]) * (x->dims[3] + ow) * x->dims[1];
		}
		kg = w->dims[1] * w->dims[2] * w->dims[3];
		kind = nn_conv_kind(&nn->node[s->node], x, w);
		if (s->aux == NULL)
			need += (nn_conv_packed_size(kind, w,
			    nn->node[s->node].a.group) + 15) & ~(int64_t)15;
		if (kind == 0) {
			/* serial runs (slices in parallel) use one slot */
			int64_t rows = p->t[s->out[0]].n / w->dims[0],
			    one = conv_block_rows(kg, w->dims[0], rows, 1),
			    all = threads * conv_block_rows(kg, w->dims[0], rows,
			    threads);
			need += (one > all ? one : all) * kg;
		}
		return need;
	case OP_BATCHNORM:
		return 2 * p->t[s->in[0]].dims[1];
	default:
		return 0;
	}
}

int
nn_step_exec(struct nn_exec *e, const struct nn_step *s, struct tl_err *err)
{
	const struct nn_ptensor *y = &e->p->t[s->out[0]];
	const struct nn_node *nd = s->node >= 0 ? &e->nn->node[s->node] : NULL;
	const struct nn_ptensor *in[2];
	struct smap m;
	float lo, hi;

	if (s->alias || s->skip)
		return 0;
	switch (s->op) {
	case OP_CONV:
		return conv_exec(e, s);
	case OP_MAXPOOL: case OP_AVGPOOL: case OP_GLOBALAVGPOOL:
	case OP_GLOBALMAXPOOL:
		return pool_exec(e, s);
	case OP_BATCHNORM:
		bn_exec(e, s);
		return 0;
	case OP_RELU: case OP_SIGMOID: case OP_HARDSWISH:
		act_run(e->pool, s->op, nn_data(e, s->out[0]),
		    nn_data(e, s->in[0]), y->n, 0, 0);
		return 0;
	case OP_HARDSIGMOID:
		act_run(e->pool, s->op, nn_data(e, s->out[0]),
		    nn_data(e, s->in[0]), y->n, nd->a.alpha, nd->a.beta);
		return 0;
	case OP_CLIP:
		lo = nd->a.minv, hi = nd->a.maxv;
		if (s->nin > 1 && s->in[1] >= 0)
			lo = nn_data(e, s->in[1])[0];
		if (s->nin > 2 && s->in[2] >= 0)
			hi = nn_data(e, s->in[2])[0];
		act_run(e->pool, s->op, nn_data(e, s->out[0]),
		    nn_data(e, s->in[0]), y->n, lo, hi);
		return 0;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
		in[0] = &e->p->t[s->in[0]];
		in[1] = &e->p->t[s->in[1]];
		smap_make(&m, y, in, 2, NULL);
		smap_run(e->pool, &m, s->op == OP_ADD ? B_ADD : s->op == OP_SUB ?
		    B_SUB : s->op == OP_MUL ? B_MUL : B_DIV, nn_data(e, s->out[0]),
		    nn_data(e, s->in[0]), nn_data(e, s->in[1]));
		return 0;
	case OP_TRANSPOSE:
	case OP_CONVERT:
		in[0] = &e->p->t[s->in[0]];
		smap_make(&m, y, in, 1, s->op == OP_TRANSPOSE ? nd->a.perm : NULL);
		smap_run(e->pool, &m, B_COPY, nn_data(e, s->out[0]),
		    nn_data(e, s->in[0]), NULL);
		return 0;
	case OP_CONCAT:
		concat_exec(e, s);
		return 0;
	case OP_GEMM:
		gemm_exec(e, s);
		return 0;
	case OP_MATMUL:
		matmul_exec(e, s);
		return 0;
	case OP_SOFTMAX:
		softmax_exec(e, s);
		return 0;
	case OP_PAD:
		pad_exec(e, s);
		return 0;
	case OP_GATHER:
		gather_exec(e, s);
		return 0;
	default:
		return tl_err_set(err, "node '%s' (%s): no kernel",
		    nd ? nd->name : "", nd ? nd->op_type : "?");
	}
}
