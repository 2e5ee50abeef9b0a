/*
 * tensor.c - the stream's tensor maps: validation, views and construction.
 * Data is little-endian on the wire; tl runs on little-endian hosts only
 * (checked at compile time), so a view's bytes are the values.
 */
#include <math.h>
#include <string.h>

#include "tensor.h"

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

	if (o == NULL)
		return tl_err_set(err, "no %s", key);
	if (tl_tensor_view(o, t, err) < 0)
		return tl_err_prefix(err, "%s", key);
	return 0;
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

static float
half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
	float f;

	if (exp == 0)
		f = ldexpf((float)man, -24);
	else if (exp == 31)
		f = man ? NAN : INFINITY;
	else
		f = ldexpf((float)(man | 0x400), (int)exp - 25);
	return sign ? -f : f;
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
			out[i] = half_to_float(h);
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
