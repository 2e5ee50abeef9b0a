/*
 * nn_int.h - what the files of lib/nn share and nobody else sees: the tensor
 * and node structs, the operator table, the plan, the kernels' entry points
 * and the thread pool.  Not installed, not for cmd/.
 */
#ifndef TL_NN_INT_H
#define TL_NN_INT_H

#include <pthread.h>
#include <stdint.h>

#include "nn.h"

enum nn_op {
	OP_CONV, OP_BATCHNORM, OP_RELU, OP_CLIP, OP_SIGMOID, OP_HARDSIGMOID,
	OP_HARDSWISH, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_CONCAT, OP_MAXPOOL,
	OP_AVGPOOL, OP_GLOBALAVGPOOL, OP_GLOBALMAXPOOL, OP_FLATTEN, OP_RESHAPE,
	OP_GEMM, OP_MATMUL, OP_SOFTMAX, OP_PAD, OP_IDENTITY, OP_TRANSPOSE,
	OP_SQUEEZE, OP_UNSQUEEZE, OP_SHAPE, OP_GATHER,
	OP_CONVERT,	/* internal: layout change inserted by the planner */
	OP_COUNT
};

enum nn_kind { K_INPUT, K_CONST, K_ACT };
enum nn_dtype { DT_F32, DT_I64 };
enum nn_act { ACT_NONE, ACT_RELU, ACT_CLIP };
enum nn_autopad { AP_NOTSET, AP_SAME_UPPER, AP_SAME_LOWER, AP_VALID };
enum nn_padmode { PM_CONSTANT, PM_REFLECT, PM_EDGE };

/* A tensor: logical shape (ONNX order); constants own their data until
 * tl_nn_finish moves them into the weight block. */
struct nn_tensor {
	char *name;
	enum nn_kind kind;
	enum nn_dtype dtype;
	int rank;
	int64_t dims[TL_NN_MAXRANK];	/* declared (inputs) or constant shape */
	float *f;			/* K_CONST, DT_F32 */
	int64_t *i;			/* K_CONST, DT_I64 */
	int64_t n;			/* element count of a constant */
	int producer;			/* node index, -1 for input/const */
	int output;			/* marked with tl_nn_add_output */
	char *fused_into;		/* name of the tensor that replaced it */
};

struct nn_attrs {
	int64_t kernel[2], stride[2], dil[2], pads[4];	/* pads: t,l,b,r */
	int has_kernel;
	enum nn_autopad auto_pad;
	int64_t group;
	int ceil_mode, count_include_pad;
	float alpha, beta, eps, minv, maxv;
	int trans_a, trans_b;
	int64_t axis;
	int64_t perm[TL_NN_MAXRANK];
	int nperm;
	int64_t axes[TL_NN_MAXRANK];
	int naxes;
	enum nn_padmode pad_mode;
	float pad_value;
	int64_t padv[2 * TL_NN_MAXRANK];
	int npadv;
	int64_t start, end;
	int has_end;
	int allowzero;
	int opset;
};

struct nn_node {
	char *name;
	char *op_type;
	enum nn_op op;
	int nin, nout;
	int *in, *out;		/* tensor indices; -1 = omitted optional */
	struct nn_attrs a;
	enum nn_act act;	/* fused activation (Conv) */
	float act_min, act_max;
	int dead;		/* removed by a fusion */
};

/* The thread pool: nthreads-1 workers plus the caller. */
struct nn_pool;
struct nn_pool *nn_pool_new(int nthreads);
void nn_pool_free(struct nn_pool *p);
int nn_pool_threads(const struct nn_pool *p);
/* Calls fn(ctx, lo, hi) over [0, n) split into contiguous chunks of at
 * least grain items, on all threads; returns when all are done. */
void nn_pool_for(struct nn_pool *p, int64_t n, int64_t grain,
    void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx);

/*
 * gemm.c: C[M,N] = epi(A[M,K] x B), A row-major with row stride lda (read
 * in place; nn_gemm_ta: A stored transposed, [K][M] with row stride lda),
 * B packed by nn_gemm_pack from weights w [N][K/kk][kk] (a
 * Conv's OIHW [Cout][Cin][KH*KW]; kk = 1 for a plain [N][K]) into
 * nn_gemm_packed_size(K, N) floats, K then in (kk, K/kk) order as im2col
 * lays out a pixel, or by nn_gemm_pack_strided from B[k][n] at
 * b[k * rs + n * cs].  The epilogue
 * per element: v = acc + bias[col]; if act, v = min(max(v, lo), hi); if res,
 * v += res[row * ldr + col].  With onto, the sums start from C's values
 * instead of 0, and carry on exactly where a call over the k before left
 * them: the way to block K, or to add to C.  isa picks the kernel
 * (nn_gemm_isa_best() for the fastest this CPU runs); each sums k in order
 * with FMA (AVX-512 and AVX2 agree), so a row's result does not depend on
 * the rows or columns computed with it.
 */
enum { NN_GEMM_C, NN_GEMM_AVX2, NN_GEMM_AVX512 };
struct nn_gemm_epi {
	const float *bias;	/* [N] or NULL */
	int act;
	float lo, hi;
	const float *res;	/* [M][ldr] or NULL */
	int64_t ldr;
	int onto;		/* acc starts from C */
};
int64_t nn_gemm_packed_size(int64_t k, int64_t n);
void nn_gemm_pack(const float *w, int64_t n, int64_t k, int64_t kk,
    float *bp);
int nn_gemm_isa_best(void);
int nn_gemm_isa_ok(int isa);
void nn_gemm_pack_strided(const float *b, int64_t k, int64_t n, int64_t rs,
    int64_t cs, float *bp);
void nn_gemm(int isa, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e);
void nn_gemm_ta(int isa, int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *bp, float *c, int64_t ldc,
    const struct nn_gemm_epi *e);

/* One tensor as the plan sees it at a given N. */
struct nn_ptensor {
	int rank;
	int64_t dims[TL_NN_MAXRANK];	/* logical */
	int nhwc;			/* rank 4 stored as [N,H,W,C] */
	int64_t n;			/* elements */
	enum nn_dtype dtype;
	int known;			/* value known at plan time */
	const float *cf;		/* known F32 value */
	const int64_t *ci;		/* known I64 value */
	int root;			/* tensor whose storage this aliases */
	int64_t off;			/* arena offset in floats (roots) */
	int first, last;		/* step range it is live */
	int needed;
	int conv[2];			/* plan tensor holding it NCHW / NHWC, -1 */
};

/* One step: a node with its resolved plan tensors. */
struct nn_step {
	int node;		/* graph node, or -1 for OP_CONVERT */
	enum nn_op op;
	int in[8], nin;
	int out[2], nout;
	int alias;		/* output shares input 0's storage */
	int skip;		/* computed inside a later step (pre) */
	int pre, mid;		/* depthwise Conv: 1 + index of the
				 * pointwise Conv step it runs band by band
				 * before it (0: none), and that step's
				 * output tensor, never stored whole; in[0]
				 * is then the pointwise Conv's input and
				 * in[4] its bias (-1 none) */
	int post, mid2;		/* depthwise Conv: 1 + index of the
				 * pointwise Conv step it feeds band by band
				 * (0: none) and the depthwise output, never
				 * stored whole; out[0] is then that step's
				 * output, in[5] its bias, in[6] its
				 * residual (-1 none) */
	/* Conv: in[2] bias (-1 none), in[3] a residual added in the epilogue
	 * (a fused Add; nin 4) */
	const void *aux;	/* plan-time data: repacked weights, indices */
};

struct nn_plan {
	int n;				/* batch it was made for, 0 = declared */
	struct nn_ptensor *t;		/* graph tensors, then plan extras */
	int nt, capt;
	struct nn_step *s;
	int ns, caps;
	int64_t arena_size;		/* floats */
	int64_t scratch_size;		/* floats */
	void **owned;			/* plan-time constants */
	int nowned, capowned;
	int *outs, nouts;		/* tensor indices the plan computes */
};

/* A run's working memory: the plan's arena and scratch, grown on demand. */
struct nn_buf {
	float *arena, *scratch;
	int64_t arena_cap, scratch_cap;
};

struct tl_nn {
	struct nn_tensor *t;
	int nt, capt;
	struct nn_node *node;
	int nnode, capnode;
	int opset;
	int finished;
	float *weights;			/* every F32 constant */
	int64_t *weights_i64;		/* every I64 constant */
	int *outputs, noutputs;		/* what runs produce */
	int threads;
	struct nn_pool *pool;
	struct nn_plan *plan;
	int slices;			/* last run: n = slices * plan->n */
	int sep_outs[16], sep_nouts;	/* outputs separable() answered for */
	int sep_ok;
	int64_t sep_largest;
	struct nn_buf *buf;		/* [threads]: [0] for runs split over
					 * the pool, one per thread when
					 * slices of images run in parallel */
	struct nn_pool *serial;		/* a pool of one: the caller only */
	int gemm_isa;			/* nn_gemm kernel for this CPU */
	float **wpack;			/* [nnode] packed Conv weights, made by
					 * the first plan that needs them */
};

int nn_find(const struct tl_nn *nn, const char *name);

/* Inline, so that ops.c needs neither graph.c nor plan.c: the files call
 * downward only, graph.c -> plan.c -> ops.c. */
static inline int64_t
nn_numel(int rank, const int64_t *dims)
{
	int64_t n = 1;

	for (int i = 0; i < rank; i++)
		n *= dims[i];
	return n;
}

/* plan.c */
void nn_plan_free(struct nn_plan *p);
int nn_plan_make(struct tl_nn *nn, int n, const int *outs, int nouts,
    struct nn_plan **out, struct tl_err *err);
/* Runs nn->plan with pool's threads in b's memory; slices of images can
 * run concurrently on separate bufs with nn->serial. */
int nn_plan_run(struct tl_nn *nn, struct nn_pool *pool, struct nn_buf *b,
    const struct tl_nn_io *in, int nin,
    const struct tl_nn_io *out, int nout, struct tl_err *err);

/* ops.c: kernels over plan tensors.  Each returns 0, or -1 with err. */
struct nn_exec {
	struct tl_nn *nn;
	struct nn_pool *pool;
	struct nn_plan *p;
	/* graph inputs read in place from the caller's buffers (never
	 * written: no step works in place on an input) */
	int ndirect, direct_t[16];
	const float *direct[16];
	float *arena, *scratch;
};
/* Tensor t's floats: a constant, a caller's input read in place, or the
 * arena. */
static inline float *
nn_data(struct nn_exec *x, int t)
{
	struct nn_ptensor *q = &x->p->t[t];

	if (q->known)
		return (float *)q->cf;
	for (int k = 0; k < x->ndirect; k++)
		if (x->direct_t[k] == q->root)
			return (float *)x->direct[k];
	return x->arena + x->p->t[q->root].off;
}
int nn_step_exec(struct nn_exec *x, const struct nn_step *s,
    struct tl_err *err);
/* Scratch (floats) a step needs beyond its tensors. */
int64_t nn_step_scratch(const struct tl_nn *nn, const struct nn_plan *p,
    const struct nn_step *s, int threads);
/* Convolution kinds: 0 im2col + GEMM, 1 depthwise, 2 pointwise GEMM on
 * the input in place.  Weights are packed once per kind: depthwise as
 * [KH*KW][C], the others per group for nn_gemm. */
int nn_conv_kind(const struct nn_node *nd, const struct nn_ptensor *x,
    const struct nn_ptensor *w);
int64_t nn_conv_packed_size(int kind, const struct nn_ptensor *w,
    int64_t group);
void nn_conv_pack(int kind, const struct nn_ptensor *w, int64_t group,
    const float *src, float *dst);
/* Copies src (rank 4, nhwc or not) into dst of the other layout. */
void nn_convert(struct nn_pool *pool, const float *src, float *dst,
    const int64_t dims[4], int to_nhwc);

#endif
