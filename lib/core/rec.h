/*
 * rec.h - one record of a tl stream: an ordered map from string keys to
 * msgpack values, editable in place.
 *
 * A record owns everything it points to: every value lives in the record's
 * arena (a msgpack_zone), which tl_rec_clear() resets for the next record, so
 * a tool that streams allocates nothing per record once warmed up.  Keys keep
 * their order; setting an existing key replaces its value where it stands, a
 * new key is appended.  Pointers returned by the getters stay valid until the
 * record is cleared, freed, or that key is set again.
 *
 * Ownership: a record from tl_rec_new is the caller's, freed with tl_rec_free;
 * every pointer a function here returns is owned by the record (tl_obj_get's
 * by the map it was given).
 *
 * Not here: reading and writing streams (stream.h), tensor views (tensor.h).
 */
#ifndef TL_REC_H
#define TL_REC_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/err.h"

struct tl_rec {
	msgpack_zone zone;     /* arena of all keys and values */
	msgpack_object_kv *kv; /* kv[0..n): keys are MSGPACK_OBJECT_STR */
	size_t n, cap;
};

/* A new empty record; NULL when out of memory.  Free with tl_rec_free. */
struct tl_rec *tl_rec_new(void);
void tl_rec_free(struct tl_rec *r); /* accepts NULL */
void tl_rec_clear(struct tl_rec *r);  /* drops every key, keeps the memory */

/* Deep copy of src into dst (dst is cleared first).  0 or -1 (out of memory). */
int tl_rec_copy(struct tl_rec *dst, const struct tl_rec *src);

/* Replaces the content of r by the map o, deep-copied.  -1 if o is not a map
 * with string keys (err says why). */
int tl_rec_from_obj(struct tl_rec *r, const msgpack_object *o, struct tl_err *err);

/* The value of key, or NULL when absent.  Owned by r. */
const msgpack_object *tl_rec_get(const struct tl_rec *r, const char *key);

/* The value of key as a NUL-terminated string copied into r's arena; NULL when
 * absent or not a string. */
const char *tl_rec_str(struct tl_rec *r, const char *key);

/* Numbers: 0 and *out set when key holds a number (int, uint or float),
 * -1 when absent or not a number (*out untouched). */
int tl_rec_f64(const struct tl_rec *r, const char *key, double *out);
int tl_rec_u64(const struct tl_rec *r, const char *key, uint64_t *out);

/* Setters copy their argument into r's arena.  All return 0, or -1 when out
 * of memory. */
int tl_rec_set_str(struct tl_rec *r, const char *key, const char *s);
int tl_rec_set_strn(struct tl_rec *r, const char *key, const char *s, size_t len);
int tl_rec_set_bin(struct tl_rec *r, const char *key, const void *p, size_t len);
int tl_rec_set_u64(struct tl_rec *r, const char *key, uint64_t v);
int tl_rec_set_i64(struct tl_rec *r, const char *key, int64_t v);
int tl_rec_set_f64(struct tl_rec *r, const char *key, double v);
int tl_rec_set_bool(struct tl_rec *r, const char *key, int v);
/* Deep-copies any msgpack value (maps and arrays included). */
int tl_rec_set_obj(struct tl_rec *r, const char *key, const msgpack_object *v);

/* Reserves len bytes of bin for key and returns them for the caller to fill
 * (saves a copy for big payloads); NULL when out of memory. */
void *tl_rec_set_bin_alloc(struct tl_rec *r, const char *key, size_t len);

/* Removes key; 1 if it was there, 0 if not. */
int tl_rec_del(struct tl_rec *r, const char *key);

/* Allocation in r's arena, for callers that build nested values by hand
 * (arrays, maps).  Freed with the record.  NULL when out of memory. */
void *tl_rec_alloc(struct tl_rec *r, size_t len);

/* Helpers for nested maps (a record's value that is itself a map): */
const msgpack_object *tl_obj_get(const msgpack_object *map, const char *key);
int tl_obj_is_str(const msgpack_object *o, const char *s); /* o is the string s */

#endif
