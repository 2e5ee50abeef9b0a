/*
 * test_rec.c - lib/core/rec: each setter read back through each getter
 * (numbers of every kind, strings, booleans, bins), key order (a new key is
 * appended, an existing one replaced where it stands, a deleted one gone),
 * deep copies that outlive their source, the checks of tl_rec_from_obj, a
 * cleared record reused, and the nested-map helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "core/rec.h"
#include "t.h"

/* The keys of r in order, joined by ','. */
static const char *
keys(const struct tl_rec *r)
{
	static char buf[1024];

	buf[0] = '\0';
	for (size_t i = 0; i < r->n; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%.*s", i ? "," : "",
		         (int)r->kv[i].key.via.str.size, r->kv[i].key.via.str.ptr);
	return buf;
}

enum set { U64, I64, F64, BOOL, STR, NONE };

static void
test_getters(void)
{
	static const struct {
		const char *name;
		enum set how;
		double v;
		const char *s;
		msgpack_object_type type;
		int f64_rc;
		double f64;
		int u64_rc;
		uint64_t u64;
	} c[] = {
		{ "u64 7", U64, 7, NULL, MSGPACK_OBJECT_POSITIVE_INTEGER, 0, 7, 0, 7 },
		{ "u64 max", U64, -1, NULL, MSGPACK_OBJECT_POSITIVE_INTEGER, 0, 18446744073709551615.0, 0, UINT64_MAX },
		{ "i64 -3", I64, -3, NULL, MSGPACK_OBJECT_NEGATIVE_INTEGER, 0, -3, -1, 0 },
		{ "i64 5 is stored unsigned", I64, 5, NULL, MSGPACK_OBJECT_POSITIVE_INTEGER, 0, 5, 0, 5 },
		{ "f64 0.25", F64, 0.25, NULL, MSGPACK_OBJECT_FLOAT64, 0, 0.25, -1, 0 },
		{ "f64 3 is no u64", F64, 3, NULL, MSGPACK_OBJECT_FLOAT64, 0, 3, -1, 0 },
		{ "bool 2 is true", BOOL, 2, NULL, MSGPACK_OBJECT_BOOLEAN, -1, 0, -1, 0 },
		{ "str \"12\" is no number", STR, 0, "12", MSGPACK_OBJECT_STR, -1, 0, -1, 0 },
		{ "absent", NONE, 0, NULL, MSGPACK_OBJECT_NIL, -1, 0, -1, 0 },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_rec *r = tl_rec_new();
		const msgpack_object *o;
		double f = 42;
		uint64_t u = 42;
		int rc = 0;
		char t[96];

		switch (c[k].how) {
		case U64: rc = tl_rec_set_u64(r, "k", c[k].v < 0 ? UINT64_MAX : (uint64_t)c[k].v); break;
		case I64: rc = tl_rec_set_i64(r, "k", (int64_t)c[k].v); break;
		case F64: rc = tl_rec_set_f64(r, "k", c[k].v); break;
		case BOOL: rc = tl_rec_set_bool(r, "k", (int)c[k].v); break;
		case STR: rc = tl_rec_set_str(r, "k", c[k].s); break;
		case NONE: break;
		}
		snprintf(t, sizeof t, "get %s: set", c[k].name);
		T_EQ_INT(t, rc, 0);
		o = tl_rec_get(r, "k");
		snprintf(t, sizeof t, "get %s: type", c[k].name);
		if (c[k].how == NONE)
			T_OK(t, o == NULL);
		else
			T_EQ_INT(t, o ? (int)o->type : -1, c[k].type);
		snprintf(t, sizeof t, "get %s: f64", c[k].name);
		T_EQ_INT(t, tl_rec_f64(r, "k", &f), c[k].f64_rc);
		T_OK(t, f == (c[k].f64_rc == 0 ? c[k].f64 : 42)); /* untouched on -1 */
		snprintf(t, sizeof t, "get %s: u64", c[k].name);
		T_EQ_INT(t, tl_rec_u64(r, "k", &u), c[k].u64_rc);
		T_OK(t, u == (c[k].u64_rc == 0 ? c[k].u64 : 42));
		snprintf(t, sizeof t, "get %s: str", c[k].name);
		if (c[k].s)
			T_EQ_STR(t, tl_rec_str(r, "k"), c[k].s);
		else
			T_OK(t, tl_rec_str(r, "k") == NULL);
		if (c[k].how == BOOL)
			T_OK("get bool: true", o && o->via.boolean == true);
		tl_rec_free(r);
	}
}

/* Steps on one record: set ("+key=value"), delete ("-key"), clear ("!"),
 * each followed by the keys expected and, for a delete, its result. */
static void
test_order(void)
{
	static const struct {
		const char *op;
		int rc;
		const char *keys;
	} c[] = {
		{ "+a=1", 0, "a" },
		{ "+b=2", 0, "a,b" },
		{ "+c=3", 0, "a,b,c" },
		{ "+b=20", 0, "a,b,c" },  /* replaced where it stands */
		{ "-b", 1, "a,c" },
		{ "-b", 0, "a,c" },       /* not there any more */
		{ "+b=21", 0, "a,c,b" },  /* back at the end */
		{ "-a", 1, "c,b" },
		{ "-b", 1, "c" },
		{ "-c", 1, "" },
		{ "+z=9", 0, "z" },
		{ "!", 0, "" },
		{ "+y=8", 0, "y" },
	};
	struct tl_rec *r = tl_rec_new();
	char t[64];

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		const char *op = c[k].op;
		char key[2] = { op[1], '\0' };
		int rc = 0;

		if (op[0] == '+')
			rc = tl_rec_set_str(r, key, op + 3);
		else if (op[0] == '-')
			rc = tl_rec_del(r, key);
		else
			tl_rec_clear(r);
		snprintf(t, sizeof t, "order %zu: %s", k, op);
		T_EQ_INT(t, rc, c[k].rc);
		T_EQ_STR(t, keys(r), c[k].keys);
		if (op[0] == '+')
			T_EQ_STR(t, tl_rec_str(r, key), op + 3);
	}
	T_OK("order: a cleared key is gone", tl_rec_get(r, "z") == NULL);
	tl_rec_set_str(r, "b", "x");
	T_EQ_STR("order: a key set after a clear", keys(r), "y,b");
	tl_rec_free(r);

	/* more keys than the first allocation (16) */
	r = tl_rec_new();
	for (int i = 0; i < 100; i++) {
		snprintf(t, sizeof t, "k%d", i);
		tl_rec_set_u64(r, t, (uint64_t)i);
	}
	uint64_t u = 0;
	T_EQ_INT("order: 100 keys", r->n, 100);
	T_OK("order: k99 found", tl_rec_u64(r, "k99", &u) == 0 && u == 99);
	T_OK("order: k0 found", tl_rec_u64(r, "k0", &u) == 0 && u == 0);
	tl_rec_free(r);
}

static void
test_strings(void)
{
	struct tl_rec *r = tl_rec_new();
	char src[] = "abc";
	const msgpack_object *o;
	unsigned char *d;

	tl_rec_set_strn(r, "n", src, 2);
	tl_rec_set_str(r, "s", src);
	tl_rec_set_bin(r, "b", "\0\1\2", 3);
	src[0] = 'X'; /* the record holds copies */
	T_EQ_STR("strn: the first len bytes", tl_rec_str(r, "n"), "ab");
	T_EQ_STR("str: a copy", tl_rec_str(r, "s"), "abc");
	T_OK("str: a bin is no string", tl_rec_str(r, "b") == NULL);
	o = tl_rec_get(r, "b");
	T_OK("bin: copied", o && o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == 3 &&
	     memcmp(o->via.bin.ptr, "\0\1\2", 3) == 0);
	d = tl_rec_set_bin_alloc(r, "big", 100000); /* larger than an arena chunk */
	T_OK("bin_alloc: memory to fill", d != NULL);
	if (d) {
		memset(d, 7, 100000);
		o = tl_rec_get(r, "big");
		T_OK("bin_alloc: the record's bin", o && o->via.bin.size == 100000 &&
		     ((const unsigned char *)o->via.bin.ptr)[99999] == 7);
	}
	T_OK("bin_alloc: zero bytes", tl_rec_set_bin_alloc(r, "empty", 0) != NULL &&
	     tl_rec_get(r, "empty")->via.bin.size == 0);
	T_OK("alloc: zero bytes is not NULL", tl_rec_alloc(r, 0) != NULL);
	tl_rec_free(r);
	tl_rec_free(NULL);
}

/* A map {"id": "a", "nest": {"k": [1, "x"]}} in caller memory. */
struct fixture {
	msgpack_object el[2], arr, s, id;
	msgpack_object_kv inner, outer[2];
	msgpack_object nest, map;
	char text[2];
};

static void
fixture(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	f->text[0] = 'x';
	f->el[0] = (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 1 };
	f->el[1] = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 1, f->text } };
	f->arr = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY, .via.array = { 2, f->el } };
	f->inner.key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 1, "k" } };
	f->inner.val = f->arr;
	f->nest = (msgpack_object){ .type = MSGPACK_OBJECT_MAP, .via.map = { 1, &f->inner } };
	f->outer[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 2, "id" } };
	f->outer[0].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 1, "a" } };
	f->outer[1].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 4, "nest" } };
	f->outer[1].val = f->nest;
	f->map = (msgpack_object){ .type = MSGPACK_OBJECT_MAP, .via.map = { 2, f->outer } };
}

static void
test_deep(void)
{
	struct fixture f;
	struct tl_rec *r = tl_rec_new(), *c = tl_rec_new();
	const msgpack_object *k, *x;
	struct tl_err err;

	fixture(&f);
	T_EQ_INT("from_obj: a map", tl_rec_from_obj(r, &f.map, &err), 0);
	T_EQ_STR("from_obj: keys in order", keys(r), "id,nest");
	f.text[0] = 'Y'; /* deep-copied: the record does not see it */
	k = tl_obj_get(tl_rec_get(r, "nest"), "k");
	T_OK("from_obj: nested array", k && k->type == MSGPACK_OBJECT_ARRAY && k->via.array.size == 2);
	x = k ? &k->via.array.ptr[1] : NULL;
	T_OK("from_obj: deep copy", tl_obj_is_str(x, "x"));
	T_EQ_INT("copy", tl_rec_copy(c, r), 0);
	tl_rec_free(r);
	T_EQ_STR("copy: keys", keys(c), "id,nest");
	T_EQ_STR("copy: outlives its source", tl_rec_str(c, "id"), "a");
	k = tl_obj_get(tl_rec_get(c, "nest"), "k");
	T_OK("copy: nested", k && tl_obj_is_str(&k->via.array.ptr[1], "x"));
	T_EQ_INT("set_obj: a map value", tl_rec_set_obj(c, "again", &f.nest), 0);
	T_OK("set_obj: found", tl_obj_get(tl_rec_get(c, "again"), "k") != NULL);
	tl_rec_free(c);
}

static void
test_from_obj(void)
{
	static char longkey[300];
	static const struct {
		const char *name;
		int kind; /* 0 not a map, 1 a key that is no string, 2 string keys */
		const char *k1, *k2;
		size_t len1;
		const char *msg;
	} c[] = {
		{ "not a map", 0, NULL, NULL, 0, "record is not a map" },
		{ "key not a string", 1, NULL, NULL, 0, "record has a key that is not a string" },
		{ "empty key", 2, "", "b", 0, "record has an empty, over-long or NUL-holding key" },
		{ "NUL in a key", 2, "a\0b", "b", 3, "record has an empty, over-long or NUL-holding key" },
		{ "256-byte key", 2, longkey, "b", 256, "record has an empty, over-long or NUL-holding key" },
		{ "255-byte key", 2, longkey, "b", 255, NULL },
		{ "repeated key", 2, "b", "b", 1, "record repeats the key \"b\"" },
		{ "good", 2, "a", "b", 1, NULL },
	};

	memset(longkey, 'k', sizeof longkey - 1);
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_rec *r = tl_rec_new();
		msgpack_object_kv kv[2];
		msgpack_object o;
		struct tl_err err;
		char t[64];
		int rc;

		kv[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
		                              .via.str = { (uint32_t)c[k].len1, c[k].k1 } };
		if (c[k].kind == 1)
			kv[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 1 };
		kv[1].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
		                              .via.str = { c[k].k2 ? (uint32_t)strlen(c[k].k2) : 0, c[k].k2 } };
		kv[0].val = kv[1].val = (msgpack_object){ .type = MSGPACK_OBJECT_NIL };
		o = (msgpack_object){ .type = MSGPACK_OBJECT_MAP, .via.map = { 2, kv } };
		if (c[k].kind == 0)
			o = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY, .via.array = { 2, &kv[0].key } };
		tl_rec_set_str(r, "old", "gone"); /* cleared first, whatever happens */
		rc = tl_rec_from_obj(r, &o, &err);
		snprintf(t, sizeof t, "from_obj %s", c[k].name);
		T_EQ_INT(t, rc, c[k].msg ? -1 : 0);
		if (c[k].msg)
			T_EQ_STR(t, err.msg, c[k].msg);
		else
			T_EQ_INT(t, r->n, 2);
		T_OK(t, tl_rec_get(r, "old") == NULL);
		tl_rec_free(r);
	}
}

static void
test_obj(void)
{
	struct fixture f;
	msgpack_object s = { .type = MSGPACK_OBJECT_STR, .via.str = { 2, "ab" } };

	fixture(&f);
	T_OK("obj_get: a key", tl_obj_is_str(tl_obj_get(&f.map, "id"), "a"));
	T_OK("obj_get: absent", tl_obj_get(&f.map, "nope") == NULL);
	T_OK("obj_get: a prefix is not the key", tl_obj_get(&f.map, "i") == NULL);
	T_OK("obj_get: not a map", tl_obj_get(&f.arr, "k") == NULL);
	T_OK("obj_get: NULL", tl_obj_get(NULL, "k") == NULL);
	T_OK("obj_is_str: equal", tl_obj_is_str(&s, "ab"));
	T_OK("obj_is_str: shorter", !tl_obj_is_str(&s, "a"));
	T_OK("obj_is_str: longer", !tl_obj_is_str(&s, "abc"));
	T_OK("obj_is_str: not a string", !tl_obj_is_str(&f.arr, "ab"));
	T_OK("obj_is_str: NULL", !tl_obj_is_str(NULL, "ab"));
}

int
main(void)
{
	test_getters();
	test_order();
	test_strings();
	test_deep();
	test_from_obj();
	test_obj();
	T_DONE();
}
