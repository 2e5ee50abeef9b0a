/*
 * rec.c - an editable record over a msgpack_zone arena.
 *
 * Keys are few (a dozen), so lookups are linear scans; what matters is that
 * nothing is allocated outside the arena and that the arena is reused.
 */
#include <stdlib.h>
#include <string.h>

#include "core/rec.h"

#define ZONE_CHUNK 8192

struct tl_rec *
tl_rec_new(void)
{
	struct tl_rec *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	if (!msgpack_zone_init(&r->zone, ZONE_CHUNK)) {
		free(r);
		return NULL;
	}
	return r;
}

void
tl_rec_free(struct tl_rec *r)
{
	if (r == NULL)
		return;
	msgpack_zone_destroy(&r->zone);
	free(r->kv);
	free(r);
}

void
tl_rec_clear(struct tl_rec *r)
{
	msgpack_zone_clear(&r->zone);
	r->n = 0;
}

void *
tl_rec_alloc(struct tl_rec *r, size_t len)
{
	return msgpack_zone_malloc(&r->zone, len ? len : 1);
}

static int
key_eq(const msgpack_object *k, const char *key, size_t klen)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
	    memcmp(k->via.str.ptr, key, klen) == 0;
}

static msgpack_object_kv *
find(const struct tl_rec *r, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < r->n; i++)
		if (key_eq(&r->kv[i].key, key, klen))
			return &r->kv[i];
	return NULL;
}

const msgpack_object *
tl_rec_get(const struct tl_rec *r, const char *key)
{
	msgpack_object_kv *kv = find(r, key);

	return kv ? &kv->val : NULL;
}

const msgpack_object *
tl_obj_get(const msgpack_object *map, const char *key)
{
	size_t klen = strlen(key);

	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++)
		if (key_eq(&map->via.map.ptr[i].key, key, klen))
			return &map->via.map.ptr[i].val;
	return NULL;
}

int
tl_obj_is_str(const msgpack_object *o, const char *s)
{
	return o != NULL && key_eq(o, s, strlen(s));
}

const char *
tl_rec_str(struct tl_rec *r, const char *key)
{
	const msgpack_object *o = tl_rec_get(r, key);
	char *s;

	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	if ((s = tl_rec_alloc(r, o->via.str.size + 1)) == NULL)
		return NULL;
	memcpy(s, o->via.str.ptr, o->via.str.size);
	s[o->via.str.size] = '\0';
	return s;
}

int
tl_rec_f64(const struct tl_rec *r, const char *key, double *out)
{
	const msgpack_object *o = tl_rec_get(r, key);

	if (o == NULL)
		return -1;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER: *out = (double)o->via.u64; return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = (double)o->via.i64; return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: *out = o->via.f64; return 0;
	default: return -1;
	}
}

int
tl_rec_u64(const struct tl_rec *r, const char *key, uint64_t *out)
{
	const msgpack_object *o = tl_rec_get(r, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*out = o->via.u64;
	return 0;
}

/* Deep copy of src into zone memory: *dst gets pointers owned by r. */
static int
copy_obj(struct tl_rec *r, msgpack_object *dst, const msgpack_object *src)
{
	*dst = *src;
	switch (src->type) {
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN: {
		char *p = tl_rec_alloc(r, src->via.str.size);
		if (p == NULL)
			return -1;
		memcpy(p, src->via.str.ptr, src->via.str.size);
		dst->via.str.ptr = p;
		return 0;
	}
	case MSGPACK_OBJECT_EXT: {
		char *p = tl_rec_alloc(r, src->via.ext.size);
		if (p == NULL)
			return -1;
		memcpy(p, src->via.ext.ptr, src->via.ext.size);
		dst->via.ext.ptr = p;
		return 0;
	}
	case MSGPACK_OBJECT_ARRAY: {
		msgpack_object *a = tl_rec_alloc(r, sizeof *a * src->via.array.size);
		if (a == NULL)
			return -1;
		for (uint32_t i = 0; i < src->via.array.size; i++)
			if (copy_obj(r, &a[i], &src->via.array.ptr[i]) < 0)
				return -1;
		dst->via.array.ptr = a;
		return 0;
	}
	case MSGPACK_OBJECT_MAP: {
		msgpack_object_kv *m = tl_rec_alloc(r, sizeof *m * src->via.map.size);
		if (m == NULL)
			return -1;
		for (uint32_t i = 0; i < src->via.map.size; i++)
			if (copy_obj(r, &m[i].key, &src->via.map.ptr[i].key) < 0 ||
			    copy_obj(r, &m[i].val, &src->via.map.ptr[i].val) < 0)
				return -1;
		dst->via.map.ptr = m;
		return 0;
	}
	default:
		return 0;
	}
}

/* The slot for key: the existing one, or a new one appended with the key
 * copied into the arena. */
static msgpack_object *
slot(struct tl_rec *r, const char *key)
{
	msgpack_object_kv *kv = find(r, key);
	size_t klen;
	char *k;

	if (kv != NULL)
		return &kv->val;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		msgpack_object_kv *p = realloc(r->kv, cap * sizeof *p);
		if (p == NULL)
			return NULL;
		r->kv = p;
		r->cap = cap;
	}
	klen = strlen(key);
	if ((k = tl_rec_alloc(r, klen)) == NULL)
		return NULL;
	memcpy(k, key, klen);
	kv = &r->kv[r->n++];
	kv->key.type = MSGPACK_OBJECT_STR;
	kv->key.via.str.ptr = k;
	kv->key.via.str.size = (uint32_t)klen;
	kv->val.type = MSGPACK_OBJECT_NIL;
	return &kv->val;
}

int
tl_rec_set_obj(struct tl_rec *r, const char *key, const msgpack_object *v)
{
	msgpack_object tmp, *s;

	if (copy_obj(r, &tmp, v) < 0 || (s = slot(r, key)) == NULL)
		return -1;
	*s = tmp;
	return 0;
}

int
tl_rec_copy(struct tl_rec *dst, const struct tl_rec *src)
{
	tl_rec_clear(dst);
	for (size_t i = 0; i < src->n; i++) {
		char key[256];
		const msgpack_object *k = &src->kv[i].key;
		size_t n = k->via.str.size < sizeof key - 1 ? k->via.str.size : sizeof key - 1;
		memcpy(key, k->via.str.ptr, n);
		key[n] = '\0';
		if (tl_rec_set_obj(dst, key, &src->kv[i].val) < 0)
			return -1;
	}
	return 0;
}

int
tl_rec_from_obj(struct tl_rec *r, const msgpack_object *o, struct tl_err *err)
{
	tl_rec_clear(r);
	if (o->type != MSGPACK_OBJECT_MAP)
		return tl_err_set(err, "record is not a map");
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		char key[256];
		if (k->type != MSGPACK_OBJECT_STR)
			return tl_err_set(err, "record has a key that is not a string");
		if (k->via.str.size == 0 || k->via.str.size >= sizeof key ||
		    memchr(k->via.str.ptr, '\0', k->via.str.size) != NULL)
			return tl_err_set(err, "record has an empty, over-long or NUL-holding key");
		memcpy(key, k->via.str.ptr, k->via.str.size);
		key[k->via.str.size] = '\0';
		if (find(r, key) != NULL)
			return tl_err_set(err, "record repeats the key \"%s\"", key);
		if (tl_rec_set_obj(r, key, &o->via.map.ptr[i].val) < 0)
			return tl_err_set(err, "out of memory");
	}
	return 0;
}

int
tl_rec_set_strn(struct tl_rec *r, const char *key, const char *s, size_t len)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_STR };

	o.via.str.ptr = s;
	o.via.str.size = (uint32_t)len;
	return tl_rec_set_obj(r, key, &o);
}

int
tl_rec_set_str(struct tl_rec *r, const char *key, const char *s)
{
	return tl_rec_set_strn(r, key, s, strlen(s));
}

int
tl_rec_set_bin(struct tl_rec *r, const char *key, const void *p, size_t len)
{
	void *d = tl_rec_set_bin_alloc(r, key, len);

	if (d == NULL)
		return -1;
	memcpy(d, p, len);
	return 0;
}

void *
tl_rec_set_bin_alloc(struct tl_rec *r, const char *key, size_t len)
{
	msgpack_object *s;
	void *d;

	if (len > UINT32_MAX || (d = tl_rec_alloc(r, len)) == NULL ||
	    (s = slot(r, key)) == NULL)
		return NULL;
	s->type = MSGPACK_OBJECT_BIN;
	s->via.bin.ptr = d;
	s->via.bin.size = (uint32_t)len;
	return d;
}

static int
set_scalar(struct tl_rec *r, const char *key, msgpack_object o)
{
	msgpack_object *s = slot(r, key);

	if (s == NULL)
		return -1;
	*s = o;
	return 0;
}

int
tl_rec_set_u64(struct tl_rec *r, const char *key, uint64_t v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_POSITIVE_INTEGER };

	o.via.u64 = v;
	return set_scalar(r, key, o);
}

int
tl_rec_set_i64(struct tl_rec *r, const char *key, int64_t v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_NEGATIVE_INTEGER };

	if (v >= 0)
		return tl_rec_set_u64(r, key, (uint64_t)v);
	o.via.i64 = v;
	return set_scalar(r, key, o);
}

int
tl_rec_set_f64(struct tl_rec *r, const char *key, double v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT64 };

	o.via.f64 = v;
	return set_scalar(r, key, o);
}

int
tl_rec_set_bool(struct tl_rec *r, const char *key, int v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_BOOLEAN };

	o.via.boolean = v != 0;
	return set_scalar(r, key, o);
}

int
tl_rec_del(struct tl_rec *r, const char *key)
{
	msgpack_object_kv *kv = find(r, key);

	if (kv == NULL)
		return 0;
	memmove(kv, kv + 1, (size_t)(r->kv + r->n - (kv + 1)) * sizeof *kv);
	r->n--;
	return 1;
}
