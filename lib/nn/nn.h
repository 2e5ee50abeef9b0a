/*
 * nn.h - the inference engine: a float32 graph of named tensors and nodes
 * with ONNX operator semantics, built either by a loader (tl_nn_load_onnx)
 * or programmatically (the builder functions below), then run on batches of
 * N images.
 *
 * What it does: validates the graph at load (an unsupported operator or
 * attribute is an error naming the node and its op_type, never a run-time
 * surprise), folds BatchNormalization and Relu/Clip into the preceding Conv,
 * evaluates shape arithmetic (Shape, Gather, Unsqueeze, Concat on int64
 * constants) once, keeps 4-D activations in NHWC internally, and executes a
 * plan in which activation buffers share one arena (a buffer is reused after
 * its last consumer).  What it does not: training, int8, dtypes other than
 * float32 for activations (int64 only as constants), more than 2 spatial
 * dimensions in Conv and pooling.
 *
 * Shapes are written in ONNX ("logical") order: a 4-D activation is
 * [N,C,H,W] in every query and in the builder, whatever its memory order.
 * Data passed in and out says its layout (enum tl_nn_layout).
 *
 * Ownership: a struct tl_nn owns everything it allocates; every string and
 * array passed to a tl_nn_ function is copied, the caller keeps its own.
 * Strings returned by queries belong to the graph and live until tl_nn_free.
 * A struct tl_nn is not safe for concurrent calls; use one per thread (the
 * engine parallelises a run itself).  Functions returning int return 0 or -1
 * with err filled (err may be NULL).
 */
#ifndef TL_NN_H
#define TL_NN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TL_NN_MAXRANK 8

struct tl_nn;

/* Memory order of data handed to or taken from tl_nn_run*.  Only matters for
 * 4-D tensors: TL_NN_NHWC is [N,H,W,C] (images as they come), TL_NN_NCHW the
 * ONNX order [N,C,H,W].  Other ranks are always plain C order. */
enum tl_nn_layout {
	TL_NN_NHWC,
	TL_NN_NCHW
};

/* threads: the engine's worker threads (the caller's included); 0 means
 * $TL_THREADS if set, else $OPENBLAS_NUM_THREADS, else the online cores.
 * Convolutions and Gemm with constant weights run on the engine's own
 * kernels; it splits the
 * rest itself too, so a run sets OpenBLAS (MatMul, other Gemm) to one
 * thread (openblas_set_num_threads(1): process-wide, OpenBLAS has no
 * per-call setting).  The thread count never changes a result, bit for
 * bit. */
struct tl_nn_opts {
	int threads;
};

/* Fills o with the defaults (threads 0). */
void tl_nn_opts_init(struct tl_nn_opts *o);

/*
 * Loading.  tl_nn_load_onnx reads, validates and finishes an ONNX model:
 * the result is ready to run, its output the graph's first output.  opts may
 * be NULL (defaults).  The caller frees the result with tl_nn_free.
 *
 * tl_nn_read_onnx stops before tl_nn_finish: the graph is still in the
 * building state, so a caller can bind inputs to constants (tl_nn_add_weights
 * on an input's name) or add outputs before finishing it.
 */
struct tl_nn *tl_nn_load_onnx(const char *path, const struct tl_nn_opts *opts,
    struct tl_err *err);
struct tl_nn *tl_nn_read_onnx(const char *path, struct tl_err *err);
/* Same from a serialized ModelProto in memory (len bytes, not kept). */
struct tl_nn *tl_nn_read_onnx_mem(const void *buf, size_t len, struct tl_err *err);

/*
 * Building.  The vocabulary is ONNX's: op_type is an ONNX operator name
 * (default domain), attributes have ONNX names and meanings at the graph's
 * opset (tl_nn_set_opset; default 13), weights are in ONNX layouts (Conv W is
 * [Cout, Cin/group, KH, KW], Gemm B is [K, M] unless transB).  A loader for
 * another format (Keras) translates into it: a Keras model is NHWC, so its
 * loader declares the input [N,C,H,W] and inserts Transpose perm=[0,2,3,1]
 * before a Flatten that must see H,W,C order (free here: the engine already
 * holds 4-D data NHWC, so that Transpose is a no-op alias).
 *
 * Nodes must be added in topological order (every input already exists as
 * an input, weights or an earlier node's output).  An empty name "" stands
 * for an omitted optional input, as in ONNX.  Errors name the node and
 * op_type: "node 'conv1' (Conv): unsupported attribute auto_pad=FOO".
 */
enum tl_nn_attr_type {
	TL_NN_ATTR_INT,
	TL_NN_ATTR_FLOAT,
	TL_NN_ATTR_STRING,
	TL_NN_ATTR_INTS,
	TL_NN_ATTR_FLOATS
};

struct tl_nn_attr {
	const char *name;
	enum tl_nn_attr_type type;
	int64_t i;		/* TL_NN_ATTR_INT */
	float f;		/* TL_NN_ATTR_FLOAT */
	const char *s;		/* TL_NN_ATTR_STRING */
	const int64_t *ints;	/* TL_NN_ATTR_INTS, n of them */
	const float *floats;	/* TL_NN_ATTR_FLOATS, n of them */
	int n;
};

/* An empty graph in the building state; NULL only on allocation failure. */
struct tl_nn *tl_nn_new(struct tl_err *err);

/* Opset of the default ONNX domain the nodes follow (1..TL_NN_MAX_OPSET). */
#define TL_NN_MAX_OPSET 18
int tl_nn_set_opset(struct tl_nn *nn, int opset, struct tl_err *err);

/* A graph input of the given logical shape; dims[0] < 0 marks a batch
 * dimension that each run sets.  Only float32 inputs. */
int tl_nn_add_input(struct tl_nn *nn, const char *name, int rank,
    const int64_t *dims, struct tl_err *err);

/* A constant (initializer), copied.  On a name already declared as an input
 * it binds that input to the constant (the input disappears). */
int tl_nn_add_weights(struct tl_nn *nn, const char *name, int rank,
    const int64_t *dims, const float *data, struct tl_err *err);
int tl_nn_add_weights_i64(struct tl_nn *nn, const char *name, int rank,
    const int64_t *dims, const int64_t *data, struct tl_err *err);

/* A node; its outputs are new tensors named by outputs[] ("" = unused). */
int tl_nn_add_node(struct tl_nn *nn, const char *name, const char *op_type,
    const char *const *inputs, int nin, const char *const *outputs, int nout,
    const struct tl_nn_attr *attrs, int nattr, struct tl_err *err);

/* Marks a tensor as a graph output (kept: never fused away).  The first
 * output added is the one tl_nn_run writes. */
int tl_nn_add_output(struct tl_nn *nn, const char *name, struct tl_err *err);

/* Ends building: checks every node's shapes, folds a zero Pad of H and W
 * read only by a Conv (explicit pads or VALID) into its pads, folds
 * BatchNormalization into Conv, fuses Relu/Clip into Conv, packs all
 * weights into one allocation and makes an execution plan.  opts may be NULL.  After a failure the graph can
 * only be freed. */
int tl_nn_finish(struct tl_nn *nn, const struct tl_nn_opts *opts,
    struct tl_err *err);

/*
 * Queries (finished graph).  Shapes are logical (ONNX order); the batch
 * dimension reads as the last run's N (or the declared one, 1 if dynamic).
 * Each returns the rank, or -1 with err filled.
 */
int tl_nn_input_shape(const struct tl_nn *nn, int64_t dims[TL_NN_MAXRANK],
    struct tl_err *err);
int tl_nn_output_shape(const struct tl_nn *nn, int64_t dims[TL_NN_MAXRANK],
    struct tl_err *err);
int tl_nn_tensor_shape(const struct tl_nn *nn, const char *name,
    int64_t dims[TL_NN_MAXRANK], struct tl_err *err);

/* The computed tensors (layers) in execution order: index 0.. until NULL.
 * If op is not NULL it receives the producing node's op_type ("Conv" for a
 * Conv fused with its Relu; the fused tensor carries the Relu's name). */
const char *tl_nn_list_tensors(const struct tl_nn *nn, int index,
    const char **op);

/* Makes tensor `name` the one output: later runs compute only the nodes it
 * depends on.  A tensor fused away at load (a Conv's pre-activation output,
 * a zero Pad folded into the Conv after it) is an error naming the tensor
 * to use instead: the Conv's activated output. */
int tl_nn_set_output(struct tl_nn *nn, const char *name, struct tl_err *err);

/*
 * Running.  tl_nn_run: in is the single graph input, n images as
 * [n,H,W,C] float32 (NHWC, as images come; for a 4-D input) or plain C order
 * otherwise; out receives the output, n * (output size per image) floats,
 * 4-D outputs as [n,H,W,C].  n >= 1 replaces dim 0 of every input.
 *
 * A batch whose images never mix (checked once per output set: every
 * computed tensor has the batch as dim 0 and no Concat/Softmax works along
 * it; a model declared with a fixed batch of 1 counts) runs in slices of
 * images sized for the cache, each image then computed exactly as in a
 * batch of one; with at least as many slices as threads, each thread runs
 * whole slices.  Memory is that of a slice per thread, not of n images.
 *
 * tl_nn_run_io is the general form: any number of named inputs and outputs,
 * each with its layout.  n > 0 sets dim 0 of every input; n == 0 runs at the
 * declared shapes.  Input data is read only.  Each output buffer must
 * hold the tensor's elements at this n (tl_nn_tensor_shape after a run, or
 * the per-image size times n when dim 0 is the batch).
 */
int tl_nn_run(struct tl_nn *nn, const float *in, int n, float *out,
    struct tl_err *err);

struct tl_nn_io {
	const char *name;
	float *data;
	enum tl_nn_layout layout;
};
int tl_nn_run_io(struct tl_nn *nn, int n, const struct tl_nn_io *in, int nin,
    const struct tl_nn_io *out, int nout, struct tl_err *err);

/* Frees the graph and everything it owns; NULL is fine. */
void tl_nn_free(struct tl_nn *nn);

/*
 * The engine's matrix product for the rest of tl (training, heads):
 * C [M,N] = A [M,K] B [K,N], row-major with row strides lda, ldb, ldc; ta:
 * A is stored transposed ([K,M]), tb: B is ([N,K]).  Every element is its
 * K products summed in order 0..K-1 with fused multiply-adds, whatever the
 * CPU's kernel (AVX-512 and AVX2 agree bit for bit) and the shapes, so the
 * result depends on the operands only, unlike OpenBLAS's sgemm, whose
 * kernel (OPENBLAS_CORETYPE) and thread split change its rounding.  One
 * thread; work holds tl_nn_gemm_work(m, n, k) floats, which does not
 * shrink as m, n or k grow.
 */
size_t tl_nn_gemm_work(int64_t m, int64_t n, int64_t k);
void tl_nn_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k,
    const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
    int64_t ldc, float *work);

#endif
