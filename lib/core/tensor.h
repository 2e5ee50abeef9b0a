/*
 * tensor.h - the stream's tensor map {"dtype": D, "shape": [...], "data": BIN}
 * (stream.md): views over a record's tensor, and writing one into a record.
 *
 * A view points into the record (the data may be unaligned: copy it with
 * tl_tensor_to_f32 before doing arithmetic).  Validation happens once, in
 * tl_tensor_view: dtype known, 1..TL_TENSOR_MAXDIM dimensions, and the product
 * of the shape times the element size equals the data length exactly; a
 * record's tensor (tl_rec_tensor) must also hold only finite values: a NaN or
 * an infinity in an emb or prob makes the record bad in every tool that reads
 * it, so none enters a fit or a verdict.
 *
 * Ownership: nothing here allocates for the caller.  A view points into the
 * record (or msgpack object) it came from, tl_rec_set_tensor's data area is
 * in the record's arena, and tl_dtype_name's names are static.
 */
#ifndef TL_TENSOR_H
#define TL_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/err.h"
#include "core/rec.h"

#define TL_TENSOR_MAXDIM 8

enum tl_dtype { TL_U8, TL_F32, TL_F16, TL_I32 };

struct tl_tensor {
	enum tl_dtype dtype;
	int ndim;
	uint64_t shape[TL_TENSOR_MAXDIM];
	uint64_t count;    /* product of shape */
	const void *data;  /* count * elemsize bytes, little-endian, C order */
};

size_t tl_dtype_size(enum tl_dtype t);
const char *tl_dtype_name(enum tl_dtype t); /* "|u1", "<f4", "<f2", "<i4" */
int tl_dtype_parse(const char *s, size_t len, enum tl_dtype *out);

/* Fills t from the tensor map o.  -1 with a reason when o is not a valid
 * tensor.  t points into o's memory. */
int tl_tensor_view(const msgpack_object *o, struct tl_tensor *t, struct tl_err *err);

/* The tensor stored under key in r: -1 when absent (err: "no KEY"), invalid,
 * or holding a NaN or infinite value (err: "KEY[i,j] is NaN"). */
int tl_rec_tensor(const struct tl_rec *r, const char *key, struct tl_tensor *t,
                  struct tl_err *err);

/* Writes a tensor under key; returns its data area (count*elemsize bytes in
 * r's arena) for the caller to fill, or NULL when out of memory. */
void *tl_rec_set_tensor(struct tl_rec *r, const char *key, enum tl_dtype dtype,
                        int ndim, const uint64_t *shape);

/* The flat index of t's first NaN or infinite value; -1 when every value is
 * finite (always for |u1 and <i4). */
int64_t tl_tensor_nonfinite(const struct tl_tensor *t);

/* The same over n floats x (as a tool is about to write them); -1 when all
 * are finite. */
int64_t tl_f32_nonfinite(const float *x, size_t n);

/* Converts any dtype to float32 into out[t->count] (caller's buffer). */
void tl_tensor_to_f32(const struct tl_tensor *t, float *out);

#endif
