/*
 * recjson.c - records to JSON and back (recjson.h).
 *
 * Writing walks the record's msgpack objects and prints each through
 * json.h; tensors are read element by element from their little-endian
 * bytes, so a record's JSON never exists whole in memory.  Reading takes
 * the msgpack objects json.c's parser built and rewrites the JSON form in
 * place (base64 to bin, data lists to tensor bytes, hex to hashes) in the
 * parser's zone before tl_rec_from_obj copies them.  Deliberately not here:
 * JSON syntax (json.c), files and lines (jsonl.c).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/half.h"
#include "core/tensor.h"
#include "stream/recjson.h"

/* ---- tensor elements -------------------------------------------------- */

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Element i of t as a double. */
static double
tensor_elem(const struct tl_tensor *t, uint64_t i)
{
	const unsigned char *p = t->data;
	uint32_t u;
	float f;

	switch (t->dtype) {
	case TL_U8:
		return p[i];
	case TL_I32:
		return (double)(int32_t)le32(p + 4 * i);
	case TL_F16:
		return tl_half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
	case TL_F32:
	default:
		u = le32(p + 4 * i);
		memcpy(&f, &u, 4);
		return f;
	}
}

/* ---- writer ----------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static void
write_tensor_num(FILE *f, const struct tl_tensor *t, double v)
{
	if (t->dtype == TL_U8 || t->dtype == TL_I32)
		fprintf(f, "%.0f", v);
	else
		tl_json_float(f, (float)v);
}

static void
write_tensor_data(FILE *f, const struct tl_tensor *t)
{
	uint64_t i;

	putc_unlocked('[', f);
	for (i = 0; i < t->count; i++) {
		if (i > 0)
			putc_unlocked(',', f);
		write_tensor_num(f, t, tensor_elem(t, i));
	}
	putc_unlocked(']', f);
}

static void
write_tensor_summary(FILE *f, const struct tl_tensor *t)
{
	double v, lo = INFINITY, hi = -INFINITY, sum = 0;
	uint64_t i, finite = 0;

	for (i = 0; i < t->count; i++) {
		v = tensor_elem(t, i);
		if (!isfinite(v))
			continue;
		finite++;
		sum += v;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	if (finite == 0) {
		fputs("\"min\":null,\"max\":null,\"mean\":null", f);
	} else {
		fputs("\"min\":", f);
		write_tensor_num(f, t, lo);
		fputs(",\"max\":", f);
		write_tensor_num(f, t, hi);
		fprintf(f, ",\"mean\":%.9g", sum / (double)finite);
	}
	if (finite < t->count)
		fprintf(f, ",\"nonfinite\":%llu", (unsigned long long)(t->count - finite));
}

static void write_value(FILE *f, const msgpack_object *o, int flags);

/* Map keys are strings in a stream's records; a nested map may have others,
 * shown as the JSON text of the key. */
static void
write_key(FILE *f, const msgpack_object *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (k->type == MSGPACK_OBJECT_STR) {
		tl_json_strn(f, k->via.str.ptr, k->via.str.size);
		return;
	}
	m = open_memstream(&text, &len);
	if (m != NULL) {
		write_value(m, k, 0);
		fclose(m);
	}
	tl_json_strn(f, text ? text : "", text ? len : 0);
	free(text);
}

static void
write_map(FILE *f, const msgpack_object *o, int flags)
{
	const msgpack_object_kv *kv = o->via.map.ptr;
	struct tl_tensor t;
	uint32_t i;
	int tensor, first = 1;

	tensor = tl_tensor_view(o, &t, NULL) == 0;
	putc_unlocked('{', f);
	for (i = 0; i < o->via.map.size; i++) {
		if (tensor && tl_obj_is_str(&kv[i].key, "data") && !(flags & TL_RECJSON_FULL))
			continue;
		if (!first)
			putc_unlocked(',', f);
		first = 0;
		write_key(f, &kv[i].key);
		putc_unlocked(':', f);
		if (tensor && tl_obj_is_str(&kv[i].key, "data"))
			write_tensor_data(f, &t);
		else
			write_value(f, &kv[i].val, flags & ~TL_RECJSON_DATA);
	}
	if (tensor && !(flags & TL_RECJSON_FULL)) {
		if (!first)
			putc_unlocked(',', f);
		write_tensor_summary(f, &t);
	}
	putc_unlocked('}', f);
}

static void
write_value(FILE *f, const msgpack_object *o, int flags)
{
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", f);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
		tl_json_float(f, (float)o->via.f64);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		tl_json_double(f, o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		tl_json_strn(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		if (flags & TL_RECJSON_FULL) {
			fputs("{\"base64\":", f);
			tl_json_base64(f, o->via.bin.ptr, o->via.bin.size);
			putc_unlocked('}', f);
		} else {
			fprintf(f, "{\"bin\":%lu}", (unsigned long)o->via.bin.size);
		}
		break;
	case MSGPACK_OBJECT_EXT:
		fprintf(f, "{\"ext\":%d,\"bin\":%lu}", o->via.ext.type,
		        (unsigned long)o->via.ext.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		putc_unlocked('[', f);
		for (i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				putc_unlocked(',', f);
			write_value(f, &o->via.array.ptr[i], flags);
		}
		putc_unlocked(']', f);
		break;
	case MSGPACK_OBJECT_MAP:
		write_map(f, o, flags);
		break;
	}
}

void
tl_recjson_write_obj(FILE *f, const msgpack_object *o, int flags)
{
	write_value(f, o, flags & ~TL_RECJSON_DATA);
}

int
tl_recjson_hex_field(const char *key, const msgpack_object *v, char hex[65])
{
	if (strcmp(key, "phash") == 0 && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(hex, 65, "%016llx", (unsigned long long)v->via.u64);
		return 1;
	}
	if (strcmp(key, "sha256") != 0 || v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != 32)
		return 0;
	for (int j = 0; j < 32; j++) {
		unsigned char c = (unsigned char)v->via.bin.ptr[j];
		hex[2 * j] = hexdig[c >> 4];
		hex[2 * j + 1] = hexdig[c & 15];
	}
	hex[64] = '\0';
	return 1;
}

void
tl_recjson_write_field(FILE *f, const char *key, const msgpack_object *v, int flags)
{
	char hex[65];

	if ((flags & TL_RECJSON_DATA) && tl_recjson_hex_field(key, v, hex))
		fprintf(f, "\"%s\"", hex);
	else
		write_value(f, v, flags & ~TL_RECJSON_DATA);
}

int
tl_recjson_write(FILE *f, const struct tl_rec *r, int flags, struct tl_err *err)
{
	const msgpack_object *k;
	char key[256];

	putc_unlocked('{', f);
	for (size_t i = 0; i < r->n; i++) {
		k = &r->kv[i].key;
		if (i > 0)
			putc_unlocked(',', f);
		write_key(f, k);
		putc_unlocked(':', f);
		snprintf(key, sizeof key, "%.*s", (int)k->via.str.size, k->via.str.ptr);
		tl_recjson_write_field(f, key, &r->kv[i].val, flags);
	}
	fputs("}\n", f);
	if (ferror(f))
		return tl_err_set(err, "write error: %s", strerror(errno));
	return 0;
}

/* ---- from the JSON form back to stream values ------------------------- */

/* The parser whose zone holds the objects being rewritten, and where a
 * failure is told. */
struct conv {
	struct tl_json_parser *ps;
	struct tl_err *err;
};

static void *
zalloc(struct conv *cv, size_t n)
{
	return tl_json_parser_alloc(cv->ps, n, cv->err);
}

/* {"base64": s} -> bin: the standard alphabet, "=" padding optional.  GLib
 * decodes; it skips what is not base64, so the text is checked first, and
 * it keeps a last group of 2 or 3 characters until padded, so the padding
 * is put back. */
static int
decode_base64(struct conv *cv, msgpack_object *o, const msgpack_object *s)
{
	const char *p = s->via.str.ptr;
	size_t n = s->via.str.size, pad = 0, i, k;
	unsigned char *out;
	gint state = 0;
	guint save = 0;

	while (pad < 2 && n > 0 && p[n - 1] == '=')
		n--, pad++;
	if (n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0))
		return tl_err_set(cv->err, "bad base64");
	for (i = 0; i < n; i++)
		if (!g_ascii_isalnum(p[i]) && p[i] != '+' && p[i] != '/')
			return tl_err_set(cv->err, "bad base64");
	if ((out = zalloc(cv, n / 4 * 3 + 2)) == NULL)
		return -1;
	k = g_base64_decode_step(p, n, out, &state, &save);
	k += g_base64_decode_step("==", (4 - n % 4) % 4, out + k, &state, &save);
	o->type = MSGPACK_OBJECT_BIN;
	o->via.bin.ptr = (const char *)out;
	o->via.bin.size = (uint32_t)k;
	return 0;
}

static int
num_of(const msgpack_object *v, double *out)
{
	switch (v->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER: *out = (double)v->via.u64; return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = (double)v->via.i64; return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: *out = v->via.f64; return 0;
	case MSGPACK_OBJECT_NIL: *out = NAN; return 0;
	default: return -1;
	}
}

/* A map with "dtype", "shape" and a "data" list: the list becomes the
 * little-endian bytes of the tensor. */
static int
encode_tensor(struct conv *cv, const msgpack_object *map, msgpack_object *data)
{
	const msgpack_object *dt = tl_obj_get(map, "dtype"), *sh = tl_obj_get(map, "shape");
	const msgpack_object_array *a = &data->via.array;
	enum tl_dtype type;
	uint64_t count = 1, d;
	unsigned char *out, *q;
	uint32_t i, u;
	double v;
	float fv;
	size_t es;

	if (dt->type != MSGPACK_OBJECT_STR || tl_dtype_parse(dt->via.str.ptr, dt->via.str.size, &type) < 0)
		return tl_err_set(cv->err, "unknown dtype");
	if (sh->type != MSGPACK_OBJECT_ARRAY || sh->via.array.size < 1 ||
	    sh->via.array.size > TL_TENSOR_MAXDIM)
		return tl_err_set(cv->err, "shape must be a list of 1 to %d sizes", TL_TENSOR_MAXDIM);
	for (i = 0; i < sh->via.array.size; i++) {
		if (sh->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return tl_err_set(cv->err, "shape must be a list of sizes");
		d = sh->via.array.ptr[i].via.u64;
		if (d != 0 && count > UINT32_MAX / d)
			return tl_err_set(cv->err, "shape too large");
		count *= d;
	}
	if (count != a->size)
		return tl_err_set(cv->err, "%lu values for %llu elements of the shape",
		                  (unsigned long)a->size, (unsigned long long)count);
	es = tl_dtype_size(type);
	if (count * es > UINT32_MAX)
		return tl_err_set(cv->err, "tensor too large");
	if ((out = zalloc(cv, count * es)) == NULL)
		return -1;
	for (i = 0, q = out; i < a->size; i++, q += es) {
		if (num_of(&a->ptr[i], &v) < 0)
			return tl_err_set(cv->err, "data holds a non-number");
		if ((type == TL_U8 && !(v >= 0 && v <= 255 && v == floor(v))) ||
		    (type == TL_I32 && !(v >= INT32_MIN && v <= INT32_MAX && v == floor(v))))
			return tl_err_set(cv->err, "value out of range for %s",
			                  tl_dtype_name(type));
		if (fabs(v) > FLT_MAX) /* no undefined double -> float narrowing */
			v = v > 0 ? INFINITY : -INFINITY;
		switch (type) {
		case TL_U8:
			q[0] = (unsigned char)v;
			break;
		case TL_F16:
			u = tl_half_from_float((float)v);
			q[0] = (unsigned char)u;
			q[1] = (unsigned char)(u >> 8);
			break;
		case TL_I32:
		case TL_F32:
			if (type == TL_I32) {
				u = (uint32_t)(int32_t)v;
			} else {
				fv = (float)v;
				memcpy(&u, &fv, 4);
			}
			q[0] = (unsigned char)u;
			q[1] = (unsigned char)(u >> 8);
			q[2] = (unsigned char)(u >> 16);
			q[3] = (unsigned char)(u >> 24);
			break;
		}
	}
	data->type = MSGPACK_OBJECT_BIN;
	data->via.bin.ptr = (const char *)out;
	data->via.bin.size = (uint32_t)(count * es);
	return 0;
}

/* Rewrites the JSON form in place (recjson.h); errors name the field. */
static int
convert(struct conv *cv, msgpack_object *o, const char *field)
{
	msgpack_object_kv *kv;
	msgpack_object *data = NULL;
	uint32_t i;

	if (o->type == MSGPACK_OBJECT_ARRAY) {
		for (i = 0; i < o->via.array.size; i++)
			if (convert(cv, &o->via.array.ptr[i], field) < 0)
				return -1;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_MAP)
		return 0;
	kv = o->via.map.ptr;
	if (o->via.map.size == 1 && tl_obj_is_str(&kv[0].key, "base64") &&
	    kv[0].val.type == MSGPACK_OBJECT_STR) {
		if (decode_base64(cv, o, &kv[0].val) < 0)
			return tl_err_prefix(cv->err, "%s", field);
		return 0;
	}
	if (tl_obj_get(o, "bin") != NULL && (o->via.map.size == 1 ||
	    (o->via.map.size == 2 && tl_obj_get(o, "ext") != NULL)))
		return tl_err_set(cv->err, "%s: a summary ({\"bin\": n}) cannot be read back; "
		                  "print with tl-cat --full", field);
	for (i = 0; i < o->via.map.size; i++) {
		if (convert(cv, &kv[i].val, field) < 0)
			return -1;
		if (tl_obj_is_str(&kv[i].key, "data"))
			data = &kv[i].val;
	}
	if (tl_obj_get(o, "dtype") == NULL || tl_obj_get(o, "shape") == NULL)
		return 0;
	if (data == NULL && tl_obj_get(o, "mean") != NULL)
		return tl_err_set(cv->err, "%s: a tensor summary cannot be read back; "
		                  "print with tl-cat --full", field);
	if (data == NULL || data->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	if (encode_tensor(cv, o, data) < 0)
		return tl_err_prefix(cv->err, "%s", field);
	return 0;
}

static int
all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (g_ascii_xdigit_value(s[i]) < 0)
			return 0;
	return 1;
}

/* A data record's "sha256" of 64 hex digits -> bin(32), "phash" of 16 ->
 * uint64 (the reverse of tl_recjson_hex_field). */
static int
unhex_field(struct conv *cv, const char *key, msgpack_object *v)
{
	const char *s = v->via.str.ptr;
	unsigned char *out;
	uint64_t h = 0;
	int i;

	if (v->type != MSGPACK_OBJECT_STR)
		return 0;
	if (strcmp(key, "phash") == 0 && v->via.str.size == 16 && all_hex(s, 16)) {
		for (i = 0; i < 16; i++)
			h = h << 4 | (uint64_t)g_ascii_xdigit_value(s[i]);
		v->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		v->via.u64 = h;
		return 0;
	}
	if (strcmp(key, "sha256") != 0 || v->via.str.size != 64 || !all_hex(s, 64))
		return 0;
	if ((out = zalloc(cv, 32)) == NULL)
		return -1;
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)(g_ascii_xdigit_value(s[2 * i]) << 4 |
		                         g_ascii_xdigit_value(s[2 * i + 1]));
	v->type = MSGPACK_OBJECT_BIN;
	v->via.bin.ptr = (const char *)out;
	v->via.bin.size = 32;
	return 0;
}

int
tl_recjson_from_obj(struct tl_json_parser *ps, msgpack_object *o, struct tl_rec *rec, int data,
                    struct tl_err *err)
{
	struct conv c = { ps, err }, *cv = &c;
	msgpack_object_kv *kv = o->via.map.ptr;
	char field[256];
	uint32_t i, j;

	for (i = 0; i < o->via.map.size; i++) {
		snprintf(field, sizeof field, "%.*s", (int)kv[i].key.via.str.size,
		         kv[i].key.via.str.ptr);
		for (j = 0; j < i; j++)
			if (kv[j].key.via.str.size == kv[i].key.via.str.size &&
			    memcmp(kv[j].key.via.str.ptr, kv[i].key.via.str.ptr,
			           kv[i].key.via.str.size) == 0)
				return tl_err_set(err, "duplicate key \"%s\"", field);
		if (convert(cv, &kv[i].val, field) < 0)
			return -1;
		if (data && unhex_field(cv, field, &kv[i].val) < 0)
			return -1;
	}
	return tl_rec_from_obj(rec, o, err);
}

int
tl_recjson_parse(const char *s, size_t len, struct tl_rec *rec, int data, struct tl_err *err)
{
	struct tl_json_parser *ps = tl_json_parser_new();
	msgpack_object o;
	int rc;

	if (ps == NULL)
		return tl_err_set(err, "out of memory");
	rc = tl_json_parse_object(ps, s, len, &o, err);
	if (rc == 0)
		rc = tl_recjson_from_obj(ps, &o, rec, data, err);
	tl_json_parser_free(ps);
	return rc;
}
