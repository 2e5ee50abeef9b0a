/*
 * tensor.c - the stream's tensor maps: validation, views and construction.
 * Data is little-endian on the wire; tl runs on little-endian hosts only
 * (checked at compile time), so a view's bytes are the values.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/half.h"
#include "core/tensor.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tl needs a little-endian host");

static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
	[TL_U8] = { "|u1", 1 },
	[TL_F32] = { "<f4", 4 },
	[TL_F16] = { "<f2", 2 },
	[TL_I32] = { "<i4", 4 },
};

size_t
tl_dtype_size(enum tl_dtype t)
{
	return dtypes[t].size;
}

const char *
tl_dtype_name(enum tl_dtype t)
{
	return dtypes[t].name;
}

int
tl_dtype_parse(const char *s, size_t len, enum tl_dtype *out)
{
	for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (strlen(dtypes[i].name) == len && memcmp(dtypes[i].name, s, len) == 0) {
			*out = (enum tl_dtype)i;
			return 0;
		}
	return -1;
}

int
tl_tensor_view(const msgpack_object *o, struct tl_tensor *t, struct tl_err *err)
{
	const msgpack_object *dt = tl_obj_get(o, "dtype");
	const msgpack_object *sh = tl_obj_get(o, "shape");
	const msgpack_object *da = tl_obj_get(o, "data");
	uint64_t count = 1;

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return tl_err_set(err, "tensor is not a map");
	if (dt == NULL || dt->type != MSGPACK_OBJECT_STR ||
	    tl_dtype_parse(dt->via.str.ptr, dt->via.str.size, &t->dtype) < 0)
		return tl_err_set(err, "tensor has no known dtype (|u1, <f4, <f2, <i4)");
	if (sh == NULL || sh->type != MSGPACK_OBJECT_ARRAY || sh->via.array.size < 1 ||
	    sh->via.array.size > TL_TENSOR_MAXDIM)
		return tl_err_set(err, "tensor shape is not an array of 1 to %d sizes", TL_TENSOR_MAXDIM);
	if (da == NULL || da->type != MSGPACK_OBJECT_BIN)
		return tl_err_set(err, "tensor data is not bin");
	t->ndim = (int)sh->via.array.size;
	for (int i = 0; i < t->ndim; i++) {
		const msgpack_object *d = &sh->via.array.ptr[i];
		if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER || d->via.u64 > UINT32_MAX)
			return tl_err_set(err, "tensor shape[%d] is not a size", i);
		t->shape[i] = d->via.u64;
		/* data length bounds the product, so checking against it prevents overflow */
		if (d->via.u64 != 0 && count > da->via.bin.size / d->via.u64 + 1)
			return tl_err_set(err, "tensor shape does not match its %u data bytes",
			    da->via.bin.size);
		count *= d->via.u64;
	}
	if (count * tl_dtype_size(t->dtype) != da->via.bin.size)
		return tl_err_set(err, "tensor shape does not match its %u data bytes",
		    da->via.bin.size);
	t->count = count;
	t->data = da->via.bin.ptr;
	return 0;
}

int
tl_rec_tensor(const struct tl_rec *r, const char *key, struct tl_tensor *t,
              struct tl_err *err)
{
	const msgpack_object *o = tl_rec_get(r, key);

	uint64_t idx[TL_TENSOR_MAXDIM], rest;
	char at[TL_TENSOR_MAXDIM * 12];
	int64_t i;
	size_t n = 0;
	float v;

	if (o == NULL)
		return tl_err_set(err, "no %s", key);
	if (tl_tensor_view(o, t, err) < 0)
		return tl_err_prefix(err, "%s", key);
	if ((i = tl_tensor_nonfinite(t)) < 0)
		return 0;
	/* the value's index in the tensor's own shape: emb[3,0,17] */
	rest = (uint64_t)i;
	for (int d = t->ndim - 1; d >= 0; d--)
		idx[d] = rest % t->shape[d], rest /= t->shape[d];
	for (int d = 0; d < t->ndim; d++)
		n += (size_t)snprintf(at + n, sizeof at - n, "%s%llu", d ? "," : "",
		    (unsigned long long)idx[d]);
	tl_tensor_to_f32(&(struct tl_tensor){ .dtype = t->dtype, .ndim = 1, .shape = { 1 },
	    .count = 1, .data = (const char *)t->data + (size_t)i * tl_dtype_size(t->dtype) }, &v);
	return tl_err_set(err, "%s[%s] is %s", key, at, isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
}

void *
tl_rec_set_tensor(struct tl_rec *r, const char *key, enum tl_dtype dtype,
                  int ndim, const uint64_t *shape)
{
	msgpack_object_kv *kv;
	msgpack_object *dims, map = { .type = MSGPACK_OBJECT_MAP };
	uint64_t count = 1;
	size_t nbytes;
	char *data;

	if (ndim < 1 || ndim > TL_TENSOR_MAXDIM)
		return NULL;
	for (int i = 0; i < ndim; i++)
		count *= shape[i];
	nbytes = count * tl_dtype_size(dtype);
	kv = tl_rec_alloc(r, 3 * sizeof *kv);
	dims = tl_rec_alloc(r, (size_t)ndim * sizeof *dims);
	data = tl_rec_alloc(r, nbytes);
	if (kv == NULL || dims == NULL || data == NULL || nbytes > UINT32_MAX)
		return NULL;
	for (int i = 0; i < ndim; i++) {
		dims[i].type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		dims[i].via.u64 = shape[i];
	}
	kv[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 5, "dtype" } };
	kv[0].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 3, dtypes[dtype].name } };
	kv[1].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 5, "shape" } };
	kv[1].val = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY,
	    .via.array = { (uint32_t)ndim, dims } };
	kv[2].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 4, "data" } };
	kv[2].val = (msgpack_object){ .type = MSGPACK_OBJECT_BIN,
	    .via.bin = { (uint32_t)nbytes, data } };
	map.via.map.size = 3;
	map.via.map.ptr = kv;
	/* the map's strings are static: set_obj copies them into the arena */
	if (tl_rec_set_obj(r, key, &map) < 0)
		return NULL;
	return (void *)tl_rec_get(r, key)->via.map.ptr[2].val.via.bin.ptr;
}

int64_t
tl_tensor_nonfinite(const struct tl_tensor *t)
{
	const unsigned char *p = t->data;

	/* by the bits: an exponent of all ones is NaN or an infinity */
	if (t->dtype == TL_F32) {
		for (uint64_t i = 0; i < t->count; i++) {
			uint32_t b;
			memcpy(&b, p + 4 * i, 4);
			if ((b & 0x7f800000u) == 0x7f800000u)
				return (int64_t)i;
		}
	} else if (t->dtype == TL_F16) {
		for (uint64_t i = 0; i < t->count; i++) {
			uint16_t h;
			memcpy(&h, p + 2 * i, 2);
			if ((h & 0x7c00u) == 0x7c00u)
				return (int64_t)i;
		}
	}
	return -1;
}

int64_t
tl_f32_nonfinite(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return (int64_t)i;
	return -1;
}

void
tl_tensor_to_f32(const struct tl_tensor *t, float *out)
{
	const unsigned char *p = t->data;

	switch (t->dtype) {
	case TL_U8:
		for (uint64_t i = 0; i < t->count; i++)
			out[i] = p[i];
		break;
	case TL_F32:
		memcpy(out, p, t->count * 4);
		break;
	case TL_F16:
		for (uint64_t i = 0; i < t->count; i++) {
			uint16_t h;
			memcpy(&h, p + 2 * i, 2);
			out[i] = tl_half_to_float(h);
		}
		break;
	case TL_I32:
		for (uint64_t i = 0; i < t->count; i++) {
			int32_t v;
			memcpy(&v, p + 4 * i, 4);
			out[i] = (float)v;
		}
		break;
	}
}
